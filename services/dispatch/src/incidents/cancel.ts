import type { ActingUser, EventEnvelope } from '@cad110/contracts';
import { handleCommand, runCommand } from '@cad110/eventstore';
import type { Sql } from '@cad110/db';
import { activeUnitIds } from '../assignments/projection';
import { atOf, type DispatchContext } from '../context';
import { unitStream, unitStreamId } from '../units/stream';
import { decide as decideUnit } from '../units/unit';
import { decide } from './incident';
import { incidentStream, incidentStreamId } from './stream';

/**
 * IncidentCancelled on the incident, then every unit still on it cleared (at the cancel time,
 * or when its current status began if that is later), in the caller's transaction. The
 * incident's stream is locked before the units' (the order of every multi-stream command).
 * @returns the incident's version after the command and the types of all events appended
 */
export async function cancelIn(ctx: DispatchContext, tx: Sql, incidentId: string, reason: string, at: string, by: ActingUser, ifMatch?: number): Promise<{ version: number; events: EventEnvelope[] }> {
  const inc = await handleCommand(tx, ctx.registry, incidentStream, incidentStreamId(incidentId), (s) => decide({ type: 'CancelIncident', reason, at }, s), {
    by,
    occurredAt: at,
    what: `incident ${incidentId}`,
    mustExist: true,
    ...(ifMatch !== undefined ? { expectedVersion: ifMatch } : {}),
  });
  const events = [...inc.envelopes];
  const units = unitStream(ctx);
  for (const unitId of (await activeUnitIds(tx, incidentId)).sort()) {
    const u = await handleCommand(
      tx,
      ctx.registry,
      units,
      unitStreamId(unitId),
      (s) => {
        const clearAt = s.statusSince && s.statusSince > at ? s.statusSince : at;
        return decideUnit({ type: 'ChangeUnitStatus', to: 'cleared', at: clearAt, incidentId }, s).map((e) => ({ ...e, occurredAt: clearAt }));
      },
      { by },
    );
    events.push(...u.envelopes);
  }
  return { version: inc.version, events };
}

/**
 * Cancels an incident (IncidentCancelled); every unit still on it is cleared.
 * @param ifMatch expected incident version (If-Match)
 * @throws NotFoundError, StaleVersionError (412), CommandRejected (409 when closed or cancelled), FutureTimeError
 */
export async function cancelIncident(ctx: DispatchContext, incidentId: string, input: { reason: string; at?: string }, by: ActingUser, ifMatch?: number): Promise<{ incidentId: string; version: number; events: string[] }> {
  const at = atOf(ctx, input.at);
  const out = await runCommand(ctx.transaction, async (tx) => {
    const r = await cancelIn(ctx, tx, incidentId, input.reason, at, by, ifMatch);
    return { incidentId, version: r.version, events: r.events.map((e) => e.type) };
  });
  ctx.published();
  return out;
}

/** Consumer effect of intake's CallCancelled: cancels the call's open incident, clearing its units. */
export async function cancelForCall(ctx: DispatchContext, tx: Sql, callId: string, reason: string, at: string, cause: EventEnvelope): Promise<void> {
  const inc = (await tx.query<{ id: string; status: string }>('SELECT id, status FROM incidents WHERE call_id = $1::uuid', [callId]))[0];
  if (!inc || inc.status === 'closed' || inc.status === 'cancelled') return;
  await cancelIn(ctx, tx, inc.id, reason, at, { actor: { id: 'system:dispatch' }, requestId: cause.eventId });
}
