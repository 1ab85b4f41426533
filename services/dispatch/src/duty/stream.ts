/**
 * The duty-level stream (`duty-<district>`): its fold and its read-model writer (`duty_levels`,
 * and the `on_duty` roster flag of the district's units).
 */
import type { DutyLevel } from '@cad110/contracts';
import type { StreamChange, StreamType } from '@cad110/eventstore';
import type { Sql } from '@cad110/db';
import { DUTY_RANK, evolveDuty, initialDutyState, type DutyEvent, type DutyState } from './duty';

/**
 * `duty_levels` upserted from the last change; every unit of the district rostered at the new
 * level or not (`on_duty`). @returns units now rostered on duty (from the same statement)
 */
export async function projectDuty(tx: Sql, change: StreamChange<DutyState, DutyEvent>): Promise<number> {
  const s = change.after;
  await tx.exec(
    `INSERT INTO duty_levels (district, level, reason, changed_at, version) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (district) DO UPDATE SET level = EXCLUDED.level, reason = EXCLUDED.reason, changed_at = EXCLUDED.changed_at, version = EXCLUDED.version`,
    [s.district, s.level, s.reason ?? null, new Date(s.changedAt!), change.version],
  );
  const rank = DUTY_RANK[s.level];
  const levels = (Object.keys(DUTY_RANK) as DutyLevel[]).filter((l) => DUTY_RANK[l] <= rank);
  return (
    await tx.query<{ n: number }>(
      `WITH u AS (UPDATE units SET on_duty = (min_duty_level = ANY($2::text[])), updated_at = $3 WHERE district = $1 RETURNING on_duty)
       SELECT count(*) FILTER (WHERE on_duty)::int AS n FROM u`,
      [s.district, levels, new Date()],
    )
  )[0]!.n;
}

/** The duty-level stream type; `onProjected` receives the count of units rostered on duty. */
export function dutyStream(onProjected?: (onDutyUnits: number) => void): StreamType<DutyState, DutyEvent> {
  return {
    streamType: 'duty-level',
    source: 'dispatch',
    initialState: () => initialDutyState,
    evolve: evolveDuty,
    snapshotTag: 'duty.v1',
    routing: (streamId, _before, after) => ({ partitionKey: after.district ?? streamId, correlationId: streamId }),
    project: async (tx, change) => {
      const n = await projectDuty(tx, change);
      onProjected?.(n);
    },
  };
}
