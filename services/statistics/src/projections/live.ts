import type { EventEnvelope, EventRegistry } from '@cad110/contracts';
import type { MessageContext } from '@cad110/kafka';
import { applyEvent, type ProjectionTarget } from './apply';
import { applyDutyLevel, applyUnitStatus, caseSummary, emptyCall, emptyCase, emptyIncident, summaryKeys, SUMMARY_PARTS, type CallFactRow, type CaseFactRow, type ProjectionConfig } from './fold';
import {
  bumpMinute,
  bumpSummary,
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
  saveRow,
  UNIT_STATES,
  upsertRow,
  applySummaryChanges,
  type SummaryChange,
  type Sql,
  type TableSpec,
} from './store';

/** Advisory lock keys (two-int form, namespace 110006): rebuild (exclusive) and live consumers (shared). */
export const LOCK_NAMESPACE = 110006;
export const REBUILD_LOCK = 1;
export const LIVE_LOCK = 2;

const CALL_SUMMARY_SPECS = { day: COUNTS_DAY, month: COUNTS_MONTH, hour: COUNTS_HOUR, beat: COUNTS_BEAT, hourTotal: COUNTS_HOUR_TOTAL } as const;
const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);

/** Applies the summary-table difference between a call row before and after a change. */
async function applySummaryDiff(sql: Sql, before: CallFactRow, after: CallFactRow): Promise<void> {
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
  await applySummaryChanges(sql, changes);
}

/** Applies the case_counts_day difference between a case row before and after a change. */
async function applyCaseDiff(sql: Sql, before: CaseFactRow, after: CaseFactRow): Promise<void> {
  const a = caseSummary(before);
  const b = caseSummary(after);
  if (same(a, b)) return;
  if (a && b && same(a.key, b.key)) {
    // same row: subtract then add in two statements (one statement may not change a row twice)
    await bumpSummary(sql, CASE_COUNTS_DAY, a.key, a.values, -1);
    await bumpSummary(sql, CASE_COUNTS_DAY, b.key, b.values, 1);
    return;
  }
  await applySummaryChanges(sql, [...(a ? [{ spec: CASE_COUNTS_DAY, key: a.key, values: a.values, sign: -1 as const }] : []), ...(b ? [{ spec: CASE_COUNTS_DAY, key: b.key, values: b.values, sign: 1 as const }] : [])]);
}

/** The database as a {@link ProjectionTarget}: row locks, read-modify-write, summaries in the same transaction. */
export function sqlTarget(sql: Sql): ProjectionTarget {
  return {
    async updateCall(callId, fn) {
      const before = await lockRow(sql, CALL_FACTS, emptyCall(callId));
      const after = fn(before);
      if (JSON.stringify(after) === JSON.stringify(before)) return;
      await saveRow(sql, CALL_FACTS, after);
      await applySummaryDiff(sql, before, after);
    },
    async updateIncident(incidentId, fn) {
      const before = await lockRow(sql, INCIDENT_FACTS, emptyIncident(incidentId));
      const after = fn(before);
      if (JSON.stringify(after) !== JSON.stringify(before)) await saveRow(sql, INCIDENT_FACTS, after);
      return after;
    },
    async updateCase(caseId, fn) {
      const before = await lockRow(sql, CASE_FACTS, emptyCase(caseId));
      const after = fn(before);
      if (JSON.stringify(after) === JSON.stringify(before)) return;
      await saveRow(sql, CASE_FACTS, after);
      await applyCaseDiff(sql, before, after);
    },
    async unitStatus(event) {
      const row = applyUnitStatus(undefined, event);
      if (row) await upsertRow(sql, UNIT_STATES, row, 'excluded.at >= unit_states.at');
    },
    async dutyLevel(event) {
      const row = applyDutyLevel(undefined, event);
      if (row) await upsertRow(sql, DUTY_LEVELS, row, 'excluded.at >= duty_levels.at');
    },
    countEvent: (topic, minute) => bumpMinute(sql, topic, minute),
  };
}

/**
 * The live consumer's handler: skips messages at or below the last rebuild's watermark for their
 * partition (they are in the rebuilt projections already), waits for a running rebuild (shared
 * advisory lock), then applies the event in the consumer's transaction.
 */
export async function projectLive(event: EventEnvelope, sql: Sql, msg: MessageContext, registry: EventRegistry, cfg: ProjectionConfig): Promise<void> {
  const [wm] = await sql.query<{ offset: string | null }>(
    `SELECT (SELECT "offset"::text FROM rebuild_watermarks WHERE topic = $1 AND partition = $2) AS "offset" FROM (SELECT pg_advisory_xact_lock_shared(${LOCK_NAMESPACE}, ${REBUILD_LOCK})) AS l`,
    [msg.topic, msg.partition],
  );
  if (wm?.offset != null && BigInt(msg.offset) <= BigInt(wm.offset)) return;
  const topic = registry.get(event.type)?.topic ?? msg.topic;
  await applyEvent(sqlTarget(sql), event, topic, cfg);
}
