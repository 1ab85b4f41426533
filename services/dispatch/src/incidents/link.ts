import type { ActingUser } from '@cad110/contracts';
import { handleCommand, runCommand } from '@cad110/eventstore';
import { ProblemError } from '@cad110/http';
import { activeUnitIds } from '../assignments/projection';
import { atOf, type DispatchContext } from '../context';
import { decide } from './incident';
import { incidentStream, incidentStreamId } from './stream';

export interface LinkInput {
  duplicateOf: string;
  reason?: string;
  at?: string;
}

/**
 * Links the incident as the duplicate of another one (IncidentLinkedAsDuplicate, actor and
 * workstation in its metadata); a pending incident (no unit working it) is also closed with
 * disposition `duplicate`, one with units on it stays open. Both incidents' details list the link.
 * @param ifMatch expected incident version (If-Match)
 * @throws ProblemError 400 (itself) / 404 (unknown `duplicateOf`), NotFoundError, StaleVersionError (412),
 *   CommandRejected (409 `already-linked`, `incident-closed`, `incident-cancelled`), FutureTimeError
 */
export async function linkAsDuplicate(ctx: DispatchContext, incidentId: string, input: LinkInput, by: ActingUser, ifMatch?: number): Promise<{ incidentId: string; version: number; events: string[] }> {
  if (input.duplicateOf === incidentId) throw ProblemError.validation([{ field: 'duplicateOf', message: 'an incident cannot be the duplicate of itself' }]);
  const at = atOf(ctx, input.at);
  const out = await runCommand(ctx.transaction, async (tx) => {
    const [target] = await tx.select<{ callId: string }>('SELECT call_id FROM incidents WHERE id = $1::uuid', [input.duplicateOf]);
    if (!target) throw ProblemError.notFound(`incident ${input.duplicateOf}`);
    const r = await handleCommand(
      tx,
      ctx.registry,
      incidentStream,
      incidentStreamId(incidentId),
      async (s) =>
        decide(
          {
            type: 'LinkAsDuplicate',
            duplicateOf: input.duplicateOf,
            duplicateOfCallId: target.callId,
            ...(input.reason ? { reason: input.reason } : {}),
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
