import type { EventEnvelope, EventRegistry } from '@cad110/contracts';
import { CombinedWrites, type RunInTransaction, type Sql } from '@cad110/db';
import type { MessageContext } from '@cad110/kafka';
import { applyEvent, type ProjectionTarget } from './apply';
import { applyDutyLevel, applyUnitStatus, CALL_ROW_EVENTS, CASE_ROW_EVENTS, caseSummary, emptyCall, emptyCase, emptyIncident, incidentIdOf, summaryKeys, SUMMARY_PARTS, type CallFactRow, type CaseFactRow, type DutyLevelRow, type ProjectionConfig, type UnitStateRow } from './fold';
import {
  applySummaryChanges,
  CALL_FACTS,
  CASE_COUNTS_DAY,
  CASE_FACTS,
  COUNTS_BEAT,
  COUNTS_DAY,
  COUNTS_HOUR,
  COUNTS_HOUR_TOTAL,
  COUNTS_MONTH,
  DUTY_LEVELS,
  INCIDENT_FACTS,
  lockRow,
  lockRows,
  TOPIC_MINUTE_COUNTS,
  UNIT_STATES,
  upsertRows,
  type SummaryChange,
  type TableSpec,
} from './store';
import { responseHistDiff } from './response-hist';

/** Advisory lock keys (two-int form, namespace 110006): rebuild (exclusive) and live consumers (shared). */
export const LOCK_NAMESPACE = 110006;
export const REBUILD_LOCK = 1;
export const LIVE_LOCK = 2;

const CALL_SUMMARY_SPECS = { day: COUNTS_DAY, month: COUNTS_MONTH, hour: COUNTS_HOUR, beat: COUNTS_BEAT, hourTotal: COUNTS_HOUR_TOTAL } as const;
const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);

/** The summary-table changes between a call row before and after a change. */
function callSummaryDiff(before: CallFactRow, after: CallFactRow): SummaryChange[] {
  const a = summaryKeys(before);
  const b = summaryKeys(after);
  const changes: SummaryChange[] = [];
  for (const part of SUMMARY_PARTS) {
    const ka = a?.[part];
    const kb = b?.[part];
    if (same(ka, kb)) continue;
    const spec = CALL_SUMMARY_SPECS[part] as TableSpec<Record<string, unknown>>;
    if (ka) changes.push({ spec, key: ka, values: { calls: 1 }, sign: -1 });
    if (kb) changes.push({ spec, key: kb, values: { calls: 1 }, sign: 1 });
  }
  changes.push(...responseHistDiff(before, after));
  return changes;
}

/** The case_counts_day changes between a case row before and after a change. */
function caseSummaryDiff(before: CaseFactRow, after: CaseFactRow): SummaryChange[] {
  const a = caseSummary(before);
  const b = caseSummary(after);
  if (same(a, b)) return [];
  return [...(a ? [{ spec: CASE_COUNTS_DAY, key: a.key, values: a.values, sign: -1 as const }] : []), ...(b ? [{ spec: CASE_COUNTS_DAY, key: b.key, values: b.values, sign: 1 as const }] : [])];
}

/**
 * The writes to rows that every transaction shares — summaries, per-minute event counts, latest
 * unit status and duty level — collected over the events of one transaction (a chunk of up to
 * `CONSUMER_CHUNK_SIZE` messages of one partition) and written once before it commits: netted,
 * one statement per table, rows in key order (see {@link applySummaryChanges}). So a chunk
 * touches each hot row once, and transactions of the three partitions consumed concurrently lock
 * them in one order (no deadlock on them). Fact rows (one per call, incident, case) are locked
 * when first touched and written by {@link FactRows}.
 */
export class SharedRowWrites {
  private summaries: SummaryChange[] = [];
  private units = new Map<string, UnitStateRow>();
  private duty = new Map<string, DutyLevelRow>();

  add(changes: readonly SummaryChange[]): void {
    for (const c of changes) this.summaries.push(c);
  }

  unitStatus(event: EventEnvelope): void {
    const id = (event.data as { unitId?: string }).unitId;
    const row = id ? applyUnitStatus(this.units.get(id), event) : undefined;
    if (row) this.units.set(row.unitId, row);
  }

  dutyLevel(event: EventEnvelope): void {
    const district = (event.data as { district?: string }).district;
    const row = district !== undefined ? applyDutyLevel(this.duty.get(district), event) : undefined;
    if (row) this.duty.set(row.district, row);
  }

  /**
   * Writes everything collected (call once, at the end of the transaction): the upserts through
   * `sql`, the deletions of summary rows whose count reached 0 through `after` (run after them).
   */
  async flush(sql: Sql, after: Sql = sql): Promise<void> {
    await applySummaryChanges(sql, this.summaries, after);
    await upsertRows(sql, UNIT_STATES, [...this.units.values()], 'excluded.at >= unit_states.at');
    await upsertRows(sql, DUTY_LEVELS, [...this.duty.values()], 'excluded.at >= duty_levels.at');
    this.summaries = [];
    this.units.clear();
    this.duty.clear();
  }
}

