import type { Pool, PoolClient } from 'pg';
import type { RunInTransaction, SqlTx } from './sql';

/** {@link SqlTx} over one pg client (the client must be inside a transaction). */
export function sqlTxOf(client: Pick<PoolClient, 'query'>): SqlTx {
  return {
    $executeRawUnsafe: async (query, ...values) => (await client.query(query, values)).rowCount ?? 0,
    $queryRawUnsafe: async <T>(query: string, ...values: unknown[]) => (await client.query(query, values)).rows as T,
  };
}

export interface PgTransactionOptions {
  /** statement timeout inside the transaction, ms (0 = none); default: the server's setting */
  statementTimeoutMs?: number;
}

/**
 * Runs `fn` in one PostgreSQL transaction on a pooled `pg` client (READ COMMITTED).
 *
 * The services' write paths (HTTP commands, consumers) use this instead of Prisma's interactive
 * transactions: the statements are the same raw SQL (the {@link SqlTx} interface both satisfy),
 * and measured on this project's machine a statement costs about 0.06 ms of Node CPU through
 * `pg` against 0.23 ms through Prisma's raw API and 0.34 ms through its typed API
 * (bench/src/prisma-vs-pg.ts). Prisma keeps owning the schema, the migrations and the read APIs.
 * @param opts.statementTimeoutMs `SET LOCAL statement_timeout` for this transaction (sent with the
 *   BEGIN, no extra round trip); default: the server's setting
 * @throws whatever `fn` or the database throws; the transaction is rolled back
 */
export function pgTransaction(pool: Pool, opts: PgTransactionOptions = {}): RunInTransaction<SqlTx> {
  const timeout = opts.statementTimeoutMs;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 0)) throw new RangeError(`statementTimeoutMs must be a whole number of ms ≥ 0, got ${timeout}`);
  const begin = timeout === undefined ? 'BEGIN' : `BEGIN; SET LOCAL statement_timeout = ${timeout}`;
  return async <T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query(begin);
      const result = await fn(sqlTxOf(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  };
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const SAFE = /^[a-z_][a-z0-9_]*$/;

function columns(row: Record<string, unknown>): { cols: string[]; values: unknown[] } {
  const cols: string[] = [];
  const values: unknown[] = [];
  for (const [k, v] of Object.entries(row)) {
    if (v === undefined) continue;
    const c = snake(k);
    if (!SAFE.test(c)) throw new Error(`unsafe column name ${k}`);
    cols.push(`"${c}"`);
    values.push(v);
  }
  return { cols, values };
}

/**
 * INSERT of one row whose keys are the Prisma field names (camelCase, mapped to the snake_case
 * columns the schemas use). `undefined` values are left to the column default.
 * @returns rows inserted (0 when `onConflictDoNothing` and the row exists)
 */
export async function insertRow(tx: SqlTx, table: string, row: Record<string, unknown>, opts: { onConflictDoNothing?: boolean } = {}): Promise<number> {
  if (!SAFE.test(table)) throw new Error(`unsafe table name ${table}`);
  const { cols, values } = columns(row);
  return tx.$executeRawUnsafe(
    `INSERT INTO "${table}" (${cols.join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})${opts.onConflictDoNothing ? ' ON CONFLICT DO NOTHING' : ''}`,
    ...values,
  );
}

/**
 * UPDATE of the rows matching `where` (equality on each key) with `patch` (camelCase keys as in
 * {@link insertRow}; `undefined` values are skipped).
 * @returns rows updated
 */
export async function updateRows(tx: SqlTx, table: string, where: Record<string, unknown>, patch: Record<string, unknown>): Promise<number> {
  if (!SAFE.test(table)) throw new Error(`unsafe table name ${table}`);
  const set = columns(patch);
  if (set.cols.length === 0) return 0;
  const cond = columns(where);
  const n = set.values.length;
  return tx.$executeRawUnsafe(
    `UPDATE "${table}" SET ${set.cols.map((c, i) => `${c} = $${i + 1}`).join(', ')} WHERE ${cond.cols.map((c, i) => `${c} = $${n + i + 1}`).join(' AND ')}`,
    ...set.values,
    ...cond.values,
  );
}

const camel = (col: string) => col.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Runs a SELECT and returns its rows with camelCase keys (the Prisma field names of the
 * snake_case columns), so raw-SQL code reads rows the way typed Prisma code did. Types follow
 * `pg`: timestamptz → Date, jsonb → parsed value, arrays → arrays, int8/numeric → string.
 */
export async function selectRows<T>(tx: SqlTx, query: string, ...values: unknown[]): Promise<T[]> {
  const rows = await tx.$queryRawUnsafe<Record<string, unknown>[]>(query, ...values);
  return rows.map((r) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) out[camel(k)] = v;
    return out as T;
  });
}

