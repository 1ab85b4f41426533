/**
 * Row helpers on {@link Sql}: single-row INSERT/UPDATE from objects keyed by the Prisma field
 * names, and {@link DeferredRows} (many rows, one statement at the end of a transaction).
 */
import { combineStatements } from './combined';
import type { RunInTransaction, Sql } from './sql';

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
export async function insertRow(tx: Sql, table: string, row: Record<string, unknown>, opts: { onConflictDoNothing?: boolean } = {}): Promise<number> {
  if (!SAFE.test(table)) throw new Error(`unsafe table name ${table}`);
  const { cols, values } = columns(row);
  return tx.exec(
    `INSERT INTO "${table}" (${cols.join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})${opts.onConflictDoNothing ? ' ON CONFLICT DO NOTHING' : ''}`,
    values,
  );
}

/**
 * UPDATE of the rows matching `where` (equality on each key) with `patch` (camelCase keys as in
 * {@link insertRow}; `undefined` values are skipped).
 * @returns rows updated
 */
export async function updateRows(tx: Sql, table: string, where: Record<string, unknown>, patch: Record<string, unknown>): Promise<number> {
  const u = updateStatement(table, where, patch);
  return u ? tx.exec(u.sql, u.values) : 0;
}

/**
 * The statement {@link updateRows} runs, with its parameters numbered from `firstParam` — for a
 * caller that puts it in a larger statement (a data-modifying `WITH`) after parameters of its own.
 * @returns undefined when `patch` sets nothing
 */
export function updateStatement(table: string, where: Record<string, unknown>, patch: Record<string, unknown>, firstParam = 1): { sql: string; values: unknown[] } | undefined {
  if (!SAFE.test(table)) throw new Error(`unsafe table name ${table}`);
  const set = columns(patch);
  if (set.cols.length === 0) return undefined;
  const cond = columns(where);
  const n = set.values.length;
  const p = firstParam - 1;
  return {
    sql: `UPDATE "${table}" SET ${set.cols.map((c, i) => `${c} = $${p + i + 1}`).join(', ')} WHERE ${cond.cols.map((c, i) => `${c} = $${p + n + i + 1}`).join(' AND ')}`,
    values: [...set.values, ...cond.values],
  };
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
   * Inserts the queued rows in queue order, one INSERT per table and column set, and empties the
   * queue. The INSERTs into different tables go to PostgreSQL as one statement (libs/db
   * `combineStatements`: a data-modifying WITH; records' chunk writes its timeline and cases rows
   * with one round trip); a table's second INSERT (another column set) starts a new one.
   * @returns rows inserted @throws what the database throws (the caller's transaction fails)
   */
  async flush(tx: Sql): Promise<number> {
    const inserts: { table: string; text: string; params: unknown[] }[] = [];
    for (const [key, t] of this.tables) {
      const table = key.split('\u0000')[0]!;
      // rows with the same columns go in one statement, in order
      let batch: { cols: string[]; values: unknown[][] } | undefined;
      const write = () => {
        if (!batch || batch.values.length === 0) return;
        const width = batch.cols.length;
        const tuples = batch.values.map((_, r) => `(${batch!.cols.map((__, c) => `$${r * width + c + 1}`).join(', ')})`);
        inserts.push({ table, text: `INSERT INTO "${table}" (${batch.cols.join(', ')}) VALUES ${tuples.join(', ')}${t.onConflictDoNothing ? ' ON CONFLICT DO NOTHING' : ''}`, params: batch.values.flat() });
        batch = undefined;
      };
      for (const row of t.rows) {
        const { cols, values } = columns(row);
        if (batch && (batch.cols.join() !== cols.join() || (batch.values.length + 1) * cols.length > MAX_PARAMS)) write();
        batch ??= { cols, values: [] };
        batch.values.push(values);
      }
      write();
    }
    this.tables.clear();
    // consecutive INSERTs into distinct tables share a statement (two parts of one statement must
    // not write one table: the second would not see the first's rows)
    let inserted = 0;
    let group: typeof inserts = [];
    const send = async () => {
      for (const s of combineStatements(group, { countRows: true })) {
        inserted += s.text.startsWith('WITH ') ? ((await tx.query<{ n: number }>(s.text, s.params))[0]?.n ?? 0) : await tx.exec(s.text, s.params);
      }
      group = [];
    };
    for (const ins of inserts) {
      if (group.some((g) => g.table === ins.table)) await send();
      group.push(ins);
    }
    await send();
    return inserted;
  }
}

/** A {@link Sql} transaction that also carries its {@link DeferredRows} and its before-commit hooks. */
export interface DeferringTx extends Sql {
  deferred: DeferredRows;
  /**
   * Runs `hook` after the transaction's function has returned and before its deferred rows are
   * written and it commits. For work that takes a contended row lock (records' gapless case
   * number, one counter row per year): done last, the lock is held for the end of the
   * transaction only, not for the rest of a consumer's chunk. Hooks run in the order added and
   * may add hooks and deferred rows; a failing hook rolls the transaction back.
   */
  beforeCommit(hook: () => Promise<void>): void;
}

/**
 * Wraps a transaction runner so that each transaction's tx carries a fresh {@link DeferredRows}
 * and before-commit hooks: after `fn` the hooks run, then the rows are flushed, then COMMIT
 * (a failing hook or flush rolls the transaction back).
 */
export function withDeferredRows(run: RunInTransaction): RunInTransaction<DeferringTx> {
  return <T>(fn: (tx: DeferringTx) => Promise<T>) =>
    run(async (tx) => {
      const deferred = new DeferredRows();
      const hooks: (() => Promise<void>)[] = [];
      const out = await fn({ ...tx, deferred, beforeCommit: (hook) => void hooks.push(hook) });
      for (let hook = hooks.shift(); hook; hook = hooks.shift()) await hook();
      await deferred.flush(tx);
      return out;
    });
}
