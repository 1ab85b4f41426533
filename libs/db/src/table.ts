/**
 * Tables described once ({@link TableSpec}: row field, column, PostgreSQL type) and written many
 * rows per statement on {@link Sql}: a multi-row upsert in key order ({@link upsertRows}), an
 * `unnest` insert of one array per column ({@link bulkInsert}), typed reads. Rows carry times as
 * UTC ISO-8601 strings and numbers as numbers (what a fold produces), whatever `pg` returns.
 * Used by statistics' projections; table and column names come from code, never from input.
 */
import type { Sql } from './sql';

export type PgType = 'uuid' | 'text' | 'boolean' | 'int' | 'float8' | 'timestamptz' | 'text[]' | 'bigint';
export type Col<R> = readonly [keyof R & string, string, PgType];

/** A table's columns: row field, column name, PostgreSQL type. */
export interface TableSpec<R> {
  table: string;
  key: (keyof R & string)[];
  cols: readonly Col<R>[];
}

/** A row value as the parameter of a column of `type` (Date → ISO-8601; null stays null). */
export function toParam(v: unknown, type: PgType): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'timestamptz') return typeof v === 'string' ? v : (v as Date).toISOString();
  return v;
}

function fromDb(v: unknown, type: PgType): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'timestamptz') return (v instanceof Date ? v : new Date(String(v))).toISOString();
  if (type === 'float8' || type === 'int') return Number(v);
  return v;
}

function selectList<R>(spec: TableSpec<R>): string {
  return spec.cols.map(([, c]) => `"${c}"`).join(', ');
}

/** Converts a database row (column names) to a projection row (field names, ISO times). */
export function rowFromDb<R>(spec: TableSpec<R>, raw: Record<string, unknown>): R {
  const out: Record<string, unknown> = {};
  for (const [f, c, t] of spec.cols) out[f] = fromDb(raw[c], t);
  return out as R;
}

/**
 * Locks the row with the given key for update, creating it from `empty` first when missing, in
 * one statement (an upsert that rewrites the key of an existing row and returns it locked).
 * @returns the current row
 */
export async function lockRow<R>(sql: Sql, spec: TableSpec<R>, empty: R): Promise<R> {
  return (await lockRows(sql, spec, [empty]))[0]!;
}

/**
 * {@link lockRow} for many rows in one statement: each row with the key of one of `empties` is
 * locked for update, created from it first when missing. Rows are locked in key order (as
 * {@link upsertRows} writes), so concurrent transactions cannot deadlock on them.
 * @param empties rows with distinct keys
 * @returns the current rows, in key order
 */
export async function lockRows<R>(sql: Sql, spec: TableSpec<R>, empties: readonly R[]): Promise<R[]> {
  if (empties.length === 0) return [];
  const cols = spec.cols;
  const keyCols = spec.key.map((k) => cols.find(([f]) => f === k)![1]);
  const { values, params } = valuesList(spec, empties);
  const rows = await sql.query<Record<string, unknown>>(
    `INSERT INTO ${spec.table} AS t (${cols.map(([, c]) => `"${c}"`).join(', ')}) VALUES ${values}
     ON CONFLICT (${keyCols.map((c) => `"${c}"`).join(', ')}) DO UPDATE SET "${keyCols[0]}" = t."${keyCols[0]}"
     RETURNING ${cols.map(([, c]) => `t."${c}"`).join(', ')}`,
    params,
  );
  return rows.map((r) => rowFromDb(spec, r)).sort(byKey(spec.key as string[], (r) => r as Record<string, unknown>));
}

/** The `VALUES` list of rows in key order (one typed parameter per column) and its parameters. */
function valuesList<R>(spec: TableSpec<R>, rows: readonly R[]): { values: string; params: unknown[] } {
  const sorted = [...rows].sort(byKey(spec.key as string[], (r) => r as Record<string, unknown>));
  const params: unknown[] = [];
  const values = sorted.map((row) => `(${spec.cols.map(([f, , t]) => `$${params.push(toParam(row[f as keyof R], t))}::${t}`).join(', ')})`).join(', ');
  return { values, params };
}

