import type { ActingUser } from '@cad110/contracts';
import { handleCommand, runCommand } from '@cad110/eventstore';
import { activeUnitIds } from '../assignments/projection';
import { atOf, type DispatchContext } from '../context';
import { decide } from './incident';
import { incidentStream, incidentStreamId } from './stream';

/**
 * Closes an incident by hand when no unit is working it (e.g. resolved by phone).
 * @param ifMatch expected incident version (If-Match)
 * @throws NotFoundError, StaleVersionError (412), CommandRejected (409), FutureTimeError
 */
export async function closeIncident(ctx: DispatchContext, incidentId: string, input: { reason: string; at?: string }, by: ActingUser, ifMatch?: number): Promise<{ incidentId: string; version: number; events: string[] }> {
  const at = atOf(ctx, input.at);
  const out = await runCommand(ctx.transaction, async (tx) => {
    const r = await handleCommand(
      tx,
      ctx.registry,
      incidentStream,
      incidentStreamId(incidentId),
      async (s) => decide({ type: 'CloseIncident', reason: input.reason, at, activeUnitIds: await activeUnitIds(tx, incidentId) }, s),
      { by, occurredAt: at, what: `incident ${incidentId}`, mustExist: true, ...(ifMatch !== undefined ? { expectedVersion: ifMatch } : {}) },
    );
    return { incidentId, version: r.version, events: r.envelopes.map((e) => e.type) };
  });
  ctx.published();
  return out;
}
