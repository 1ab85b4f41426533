import type { ActingUser } from '@cad110/contracts';
import { handleCommand, runCommand } from '@cad110/eventstore';
import { atOf, type DispatchContext } from '../context';
import { unitStream, unitStreamId } from './stream';
import { decide } from './unit';

/**
 * An AVL (or manual) position fix (UnitPositionUpdated), WGS84 degrees; a fix older than the
 * last one is ignored (`applied: false`). Feeds the ETAs while it is fresh (config/eta.json
 * `avlFreshSeconds`).
 * @throws NotFoundError, FutureTimeError
 */
export async function updateUnitPosition(ctx: DispatchContext, unitId: string, input: { lat: number; lon: number; at?: string }, by: ActingUser): Promise<{ unitId: string; version: number; applied: boolean }> {
  const at = atOf(ctx, input.at);
  const out = await runCommand(ctx.transaction, async (tx) => {
    const r = await handleCommand(tx, ctx.registry, unitStream(ctx), unitStreamId(unitId), (s) => decide({ type: 'UpdatePosition', lat: input.lat, lon: input.lon, at }, s), {
      by,
      occurredAt: at,
      what: `unit ${unitId}`,
      mustExist: true,
    });
    return { unitId, version: r.version, applied: r.events.length > 0 };
  });
  if (out.applied) ctx.published();
  return out;
}
