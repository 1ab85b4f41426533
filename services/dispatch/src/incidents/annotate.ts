import type { ActingUser } from '@cad110/contracts';
import { handleCommand, runCommand } from '@cad110/eventstore';
import { atOf, type DispatchContext } from '../context';
import { decide, type AddNote, type ChangePriority } from './incident';
import { incidentStream, incidentStreamId } from './stream';

type Result = { incidentId: string; version: number; events: string[] };

/** One dispatcher command on the incident's stream (If-Match: its version). */
async function onIncident(ctx: DispatchContext, incidentId: string, at: string, command: AddNote | ChangePriority, by: ActingUser, ifMatch?: number): Promise<Result> {
  const out = await runCommand(ctx.transaction, async (tx) => {
    const r = await handleCommand(tx, ctx.registry, incidentStream, incidentStreamId(incidentId), (s) => decide(command, s), {
      by,
      occurredAt: at,
      what: `incident ${incidentId}`,
      mustExist: true,
      ...(ifMatch !== undefined ? { expectedVersion: ifMatch } : {}),
    });
    return { incidentId, version: r.version, events: r.envelopes.map((e) => e.type) };
  });
  ctx.published();
  return out;
}

/**
 * A dispatcher's note on the incident (IncidentNoteAdded, actor and workstation in its metadata),
 * also after it closed or was cancelled.
 * @throws NotFoundError, StaleVersionError (412), FutureTimeError
 */
export function addNote(ctx: DispatchContext, incidentId: string, input: { text: string; at?: string }, by: ActingUser, ifMatch?: number): Promise<Result> {
  const at = atOf(ctx, input.at);
  return onIncident(ctx, incidentId, at, { type: 'AddNote', text: input.text, at }, by, ifMatch);
}

/**
 * Changes the incident's priority with a reason (IncidentPriorityChanged from → to); the queue
 * orders by the new priority at once.
 * @throws NotFoundError, StaleVersionError (412), CommandRejected (409 `same-priority`, `incident-closed`, `incident-cancelled`), FutureTimeError
 */
export function changePriority(ctx: DispatchContext, incidentId: string, input: { priority: number; reason: string; at?: string }, by: ActingUser, ifMatch?: number): Promise<Result> {
  const at = atOf(ctx, input.at);
  return onIncident(ctx, incidentId, at, { type: 'ChangePriority', priority: input.priority, reason: input.reason, at }, by, ifMatch);
}
