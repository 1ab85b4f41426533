import type { EventEnvelope, EventRegistry } from '@cad110/contracts';
import type { MessageContext } from '@cad110/kafka';
import { applyEvent, type ProjectionTarget } from './apply';
import { applyDutyLevel, applyUnitStatus, emptyCall, emptyCase, emptyIncident, summaryKeys, type CallFactRow, type ProjectionConfig } from './fold';
import { bumpCount, bumpMinute, CALL_FACTS, CASE_FACTS, COUNTS_BEAT, COUNTS_DAY, COUNTS_HOUR, DUTY_LEVELS, INCIDENT_FACTS, lockRow, saveRow, UNIT_STATES, upsertRow, type Sql } from './store';

/** Advisory lock keys (two-int form, namespace 110006): rebuild (exclusive) and live consumers (shared). */
export const LOCK_NAMESPACE = 110006;
export const REBUILD_LOCK = 1;
export const LIVE_LOCK = 2;

/** Applies the summary-table difference between a call row before and after a change. */
async function applySummaryDiff(sql: Sql, before: CallFactRow, after: CallFactRow): Promise<void> {
  const a = summaryKeys(before);
  const b = summaryKeys(after);
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  for (const [part, spec] of [
    ['day', COUNTS_DAY],
    ['hour', COUNTS_HOUR],
    ['beat', COUNTS_BEAT],
  ] as const) {
    const ka = a?.[part];
    const kb = b?.[part];
    if (same(ka, kb)) continue;
    if (ka) await bumpCount(sql, spec as never, ka as never, -1);
    if (kb) await bumpCount(sql, spec as never, kb as never, 1);
  }
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
      if (JSON.stringify(after) !== JSON.stringify(before)) await saveRow(sql, CASE_FACTS, after);
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
