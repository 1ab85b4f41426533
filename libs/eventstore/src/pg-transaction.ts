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
