/**
 * The one way cad110 runs SQL at run time: a small typed interface over `pg`. Prisma owns the
 * schemas and migrations (`services/<svc>/prisma`); every read and write at run time — commands,
 * consumers, projections, HTTP reads — goes through {@link Sql}. Row types may be the
 * Prisma-generated model types (`select<Incident>(...)` maps the snake_case columns to their
 * camelCase field names).
 *
 * Values follow `pg`: timestamptz → Date, json/jsonb → parsed value, PostgreSQL arrays ↔ JS
 * arrays, int8 (BigInt) and numeric → string. A JS array parameter is sent as a PostgreSQL array,
 * which is how batches are written in one statement:
 * `INSERT INTO t (a, b) SELECT * FROM unnest($1::uuid[], $2::text[])`; several statements can be
 * joined into one round trip with data-modifying CTEs (`WITH s AS (UPDATE ...), e AS (INSERT ...)
 * SELECT ...`). Parameterless multi-statement text (e.g. `BEGIN; SET LOCAL ...`) runs through
 * {@link Sql.exec} as one simple query.
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryResult } from 'pg';

/** A row as PostgreSQL returns it: column name (as selected) → value. */
export type Row = Record<string, unknown>;

/** Runs statements on one connection (inside a transaction) or on the pool (each on its own). */
export interface Sql {
  /** Rows of one statement, keys as the columns are named in the SELECT (snake_case, or `AS "x"`). */
  query<R = Row>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /**
   * Rows of one statement with camelCase keys — the Prisma field names of the snake_case columns
   * (`opened_at` → `openedAt`), so a Prisma model type can type them.
   */
  select<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs one statement (or, without params, several separated by `;`); @returns rows affected */
  exec(text: string, params?: readonly unknown[]): Promise<number>;
}

/** Runs `fn` in one database transaction: COMMIT when it resolves, ROLLBACK when it throws. */
export type RunInTransaction<Tx extends Sql = Sql> = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

/** A service's database at run time: statements on the pool, and transactions. */
export interface Db extends Sql {
  /** one READ COMMITTED transaction on one pooled connection */
  transaction: RunInTransaction;
  /** the bounded `pg` pool underneath (for the outbox relay, readiness and shutdown) */
  pool: Pool;
}

const camel = (col: string) => col.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** `row` with camelCase keys (`opened_at` → `openedAt`; keys without `_` unchanged). */
export function camelRow<R>(row: Row): R {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) out[camel(k)] = v;
  return out as R;
}

type Queryable = { query(text: string | { name: string; text: string; values: unknown[] }, values?: unknown[]): Promise<QueryResult> };

/** The most distinct statement texts one process prepares (each connection keeps the ones it ran). */
export const MAX_PREPARED_TEXTS = 2_000;
/** Statements with more parameters than this are not prepared (multi-row VALUES lists vary in length). */
const MAX_PREPARED_PARAMS = 64;
const preparedNames = new Map<string, string>();
/**
 * `DB_PREPARED_STATEMENTS=off` runs every statement unnamed: for a connection pooler in
 * transaction mode that does not track prepared statements (PgBouncer before 1.21, or without
 * `max_prepared_statements`).
 */
const PREPARE_OFF = process.env.DB_PREPARED_STATEMENTS === 'off';

/**
 * The name under which a statement text is prepared (PostgreSQL named prepared statement,
 * `pg`'s `{name, text}`), or undefined when it is not prepared. A statement with parameters is
 * parsed, analysed and planned by PostgreSQL on every run unless prepared; prepared, each
 * connection parses it once and PostgreSQL may reuse a generic plan. In the history replay's
 * profile PostgreSQL was the busiest process (0.75–1.0 of 2 cores) running a few dozen distinct
 * statement texts over and over (issue 17, issue 18 item 7). Texts are named by a hash; the first
 * {@link MAX_PREPARED_TEXTS} distinct texts of the process are prepared, later ones run unnamed.
 */
export function preparedName(text: string, paramCount: number): string | undefined {
  if (paramCount === 0 || paramCount > MAX_PREPARED_PARAMS || PREPARE_OFF) return undefined;
  let name = preparedNames.get(text);
  if (name === undefined) {
    if (preparedNames.size >= MAX_PREPARED_TEXTS) return undefined;
    name = `cad110_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    preparedNames.set(text, name);
  }
  return name;
}

/**
 * {@link Sql} over a `pg` client or pool. On a client inside `BEGIN` the statements share the
 * transaction; on a pool each statement runs on whichever connection is free (autocommit).
 */
export function sqlOf(conn: Queryable | Pick<PoolClient, 'query'>): Sql {
  const q = conn as Queryable;
  const run = (text: string, params?: readonly unknown[]) => {
    if (!params || !params.length) return q.query(text);
    const name = preparedName(text, params.length);
    return name ? q.query({ name, text, values: params as unknown[] }) : q.query(text, params as unknown[]);
  };
  return {
    query: async <R>(text: string, params?: readonly unknown[]) => (await run(text, params)).rows as R[],
    select: async <R>(text: string, params?: readonly unknown[]) => (await run(text, params)).rows.map((r) => camelRow<R>(r)),
    exec: async (text, params) => {
      const res = (await run(text, params)) as QueryResult | QueryResult[];
      // a multi-statement simple query answers one result per statement
      return Array.isArray(res) ? res.reduce((n, r) => n + (r.rowCount ?? 0), 0) : (res.rowCount ?? 0);
    },
  };
}

export interface TransactionOptions {
  /** statement timeout inside the transaction, ms (0 = none); default: the server's setting */
  statementTimeoutMs?: number;
}

/**
 * Runs `fn` in one PostgreSQL transaction on a pooled `pg` client (READ COMMITTED).
 * @param opts.statementTimeoutMs `SET LOCAL statement_timeout` for this transaction (sent with the
 *   BEGIN, no extra round trip); default: the server's setting
 * @throws RangeError for a timeout that is not a whole number of ms ≥ 0
 * @throws whatever `fn` or the database throws; the transaction is rolled back
 */
export function pgTransaction(pool: Pool, opts: TransactionOptions = {}): RunInTransaction {
  const timeout = opts.statementTimeoutMs;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 0)) throw new RangeError(`statementTimeoutMs must be a whole number of ms ≥ 0, got ${timeout}`);
  const begin = timeout === undefined ? 'BEGIN' : `BEGIN; SET LOCAL statement_timeout = ${timeout}`;
  return async <T>(fn: (tx: Sql) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    try {
      await client.query(begin);
      const result = await fn(sqlOf(client));
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

/** The {@link Db} of a pool: statements on the pool, {@link pgTransaction} for transactions. */
export function dbOf(pool: Pool, opts: TransactionOptions = {}): Db {
  return { ...sqlOf(pool), transaction: pgTransaction(pool, opts), pool };
}