/**
 * The fact rows (one per call, incident, case) a transaction has locked, kept in memory so that
 * the several events of one call in a chunk lock and read the row once and write it once: the
 * first access locks it (`INSERT … ON CONFLICT … RETURNING`, see {@link lockRow}), later ones
 * read the cached row, and {@link flush} writes every changed row with one statement per table
 * before the commit. Safe because the row lock is held until that commit.
 */
export class FactRows {
  private readonly tables = new Map<string, { spec: TableSpec<Record<string, unknown>>; rows: Map<string, { row: Record<string, unknown>; dirty: boolean }> }>();

  private table<R>(spec: TableSpec<R>) {
    const t = this.tables.get(spec.table) ?? this.tables.set(spec.table, { spec: spec as unknown as TableSpec<Record<string, unknown>>, rows: new Map() }).get(spec.table)!;
    return t;
  }

  /** The row, locked by this transaction (created from `empty` when missing). */
  async get<R>(sql: Sql, spec: TableSpec<R>, empty: R): Promise<R> {
    const key = spec.key.map((k) => String(empty[k as keyof R])).join('\u0000');
    const t = this.table(spec);
    const hit = t.rows.get(key);
    if (hit) return hit.row as R;
    const row = await lockRow(sql, spec, empty);
    t.rows.set(key, { row: row as Record<string, unknown>, dirty: false });
    return row;
  }

  /**
   * Locks many rows of one table in one statement (created from `empties` when missing) and
   * keeps them as {@link get} would have: the per-chunk prefetch of {@link prefetchFacts}.
   */
  async preload<R>(sql: Sql, spec: TableSpec<R>, empties: readonly R[]): Promise<void> {
    const t = this.table(spec);
    const keyOf = (r: R) => spec.key.map((k) => String(r[k as keyof R])).join('\u0000');
    const missing = [...new Map(empties.map((e) => [keyOf(e), e])).entries()].filter(([k]) => !t.rows.has(k)).map(([, e]) => e);
    for (const row of await lockRows(sql, spec, missing)) t.rows.set(keyOf(row), { row: row as Record<string, unknown>, dirty: false });
  }

  /** Replaces a row got with {@link get}; written at {@link flush}. */
  set<R>(spec: TableSpec<R>, row: R): void {
    const key = spec.key.map((k) => String(row[k as keyof R])).join('\u0000');
    this.table(spec).rows.set(key, { row: row as Record<string, unknown>, dirty: true });
  }

  /** Writes the changed rows, one statement per table (call once, at the end of the transaction). */
  async flush(sql: Sql): Promise<void> {
    for (const { spec, rows } of this.tables.values()) {
      const dirty = [...rows.values()].filter((r) => r.dirty).map((r) => r.row);
      await upsertRows(sql, spec, dirty);
    }
    this.tables.clear();
  }
}

/**
 * The database as a {@link ProjectionTarget}: fact rows under row locks, read and changed in
 * `facts`; the shared rows go to `shared`; both are written when the transaction flushes them.
 */
export function sqlTarget(sql: Sql, shared: SharedRowWrites, facts: FactRows): ProjectionTarget {
  return {
    async updateCall(callId, fn) {
      const before = await facts.get(sql, CALL_FACTS, emptyCall(callId));
      const after = fn(before);
      if (JSON.stringify(after) === JSON.stringify(before)) return;
      facts.set(CALL_FACTS, after);
      shared.add(callSummaryDiff(before, after));
    },
    async updateIncident(incidentId, fn) {
      const before = await facts.get(sql, INCIDENT_FACTS, emptyIncident(incidentId));
      const after = fn(before);
      if (JSON.stringify(after) !== JSON.stringify(before)) facts.set(INCIDENT_FACTS, after);
      return after;
    },
    async updateCase(caseId, fn) {
      const before = await facts.get(sql, CASE_FACTS, emptyCase(caseId));
      const after = fn(before);
      if (JSON.stringify(after) === JSON.stringify(before)) return;
      facts.set(CASE_FACTS, after);
      shared.add(caseSummaryDiff(before, after));
    },
    async unitStatus(event) {
      shared.unitStatus(event);
    },
    async dutyLevel(event) {
      shared.dutyLevel(event);
    },
    async countEvent(topic, minute) {
      shared.add([{ spec: TOPIC_MINUTE_COUNTS, key: { topic, minute }, values: { events: 1 }, sign: 1 }]);
    },
  };
}

