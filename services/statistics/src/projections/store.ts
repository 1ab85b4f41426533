/**
 * Reading and writing statistics' projection rows with plain SQL, for both the live consumer
 * (inside its Prisma transaction) and the rebuild (a pg client, bulk inserts).
 */
import type { PoolClient } from 'pg';
import type { CallFactRow, CaseFactRow, DutyLevelRow, IncidentFactRow, SummaryKeys, UnitStateRow } from './fold';

/** The two calls statistics needs from a SQL connection. */
export interface Sql {
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  exec(text: string, params?: unknown[]): Promise<number>;
}

/** A Prisma transaction (or client) as {@link Sql}. */
export function prismaSql(tx: { $queryRawUnsafe<T>(q: string, ...v: unknown[]): Promise<T>; $executeRawUnsafe(q: string, ...v: unknown[]): Promise<number> }): Sql {
  return {
    query: <T>(text: string, params: unknown[] = []) => tx.$queryRawUnsafe<T[]>(text, ...params),
    exec: (text: string, params: unknown[] = []) => tx.$executeRawUnsafe(text, ...params),
  };
}

/** A pg client as {@link Sql}. */
export function pgSql(client: Pick<PoolClient, 'query'>): Sql {
  return {
    query: async <T>(text: string, params: unknown[] = []) => (await client.query(text, params)).rows as T[],
    exec: async (text: string, params: unknown[] = []) => (await client.query(text, params)).rowCount ?? 0,
  };
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

export const COUNTS_DAY: TableSpec<DayKey> = {
  table: 'call_counts_day',
  key: ['localDay', 'district', 'category', 'subtype', 'kind', 'incident', 'twoRob'],
  cols: [
    ['localDay', 'local_day', 'text'],
    ['district', 'district', 'text'],
    ['category', 'category', 'text'],
    ['subtype', 'subtype', 'text'],
    ['kind', 'kind', 'text'],
    ['incident', 'incident', 'boolean'],
    ['twoRob', 'two_rob', 'boolean'],
    ['calls', 'calls', 'int'],
  ],
};

export const COUNTS_MONTH: TableSpec<MonthKey> = {
  table: 'call_counts_month',
  key: ['localMonth', 'district', 'category', 'subtype', 'kind', 'incident', 'twoRob'],
  cols: [
    ['localMonth', 'local_month', 'text'],
    ['district', 'district', 'text'],
    ['category', 'category', 'text'],
    ['subtype', 'subtype', 'text'],
    ['kind', 'kind', 'text'],
    ['incident', 'incident', 'boolean'],
    ['twoRob', 'two_rob', 'boolean'],
    ['calls', 'calls', 'int'],
  ],
};

export const COUNTS_HOUR_TOTAL: TableSpec<HourTotalKey> = {
  table: 'call_counts_hour_total',
  key: ['localDay', 'localHour'],
  cols: [
    ['localDay', 'local_day', 'text'],
    ['localHour', 'local_hour', 'int'],
    ['calls', 'calls', 'int'],
  ],
};

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

export const COUNTS_HOUR: TableSpec<HourKey> = {
  table: 'call_counts_hour',
  key: ['localDay', 'localHour', 'district', 'category', 'incident', 'twoRob'],
  cols: [
    ['localDay', 'local_day', 'text'],
    ['localHour', 'local_hour', 'int'],
    ['district', 'district', 'text'],
    ['category', 'category', 'text'],
    ['incident', 'incident', 'boolean'],
    ['twoRob', 'two_rob', 'boolean'],
    ['calls', 'calls', 'int'],
  ],
};

export const COUNTS_BEAT: TableSpec<BeatKey> = {
  table: 'call_counts_beat',
  key: ['localDay', 'district', 'beat', 'category', 'incident', 'twoRob'],
  cols: [
    ['localDay', 'local_day', 'text'],
    ['district', 'district', 'text'],
    ['beat', 'beat', 'text'],
    ['category', 'category', 'text'],
    ['incident', 'incident', 'boolean'],
    ['twoRob', 'two_rob', 'boolean'],
    ['calls', 'calls', 'int'],
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

/** Writes every non-key column of an existing row. */
export async function saveRow<R>(sql: Sql, spec: TableSpec<R>, row: R): Promise<void> {
  const params = spec.cols.map(([f, , t]) => toParam(row[f as keyof R], t));
  const idx = (f: string) => spec.cols.findIndex(([x]) => x === f) + 1;
  const set = spec.cols.filter(([f]) => !spec.key.includes(f)).map(([f, c, t]) => `"${c}" = $${idx(f)}::${t}`);
  const where = spec.key.map((k) => {
    const [, c, t] = spec.cols.find(([f]) => f === k)!;
    return `"${c}" = $${idx(k)}::${t}`;
  });
  await sql.exec(`UPDATE ${spec.table} SET ${set.join(', ')} WHERE ${where.join(' AND ')}`, params);
}

/**
 * Inserts or replaces a row only when `newer` holds against the stored row (SQL condition on
 * `excluded` and the table), e.g. a later status time.
 */
export async function upsertRow<R>(sql: Sql, spec: TableSpec<R>, row: R, condition = 'TRUE'): Promise<void> {
  const cols = spec.cols;
  const keyCols = spec.key.map((k) => cols.find(([f]) => f === k)![1]);
  const set = cols.filter(([f]) => !spec.key.includes(f)).map(([, c]) => `"${c}" = excluded."${c}"`);
  await sql.exec(
    `INSERT INTO ${spec.table} (${cols.map(([, c]) => `"${c}"`).join(', ')}) VALUES (${cols.map(([, , t], i) => `$${i + 1}::${t}`).join(', ')})
     ON CONFLICT (${keyCols.map((c) => `"${c}"`).join(', ')}) DO UPDATE SET ${set.join(', ')} WHERE ${condition}`,
    cols.map(([f, , t]) => toParam(row[f as keyof R], t)),
  );
}

/**
 * Adds (`sign` +1) or subtracts (−1) `values` to the summary row with the given key. The first
 * value column is the row's count: a row is created on the first addition and deleted when its
 * count would reach 0 (so the live tables hold exactly the rows a rebuild computes).
 */
export async function bumpSummary<R>(sql: Sql, spec: TableSpec<R>, key: Partial<R>, values: Partial<Record<keyof R & string, number>>, sign: 1 | -1): Promise<void> {
  const keyCols = spec.cols.filter(([f]) => spec.key.includes(f));
  const valCols = spec.cols.filter(([f]) => !spec.key.includes(f));
  const counter = valCols[0]![1];
  const params = keyCols.map(([f, , t]) => toParam((key as Record<string, unknown>)[f], t));
  const vals = valCols.map(([f]) => (values as Record<string, number>)[f] ?? 0);
  const cond = keyCols.map(([, c, t], i) => `"${c}" = $${i + 1}::${t}`).join(' AND ');
  const vIdx = (i: number) => `$${keyCols.length + i + 1}::int`;
  if (sign > 0) {
    await sql.exec(
      `INSERT INTO ${spec.table} AS t (${[...keyCols, ...valCols].map(([, c]) => `"${c}"`).join(', ')}) VALUES (${keyCols.map(([, , t], i) => `$${i + 1}::${t}`).join(', ')}, ${valCols.map((_, i) => vIdx(i)).join(', ')})
       ON CONFLICT (${keyCols.map(([, c]) => `"${c}"`).join(', ')}) DO UPDATE SET ${valCols.map(([, c]) => `"${c}" = t."${c}" + excluded."${c}"`).join(', ')}`,
      [...params, ...vals],
    );
    return;
  }
  // one unconditional UPDATE (it locks the row and re-reads it under concurrent updates), then
  // delete the row while still holding the lock when its count reached 0
  const rows = await sql.query<{ n: number }>(`UPDATE ${spec.table} SET ${valCols.map(([, c], i) => `"${c}" = "${c}" - ${vIdx(i)}`).join(', ')} WHERE ${cond} RETURNING "${counter}" AS n`, [...params, ...vals]);
  if (rows[0] && Number(rows[0].n) <= 0) await sql.exec(`DELETE FROM ${spec.table} WHERE ${cond}`, params);
}

/** One summary change: add (+1) or subtract (−1) `values` at `key` of the table `spec`. */
export interface SummaryChange {
  spec: TableSpec<any>;
  key: Record<string, unknown>;
  values: Record<string, number>;
  sign: 1 | -1;
}

/**
 * Applies several summary changes (to different rows) in one statement of data-modifying CTEs,
 * with the semantics of {@link bumpSummary}: additions are upserts; each subtraction is one
 * unconditional UPDATE (row-locked and re-read under concurrent updates, so no decrement is
 * lost), and rows whose count reached 0 are deleted afterwards in the same transaction.
 */
export async function applySummaryChanges(sql: Sql, changes: readonly SummaryChange[]): Promise<void> {
  if (changes.length === 0) return;
  const params: unknown[] = [];
  const p = (v: unknown, t: string) => {
    params.push(v);
    return `$${params.length}::${t}`;
  };
  const ctes: string[] = [];
  const outputs: string[] = [];
  changes.forEach((ch, n) => {
    const spec = ch.spec;
    const keyCols = spec.cols.filter(([f]) => spec.key.includes(f));
    const valCols = spec.cols.filter(([f]) => !spec.key.includes(f));
    const counter = valCols[0]![1];
    const keyRefs = keyCols.map(([f, c, t]) => [c, p(toParam(ch.key[f], t), t)] as const);
    const valRefs = valCols.map(([f, c]) => [c, p(ch.values[f] ?? 0, 'int')] as const);
    if (ch.sign > 0) {
      ctes.push(`c${n} AS (INSERT INTO ${spec.table} AS x (${[...keyRefs, ...valRefs].map(([c]) => `"${c}"`).join(', ')}) VALUES (${[...keyRefs, ...valRefs].map(([, r]) => r).join(', ')})
          ON CONFLICT (${keyRefs.map(([c]) => `"${c}"`).join(', ')}) DO UPDATE SET ${valRefs.map(([c]) => `"${c}" = x."${c}" + excluded."${c}"`).join(', ')} RETURNING 1)`);
    } else {
      ctes.push(`c${n} AS (UPDATE ${spec.table} SET ${valRefs.map(([c, r]) => `"${c}" = "${c}" - ${r}`).join(', ')} WHERE ${keyRefs.map(([c, r]) => `"${c}" = ${r}`).join(' AND ')} RETURNING "${counter}" AS n)`);
      outputs.push(`SELECT ${n} AS i, n FROM c${n}`);
    }
  });
  const rows = await sql.query<{ i: number; n: number }>(`WITH ${ctes.join(',\n')} ${outputs.length ? outputs.join(' UNION ALL ') : 'SELECT NULL::int AS i, NULL::int AS n WHERE FALSE'}`, params);
  for (const r of rows) {
    if (Number(r.n) > 0) continue;
    const ch = changes[Number(r.i)]!;
    const keyCols = ch.spec.cols.filter(([f]) => ch.spec.key.includes(f));
    await sql.exec(`DELETE FROM ${ch.spec.table} WHERE ${keyCols.map(([, c, t], i) => `"${c}" = $${i + 1}::${t}`).join(' AND ')}`, keyCols.map(([f, , t]) => toParam(ch.key[f], t)));
  }
}

/** Adds one event to the per-topic, per-minute throughput count. */
export async function bumpMinute(sql: Sql, topic: string, minute: string): Promise<void> {
  await sql.exec(
    `INSERT INTO topic_minute_counts (topic, minute, events) VALUES ($1, $2::timestamptz, 1)
     ON CONFLICT (topic, minute) DO UPDATE SET events = topic_minute_counts.events + 1`,
    [topic, minute],
  );
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
