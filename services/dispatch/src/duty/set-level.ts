import { dutyLevelStreamId, NotFoundError, type ActingUser, type DutyLevel } from '@cad110/contracts';
import { handleCommand, runCommand } from '@cad110/eventstore';
import { nowOf, type DispatchContext } from '../context';
import { decideDuty } from './duty';
import { dutyStream } from './stream';

/**
 * Sets a district's duty level (DutyLevelChanged on `duty-<district>`); units of the district
 * whose `minDutyLevel` the new level reaches become rostered on duty, the others off duty.
 * Recommendations use the new level immediately.
 * @param ifMatch expected version of the district's duty stream (0 = never set)
 * @throws NotFoundError (district not on the map and no unit in it), StaleVersionError (412),
 *   CommandRejected `same-level` (409)
 */
export async function setDutyLevel(
  ctx: DispatchContext,
  district: string,
  input: { level: DutyLevel; reason?: string },
  by: ActingUser,
  ifMatch?: number,
): Promise<{ district: string; level: DutyLevel; version: number; onDutyUnits: number; events: string[] }> {
  const at = nowOf(ctx);
  const out = await runCommand(ctx.transaction, async (tx) => {
    const known = ctx.map.districts.has(district) || (await tx.query<unknown>('SELECT 1 FROM units WHERE district = $1 LIMIT 1', [district])).length > 0;
    if (!known) throw new NotFoundError(`district ${district}`);
    let onDutyUnits = 0;
    const r = await handleCommand(tx, ctx.registry, dutyStream((n) => (onDutyUnits = n)), dutyLevelStreamId(district), (state) => decideDuty({ type: 'SetDutyLevel', district, level: input.level, at, ...(input.reason ? { reason: input.reason } : {}) }, state), {
      by,
      occurredAt: at,
      what: `duty level of ${district}`,
      ...(ifMatch !== undefined ? { expectedVersion: ifMatch } : {}),
    });
    return { district, level: input.level, version: r.version, onDutyUnits, events: r.envelopes.map((e) => e.type) };
  });
  ctx.published();
  return out;
}
