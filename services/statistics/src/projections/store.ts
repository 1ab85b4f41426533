/**
 * Reading and writing statistics' projection rows with plain SQL, for both the live consumer
 * (inside its Prisma transaction) and the rebuild (a pg client, bulk inserts).
 */
import type { PoolClient } from 'pg';
import { sqlTxOf, type SqlTx } from '@cad110/eventstore';
import type { CallFactRow, CaseFactRow, DutyLevelRow, IncidentFactRow, SummaryKeys, UnitStateRow } from './fold';

/** The two calls statistics needs from a SQL connection. */
export interface Sql {
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  exec(text: string, params?: unknown[]): Promise<number>;
}

/** A {@link SqlTx} (a Prisma client or transaction, or libs/eventstore's pg transaction) as {@link Sql}. */
export function prismaSql(tx: SqlTx): Sql {
  return {
    query: <T>(text: string, params: unknown[] = []) => tx.$queryRawUnsafe<T[]>(text, ...params),
    exec: (text: string, params: unknown[] = []) => tx.$executeRawUnsafe(text, ...params),
  };
}

/** A pg client or pool as {@link Sql}. */
export function pgSql(client: Pick<PoolClient, 'query'>): Sql {
  return prismaSql(sqlTxOf(client));
}

type PgType = 'uuid' | 'text' | 'boolean' | 'int' | 'float8' | 'timestamptz' | 'text[]' | 'bigint';
type Col<R> = readonly [keyof R & string, string, PgType];

/** A table's columns: row field, column name, PostgreSQL type. */
export interface TableSpec<R> {
  table: string;
  key: (keyof R & string)[];
  cols: readonly Col<R>[];
}

export const CALL_FACTS: TableSpec<CallFactRow> = {
  table: 'call_facts',
  key: ['callId'],
  cols: [
    ['callId', 'call_id', 'uuid'],
    ['received', 'received', 'boolean'],
    ['answeredAt', 'answered_at', 'timestamptz'],
    ['ringingAt', 'ringing_at', 'timestamptz'],
    ['localDay', 'local_day', 'text'],
    ['localHour', 'local_hour', 'int'],
    ['hourOfWeek', 'hour_of_week', 'int'],
    ['channel', 'channel', 'text'],
    ['kind', 'kind', 'text'],
    ['category', 'category', 'text'],
    ['subtype', 'subtype', 'text'],
    ['priority', 'priority', 'int'],
    ['flags', 'flags', 'text[]'],
    ['twoRob', 'two_rob', 'boolean'],
    ['classifiedAt', 'classified_at', 'timestamptz'],
    ['district', 'district', 'text'],
    ['beat', 'beat', 'text'],
    ['lat', 'lat', 'float8'],
    ['lon', 'lon', 'float8'],
    ['h3Cell', 'h3_cell', 'text'],
    ['cancelled', 'cancelled', 'boolean'],
    ['duplicate', 'duplicate', 'boolean'],
    ['incidentId', 'incident_id', 'uuid'],
    ['dispatchedAt', 'dispatched_at', 'timestamptz'],
    ['onSceneAt', 'on_scene_at', 'timestamptz'],
    ['answerS', 'answer_s', 'float8'],
    ['processingS', 'processing_s', 'float8'],
    ['travelS', 'travel_s', 'float8'],
    ['totalS', 'total_s', 'float8'],
  ],
};

export const INCIDENT_FACTS: TableSpec<IncidentFactRow> = {
  table: 'incident_facts',
  key: ['incidentId'],
  cols: [
    ['incidentId', 'incident_id', 'uuid'],
    ['callId', 'call_id', 'uuid'],
    ['openedAt', 'opened_at', 'timestamptz'],
    ['dispatchedAt', 'dispatched_at', 'timestamptz'],
    ['onSceneAt', 'on_scene_at', 'timestamptz'],
  ],
};