/**
 * A value for a jsonb column in {@link insertRow}/{@link updateRows}: `pg` would send a JS array
 * as a PostgreSQL array, so JSON values are serialised explicitly.
 */
export function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** Parameters per statement a {@link DeferredRows} flush stays under (PostgreSQL allows 65,535). */
const MAX_PARAMS = 30_000;

/**
 * Rows to insert at the end of a transaction instead of one statement each: {@link flush} writes
 * every table's rows with one multi-row INSERT (split only past {@link MAX_PARAMS} parameters).
 * For append-only read models nothing reads back inside the same transaction — e.g. records'
 * timeline, one row per consumed event — where a chunk of 100 events then costs one statement
 * instead of 100 (each statement is a socket write and a round trip; profiles of the pipeline put
 * 18–31 % of every service's busy CPU in those writes, `npm run bench -- --quick --profile`).
 */
export class DeferredRows {
  private readonly tables = new Map<string, { onConflictDoNothing: boolean; rows: Record<string, unknown>[] }>();

  /** Queues one row (keys as for {@link insertRow}). */
  add(table: string, row: Record<string, unknown>, opts: { onConflictDoNothing?: boolean } = {}): void {
    if (!SAFE.test(table)) throw new Error(`unsafe table name ${table}`);
    const key = `${table}\u0000${opts.onConflictDoNothing ? 1 : 0}`;
    const t = this.tables.get(key) ?? this.tables.set(key, { onConflictDoNothing: !!opts.onConflictDoNothing, rows: [] }).get(key)!;
    t.rows.push(row);
  }

  /** Rows queued and not yet flushed. */
  get size(): number {
    let n = 0;
    for (const t of this.tables.values()) n += t.rows.length;
    return n;
  }

  /**
   * Inserts the queued rows in queue order, one statement per table and column set, and empties
   * the queue. @returns rows inserted @throws what the database throws (the caller's transaction fails)
   */
  async flush(tx: SqlTx): Promise<number> {
    let inserted = 0;
    for (const [key, t] of this.tables) {
      const table = key.split('\u0000')[0]!;
      // rows with the same columns go in one statement, in order
      let batch: { cols: string[]; values: unknown[][] } | undefined;
      const write = async () => {
        if (!batch || batch.values.length === 0) return;
        const width = batch.cols.length;
        const tuples = batch.values.map((_, r) => `(${batch!.cols.map((__, c) => `$${r * width + c + 1}`).join(', ')})`);
        inserted += await tx.$executeRawUnsafe(`INSERT INTO "${table}" (${batch.cols.join(', ')}) VALUES ${tuples.join(', ')}${t.onConflictDoNothing ? ' ON CONFLICT DO NOTHING' : ''}`, ...batch.values.flat());
        batch = undefined;
      };
      for (const row of t.rows) {
        const { cols, values } = columns(row);
        if (batch && (batch.cols.join() !== cols.join() || (batch.values.length + 1) * cols.length > MAX_PARAMS)) await write();
        batch ??= { cols, values: [] };
        batch.values.push(values);
      }
      await write();
    }
    this.tables.clear();
    return inserted;
  }
}

/** A {@link SqlTx} that also carries the transaction's {@link DeferredRows}. */
export interface DeferringTx extends SqlTx {
  deferred: DeferredRows;
}

/**
 * Wraps a transaction runner so that each transaction's tx carries a fresh {@link DeferredRows},
 * flushed after `fn` and before COMMIT (a failing flush rolls the transaction back).
 */
export function withDeferredRows(run: RunInTransaction<SqlTx>): RunInTransaction<DeferringTx> {
  return <T>(fn: (tx: DeferringTx) => Promise<T>) =>
    run(async (tx) => {
      const deferred = new DeferredRows();
      const out = await fn({ $executeRawUnsafe: tx.$executeRawUnsafe.bind(tx), $queryRawUnsafe: tx.$queryRawUnsafe.bind(tx), deferred });
      await deferred.flush(tx);
      return out;
    });
}