/** Reads the row with the given key values (no lock), or undefined. */
export async function readRow<R>(sql: Sql, spec: TableSpec<R>, key: Partial<R>): Promise<R | undefined> {
  const keyCols = spec.key.map((k) => spec.cols.find(([f]) => f === k)!);
  const rows = await sql.query<Record<string, unknown>>(
    `SELECT ${selectList(spec)} FROM ${spec.table} WHERE ${keyCols.map(([, c, t], i) => `"${c}" = $${i + 1}::${t}`).join(' AND ')}`,
    keyCols.map(([f, , t]) => toParam(key[f as keyof R], t)),
  );
  return rows[0] ? rowFromDb(spec, rows[0]) : undefined;
}

/**
 * Inserts or replaces rows (distinct keys) only where `condition` holds against the stored row
 * (SQL condition on `excluded` and the table), e.g. a later status time. One statement; rows go
 * in key order, so concurrent transactions lock shared rows in the same order.
 */
export async function upsertRows<R>(sql: Sql, spec: TableSpec<R>, rows: readonly R[], condition = 'TRUE'): Promise<void> {
  if (rows.length === 0) return;
  const cols = spec.cols;
  const keyCols = spec.key.map((k) => cols.find(([f]) => f === k)![1]);
  const set = cols.filter(([f]) => !spec.key.includes(f)).map(([, c]) => `"${c}" = excluded."${c}"`);
  const { values, params } = valuesList(spec, rows);
  await sql.exec(
    `INSERT INTO ${spec.table} (${cols.map(([, c]) => `"${c}"`).join(', ')}) VALUES ${values}
     ON CONFLICT (${keyCols.map((c) => `"${c}"`).join(', ')}) DO UPDATE SET ${set.join(', ')} WHERE ${condition}`,
    params,
  );
}

/** Orders rows by the JSON text of their key values (any fixed total order does). */
export function byKey<T>(key: readonly string[], get: (x: T) => Record<string, unknown>): (a: T, b: T) => number {
  const text = (x: T) => JSON.stringify(key.map((k) => get(x)[k] ?? null));
  return (a, b) => {
    const [ta, tb] = [text(a), text(b)];
    return ta < tb ? -1 : ta > tb ? 1 : 0;
  };
}

/**
 * Bulk-inserts rows with one `INSERT ... SELECT FROM unnest(...)` per chunk (text[] columns
 * travel as JSON text). Used by the rebuild on a fresh, truncated table.
 */
export async function bulkInsert<R>(sql: Sql, spec: TableSpec<R>, rows: readonly R[], chunk = 5000): Promise<void> {
  const cols = spec.cols;
  const select = cols.map(([, , t], i) => (t === 'text[]' ? `ARRAY(SELECT jsonb_array_elements_text(c${i}::jsonb))` : `c${i}`)).join(', ');
  const unnest = cols.map(([, , t], i) => `$${i + 1}::${t === 'text[]' ? 'text' : t}[]`).join(', ');
  const text = `INSERT INTO ${spec.table} (${cols.map(([, c]) => `"${c}"`).join(', ')}) SELECT ${select} FROM unnest(${unnest}) AS u(${cols.map((_, i) => `c${i}`).join(', ')})`;
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk);
    const params = cols.map(([f, , t]) => part.map((r) => (t === 'text[]' ? JSON.stringify(r[f as keyof R] ?? []) : toParam(r[f as keyof R], t))));
    await sql.exec(text, params);
  }
}

/** Every row of a table ordered by its key, as projection rows (for comparisons). */
export async function dumpTable<R>(sql: Sql, spec: TableSpec<R>): Promise<R[]> {
  const keyCols = spec.key.map((k) => spec.cols.find(([f]) => f === k)![1]);
  const rows = await sql.query<Record<string, unknown>>(`SELECT ${selectList(spec)} FROM ${spec.table} ORDER BY ${keyCols.map((c) => `"${c}"`).join(', ')}`);
  return rows.map((r) => rowFromDb(spec, r));
}