export const CASE_FACTS: TableSpec<CaseFactRow> = {
  table: 'case_facts',
  key: ['caseId'],
  cols: [
    ['caseId', 'case_id', 'uuid'],
    ['callId', 'call_id', 'uuid'],
    ['incidentId', 'incident_id', 'uuid'],
    ['openedAt', 'opened_at', 'timestamptz'],
    ['category', 'category', 'text'],
    ['subtype', 'subtype', 'text'],
    ['district', 'district', 'text'],
    ['codes', 'codes', 'text[]'],
    ['suspectsCaught', 'suspects_caught', 'int'],
    ['peopleRescued', 'people_rescued', 'int'],
    ['dispositionAt', 'disposition_at', 'timestamptz'],
    ['dispositionDay', 'disposition_day', 'text'],
  ],
};

export const UNIT_STATES: TableSpec<UnitStateRow> = {
  table: 'unit_states',
  key: ['unitId'],
  cols: [
    ['unitId', 'unit_id', 'text'],
    ['status', 'status', 'text'],
    ['at', 'at', 'timestamptz'],
    ['incidentId', 'incident_id', 'uuid'],
  ],
};

export const DUTY_LEVELS: TableSpec<DutyLevelRow> = {
  table: 'duty_levels',
  key: ['district'],
  cols: [
    ['district', 'district', 'text'],
    ['level', 'level', 'text'],
    ['at', 'at', 'timestamptz'],
  ],
};

export interface MinuteCountRow {
  topic: string;
  minute: string;
  events: number;
}

export const TOPIC_MINUTE_COUNTS: TableSpec<MinuteCountRow> = {
  table: 'topic_minute_counts',
  key: ['topic', 'minute'],
  cols: [
    ['topic', 'topic', 'text'],
    ['minute', 'minute', 'timestamptz'],
    ['events', 'events', 'int'],
  ],
};

type DayKey = SummaryKeys['day'] & { calls: number };
type MonthKey = SummaryKeys['month'] & { calls: number };
type HourTotalKey = SummaryKeys['hourTotal'] & { calls: number };
export interface CaseCountRow {
  dispositionDay: string;
  district: string;
  category: string;
  cases: number;
  mediated: number;
  rescued: number;
  caught: number;
}
type HourKey = SummaryKeys['hour'] & { calls: number };
type BeatKey = SummaryKeys['beat'] & { calls: number };

/** Summary columns shared by several call-count tables. */
const DIM = {
  localDay: ['localDay', 'local_day', 'text'],
  localHour: ['localHour', 'local_hour', 'int'],
  district: ['district', 'district', 'text'],
  beat: ['beat', 'beat', 'text'],
  category: ['category', 'category', 'text'],
  subtype: ['subtype', 'subtype', 'text'],
  kind: ['kind', 'kind', 'text'],
  incident: ['incident', 'incident', 'boolean'],
  twoRob: ['twoRob', 'two_rob', 'boolean'],
} as const;

/** A call-count summary table: the key columns, then the count `calls`. */
function callCounts<R extends { calls: number }>(table: string, key: readonly (readonly [string, string, PgType])[]): TableSpec<R> {
  return { table, key: key.map(([f]) => f) as (keyof R & string)[], cols: [...key, ['calls', 'calls', 'int']] as unknown as Col<R>[] };
}

const DETAIL = [DIM.district, DIM.category, DIM.subtype, DIM.kind, DIM.incident, DIM.twoRob] as const;
export const COUNTS_DAY = callCounts<DayKey>('call_counts_day', [DIM.localDay, ...DETAIL]);
export const COUNTS_MONTH = callCounts<MonthKey>('call_counts_month', [['localMonth', 'local_month', 'text'], ...DETAIL]);
export const COUNTS_HOUR_TOTAL = callCounts<HourTotalKey>('call_counts_hour_total', [DIM.localDay, DIM.localHour]);
export const COUNTS_HOUR = callCounts<HourKey>('call_counts_hour', [DIM.localDay, DIM.localHour, DIM.district, DIM.category, DIM.incident, DIM.twoRob]);
export const COUNTS_BEAT = callCounts<BeatKey>('call_counts_beat', [DIM.localDay, DIM.district, DIM.beat, DIM.category, DIM.incident, DIM.twoRob]);

