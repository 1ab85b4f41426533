/**
 * Statistics' projection tables as {@link TableSpec}s (the table helpers are libs/db's
 * `table.ts`, re-exported here) and the summary counters: {@link applySummaryChanges} nets a
 * transaction's +1/−1 changes and writes each summary table in one upsert. Used by both the live
 * consumer (inside its transaction) and the rebuild (a pg client, bulk inserts).
 */
import { CombinedWrites, toParam, type Col, type PgType, type Sql, type TableSpec } from '@cad110/db';
import type { CallFactRow, CaseFactRow, DutyLevelRow, IncidentFactRow, SummaryKeys, UnitStateRow } from './fold';
import { RESPONSE_HIST } from './response-hist';
import type { SummaryChange } from './summary-change';

export type { SummaryChange };

export type { Sql, TableSpec };
export { bulkInsert, dumpTable, lockRow, lockRows, readRow, rowFromDb, upsertRows } from '@cad110/db';

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
    ['sourceCode', 'source_code', 'text'],
    ['sourceGroup', 'source_group', 'text'],
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
  sourceCode: ['sourceCode', 'source_code', 'text'],
  sourceGroup: ['sourceGroup', 'source_group', 'text'],
} as const;

/** A call-count summary table: the key columns, then the count `calls`. */
function callCounts<R extends { calls: number }>(table: string, key: readonly (readonly [string, string, PgType])[]): TableSpec<R> {
  return { table, key: key.map(([f]) => f) as (keyof R & string)[], cols: [...key, ['calls', 'calls', 'int']] as unknown as Col<R>[] };
}

const DETAIL = [DIM.district, DIM.category, DIM.subtype, DIM.kind, DIM.incident, DIM.twoRob, DIM.sourceCode, DIM.sourceGroup] as const;
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
  'response_hist',
] as const;

/**
 * Adds (`sign` +1) or subtracts (−1) `values` to the summary row with the given key. The first
 * value column is the row's count: a row is created on the first addition and deleted when its
 * count would reach 0 (so the live tables hold exactly the rows a rebuild computes).
 */
export async function bumpSummary<R>(sql: Sql, spec: TableSpec<R>, key: Partial<R>, values: Partial<Record<keyof R & string, number>>, sign: 1 | -1): Promise<void> {
  await applySummaryChanges(sql, [{ spec, key: key as Record<string, unknown>, values: values as Record<string, number>, sign }]);
}

/**
 * Applies summary changes with the semantics of {@link bumpSummary}. The changes are first
 * netted per row (a +1 and a −1 of one row cancel; a row whose every value nets to 0 is not
 * touched), then written table by table in table-name order, each table in ONE upsert
 * (`value = value + delta`, row-locked and re-read under concurrent transactions, so no change
 * is lost) with the rows in key order: every transaction takes the summary rows' locks in the
 * same order, so chunks applied concurrently (three partitions) cannot deadlock on them. Rows
 * whose count reached 0 are then deleted in the same transaction (one statement per table, only
 * when a count went down), through `deletions` when given: a caller that collects the upserts
 * into one statement (libs/db `CombinedWrites`) passes a later one, since the deletions must see
 * the upserts' counts.
 */
export async function applySummaryChanges(sql: Sql, changes: readonly SummaryChange[], deletions: Sql = sql): Promise<void> {
  // in the same combined statement the deletions would see the counts before the upserts and delete nothing
  if (sql instanceof CombinedWrites && deletions === sql) throw new Error('applySummaryChanges: pass the deletions a later statement than the combined upserts');
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
    await deletions.exec(`DELETE FROM ${table} WHERE "${counter}" <= 0 AND (${keyCols.map(([, c]) => `"${c}"`).join(', ')}) IN (${tuples.join(', ')})`, dp);
  }
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
  responseHist: RESPONSE_HIST,
} as const;
