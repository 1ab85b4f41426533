import type { ActingUser, IncidentDisposition } from '@cad110/contracts';
import { handleCommand, runCommand } from '@cad110/eventstore';
import { activeUnitIds } from '../assignments/projection';
import { atOf, type DispatchContext } from '../context';
import { decide } from './incident';
import { incidentStream, incidentStreamId } from './stream';

/** What a close by hand says: a disposition (with an optional note), a free-text reason (the older body), or both. */
export interface CloseInput {
  disposition?: IncidentDisposition;
  note?: string;
  reason?: string;
  at?: string;
}

/**
 * Closes an incident by hand when no unit is working it (e.g. 电话处置 resolved by phone), with
 * a disposition from the closed list of libs/contracts (`IncidentDisposition`) and a note.
 * @param ifMatch expected incident version (If-Match)
 * @throws NotFoundError, StaleVersionError (412), CommandRejected (409), FutureTimeError
 */
export async function closeIncident(ctx: DispatchContext, incidentId: string, input: CloseInput, by: ActingUser, ifMatch?: number): Promise<{ incidentId: string; version: number; events: string[] }> {
  const at = atOf(ctx, input.at);
  const out = await runCommand(ctx.transaction, async (tx) => {
    const r = await handleCommand(
      tx,
      ctx.registry,
      incidentStream,
      incidentStreamId(incidentId),
      async (s) =>
        decide(
          {
            type: 'CloseIncident',
            ...(input.reason ? { reason: input.reason } : {}),
            ...(input.disposition ? { disposition: input.disposition } : {}),
            ...(input.note ? { note: input.note } : {}),
            at,
            activeUnitIds: await activeUnitIds(tx, incidentId),
          },
          s,
        ),
      { by, occurredAt: at, what: `incident ${incidentId}`, mustExist: true, ...(ifMatch !== undefined ? { expectedVersion: ifMatch } : {}) },
    );
    return { incidentId, version: r.version, events: r.envelopes.map((e) => e.type) };
  });
  ctx.published();
  return out;
}