export const CASE_COUNTS_DAY: TableSpec<CaseCountRow> = {
  table: 'case_counts_day',
  key: ['dispositionDay', 'district', 'category'],
  cols: [
    ['dispositionDay', 'disposition_day', 'text'],
    ['district', 'district', 'text'],
    ['category', 'category', 'text'],
    ['cases', 'cases', 'int'],
    ['mediated', 'mediated', 'int'],
    ['rescued', 'rescued', 'int'],
    ['caught', 'caught', 'int'],
  ],
};

/** Every projection table (what a rebuild truncates), in the order it is written. */
export const PROJECTION_TABLES = [
  'call_facts',
  'incident_facts',
  'case_facts',
  'unit_states',
  'duty_levels',
  'topic_minute_counts',
  'call_counts_day',
  'call_counts_hour',
  'call_counts_beat',
  'call_counts_month',
  'call_counts_hour_total',
  'case_counts_day',
] as const;

function toParam(v: unknown, type: PgType): unknown {
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
  const cols = spec.cols;
  const keyCols = spec.key.map((k) => cols.find(([f]) => f === k)![1]);
  const rows = await sql.query<Record<string, unknown>>(
    `INSERT INTO ${spec.table} AS t (${cols.map(([, c]) => `"${c}"`).join(', ')}) VALUES (${cols.map(([, , t], i) => `$${i + 1}::${t}`).join(', ')})
     ON CONFLICT (${keyCols.map((c) => `"${c}"`).join(', ')}) DO UPDATE SET "${keyCols[0]}" = t."${keyCols[0]}"
     RETURNING ${cols.map(([, c]) => `t."${c}"`).join(', ')}`,
    cols.map(([f, , t]) => toParam(empty[f as keyof R], t)),
  );
  return rowFromDb(spec, rows[0]!);
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
  const sorted = [...rows].sort(byKey(spec.key as string[], (r) => r as Record<string, unknown>));
  const params: unknown[] = [];
  const values = sorted.map((row) => `(${cols.map(([f, , t]) => `$${params.push(toParam(row[f as keyof R], t))}::${t}`).join(', ')})`);
  await sql.exec(
    `INSERT INTO ${spec.table} (${cols.map(([, c]) => `"${c}"`).join(', ')}) VALUES ${values.join(', ')}
     ON CONFLICT (${keyCols.map((c) => `"${c}"`).join(', ')}) DO UPDATE SET ${set.join(', ')} WHERE ${condition}`,
    params,
  );
}

/** Orders rows by the JSON text of their key values (any fixed total order does). */
function byKey<T>(key: readonly string[], get: (x: T) => Record<string, unknown>): (a: T, b: T) => number {
  const text = (x: T) => JSON.stringify(key.map((k) => get(x)[k] ?? null));
  return (a, b) => {
    const [ta, tb] = [text(a), text(b)];
    return ta < tb ? -1 : ta > tb ? 1 : 0;
  };
}

/**
 * Adds (`sign` +1) or subtracts (−1) `values` to the summary row with the given key. The first
 * value column is the row's count: a row is created on the first addition and deleted when its
 * count would reach 0 (so the live tables hold exactly the rows a rebuild computes).
 */
export async function bumpSummary<R>(sql: Sql, spec: TableSpec<R>, key: Partial<R>, values: Partial<Record<keyof R & string, number>>, sign: 1 | -1): Promise<void> {
  await applySummaryChanges(sql, [{ spec, key: key as Record<string, unknown>, values: values as Record<string, number>, sign }]);
}

/** One summary change: add (+1) or subtract (−1) `values` at `key` of the table `spec`. */
export interface SummaryChange {
  spec: TableSpec<any>;
  key: Record<string, unknown>;
  values: Record<string, number>;
  sign: 1 | -1;
}