/** The live consumer's transaction: a {@link Sql} with the shared-row writes of its events. */
export interface LiveTx extends Sql {
  shared: SharedRowWrites;
  facts: FactRows;
  /** rebuild watermark per `topic:partition`, read once per transaction (under the shared rebuild lock) */
  watermarks: Map<string, string | null>;
}

/**
 * Runs `fn` in a transaction of `tx` as a {@link LiveTx}, and writes its fact and shared rows
 * before the commit with one statement (libs/db `CombinedWrites`; a second one only when a summary
 * count reached 0). Used for both the chunk transactions and the one-message retries of the consumer.
 */
export function liveTransaction(tx: RunInTransaction) {
  return <T>(fn: (t: LiveTx) => Promise<T>): Promise<T> =>
    tx(async (t) => {
      const shared = new SharedRowWrites();
      const facts = new FactRows();
      const out = await fn({ ...t, shared, facts, watermarks: new Map() });
      // the fact rows, summaries, unit statuses and duty levels in one statement (they touch
      // different tables); then, only when a count went to 0, the deletions that must see it
      const writes = new CombinedWrites();
      const deletions = new CombinedWrites();
      await facts.flush(writes);
      await shared.flush(writes, deletions);
      await writes.flush(t);
      await deletions.flush(t);
      return out;
    });
}

/**
 * The live consumer's handler: skips messages at or below the last rebuild's watermark for their
 * partition (they are in the rebuilt projections already), waits for a running rebuild (shared
 * advisory lock, taken with the watermark read at the transaction's first message of a
 * partition), then applies the event in the consumer's transaction.
 */
export async function projectLive(event: EventEnvelope, tx: LiveTx, msg: MessageContext, registry: EventRegistry, cfg: ProjectionConfig): Promise<void> {
  if (!(await isLive(tx, msg))) return;
  const topic = registry.get(event.type)?.topic ?? msg.topic;
  await applyEvent(sqlTarget(tx, tx.shared, tx.facts), event, topic, cfg);
}

/**
 * Whether a message is past the last rebuild's watermark of its partition (the watermark read
 * once per partition per transaction, under the shared rebuild lock).
 */
async function isLive(tx: LiveTx, msg: MessageContext): Promise<boolean> {
  const part = `${msg.topic}:${msg.partition}`;
  if (!tx.watermarks.has(part)) {
    const [wm] = await tx.query<{ offset: string | null }>(
      `SELECT (SELECT "offset"::text FROM rebuild_watermarks WHERE topic = $1 AND partition = $2) AS "offset" FROM (SELECT pg_advisory_xact_lock_shared(${LOCK_NAMESPACE}, ${REBUILD_LOCK})) AS l`,
      [msg.topic, msg.partition],
    );
    tx.watermarks.set(part, wm?.offset ?? null);
  }
  const wm = tx.watermarks.get(part);
  return !(wm != null && BigInt(msg.offset) <= BigInt(wm));
}

/**
 * The consumer's per-chunk `prepare`: locks (creating when missing) the fact rows the chunk's
 * events will change — exactly those {@link applyEvent} would lock one at a time — with one
 * statement per table: incidents first, then calls (their own and their incidents'), then cases,
 * each in key order. A chunk of 100 call events then costs 3 statements here instead of one or
 * two per event (the largest statement count of statistics in the issue 17/18 profiles).
 */
export async function prefetchFacts(items: readonly { event: EventEnvelope; msg: MessageContext }[], tx: LiveTx): Promise<void> {
  const calls = new Set<string>();
  const incidents = new Map<string, string | undefined>();
  const cases = new Set<string>();
  for (const { event, msg } of items) {
    if (!(await isLive(tx, msg))) continue;
    const data = event.data as { callId?: string; caseId?: string; to?: string };
    if (CALL_ROW_EVENTS.has(event.type)) {
      if (data.callId) calls.add(data.callId);
      continue;
    }
    const incidentId = incidentIdOf(event);
    if (incidentId) incidents.set(incidentId, incidents.get(incidentId) ?? data.callId);
    else if (event.type === 'UnitStatusChanged' && data.to === 'on-scene' && data.callId) calls.add(data.callId);
    if (CASE_ROW_EVENTS.has(event.type) && data.caseId) cases.add(data.caseId);
  }
  await tx.facts.preload(tx, INCIDENT_FACTS, [...incidents.keys()].map(emptyIncident));
  // the call of each incident: the stored row's, else the one its events carry (applyEvent updates inc.callId's row)
  for (const [incidentId, fromEvent] of incidents) {
    const callId = (await tx.facts.get(tx, INCIDENT_FACTS, emptyIncident(incidentId))).callId ?? fromEvent;
    if (callId) calls.add(callId);
  }
  await tx.facts.preload(tx, CALL_FACTS, [...calls].map(emptyCall));
  await tx.facts.preload(tx, CASE_FACTS, [...cases].map(emptyCase));
}