/**
 * Applies summary changes with the semantics of {@link bumpSummary}. The changes are first
 * netted per row (a +1 and a −1 of one row cancel; a row whose every value nets to 0 is not
 * touched), then written table by table in table-name order, each table in ONE upsert
 * (`value = value + delta`, row-locked and re-read under concurrent transactions, so no change
 * is lost) with the rows in key order: every transaction takes the summary rows' locks in the
 * same order, so chunks applied concurrently (three partitions) cannot deadlock on them. Rows
 * whose count reached 0 are then deleted in the same transaction (one statement per table, only
 * when a count went down).
 */
export async function applySummaryChanges(sql: Sql, changes: readonly SummaryChange[]): Promise<void> {
  const tables = new Map<string, { spec: TableSpec<any>; rows: Map<string, { key: Record<string, unknown>; delta: Record<string, number> }> }>();
  for (const ch of changes) {
    const t = tables.get(ch.spec.table) ?? tables.set(ch.spec.table, { spec: ch.spec, rows: new Map() }).get(ch.spec.table)!;
    const id = JSON.stringify(ch.spec.key.map((k) => ch.key[k] ?? null));
    const row = t.rows.get(id) ?? t.rows.set(id, { key: ch.key, delta: {} }).get(id)!;
    for (const [f] of ch.spec.cols.filter(([f]) => !ch.spec.key.includes(f))) row.delta[f] = (row.delta[f] ?? 0) + ch.sign * (ch.values[f] ?? 0);
  }
  for (const table of [...tables.keys()].sort()) {
    const { spec, rows } = tables.get(table)!;
    const keyCols = spec.cols.filter(([f]) => spec.key.includes(f));
    const valCols = spec.cols.filter(([f]) => !spec.key.includes(f));
    const [counterField, counter] = valCols[0]!;
    const live = [...rows].filter(([, r]) => Object.values(r.delta).some((v) => v !== 0)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (live.length === 0) continue;
    const params: unknown[] = [];
    const p = (v: unknown, t: string) => `$${params.push(v)}::${t}`;
    const values = live.map(([, r]) => `(${[...keyCols.map(([f, , t]) => p(toParam(r.key[f], t), t)), ...valCols.map(([f]) => p(r.delta[f] ?? 0, 'int'))].join(', ')})`);
    await sql.exec(
      `INSERT INTO ${table} AS x (${[...keyCols, ...valCols].map(([, c]) => `"${c}"`).join(', ')}) VALUES ${values.join(', ')}
       ON CONFLICT (${keyCols.map(([, c]) => `"${c}"`).join(', ')}) DO UPDATE SET ${valCols.map(([, c]) => `"${c}" = x."${c}" + excluded."${c}"`).join(', ')}`,
      params,
    );
    const down = live.filter(([, r]) => (r.delta[counterField] ?? 0) < 0);
    if (down.length === 0) continue;
    const dp: unknown[] = [];
    const tuples = down.map(([, r]) => `(${keyCols.map(([f, , t]) => `$${dp.push(toParam(r.key[f], t))}::${t}`).join(', ')})`);
    await sql.exec(`DELETE FROM ${table} WHERE "${counter}" <= 0 AND (${keyCols.map(([, c]) => `"${c}"`).join(', ')}) IN (${tuples.join(', ')})`, dp);
  }
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

/** Every projection table's spec, for dumps and bulk loads. */
export const ALL_SPECS = {
  callFacts: CALL_FACTS,
  incidentFacts: INCIDENT_FACTS,
  caseFacts: CASE_FACTS,
  unitStates: UNIT_STATES,
  dutyLevels: DUTY_LEVELS,
  topicMinuteCounts: TOPIC_MINUTE_COUNTS,
  countsDay: COUNTS_DAY,
  countsHour: COUNTS_HOUR,
  countsBeat: COUNTS_BEAT,
  countsMonth: COUNTS_MONTH,
  countsHourTotal: COUNTS_HOUR_TOTAL,
  caseCountsDay: CASE_COUNTS_DAY,
} as const;
