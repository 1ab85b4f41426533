/**
 * The incident stream (`incident-<id>`): its fold ({@link evolve} of incident.ts) and its
 * read-model writer (`incidents`; a unit reassigned away ends its `incident_units` row; the
 * dispatchers' notes and priority changes go to `incident_notes` / `incident_priority_changes`
 * with the actor and workstation of their envelope, its links as a duplicate to
 * `incident_duplicate_links`).
 */
import { incidentStreamId } from '@cad110/contracts';
import { type StreamChange, type StreamType } from '@cad110/eventstore';
import { insertRow, json, updateRows, type DeferringTx, type Sql } from '@cad110/db';
import { projectReassignedAway } from '../assignments/projection';
import { evolve, initialIncidentState, type IncidentEvent, type IncidentState } from './incident';

export { incidentStreamId };

/**
 * Writes the incident's events into `incidents`: IncidentOpened inserts the row (with the
 * UnitsRecommended of the same append), later events update it with the stream version.
 * The active-unit counters and pending ⇄ assigned follow the units (assignments/projection.ts).
 */
async function projectIncident(tx: Sql, change: StreamChange<IncidentState, IncidentEvent>): Promise<void> {
  let row: Record<string, unknown> | undefined;
  const patch: Record<string, unknown> = { version: change.version };
  for (const [i, e] of change.events.entries()) {
    const meta = change.envelopes[i]?.metadata;
    const who = { actorId: meta?.actor.id ?? null, workstation: meta?.workstation ?? null };
    switch (e.type) {
      case 'IncidentOpened': {
        const d = e.data;
        row = {
          id: d.incidentId,
          callId: d.callId,
          status: 'pending',
          priority: d.priority,
          kind: d.kind,
          category: d.category,
          subtype: d.subtype,
          flags: d.flags,
          district: d.location.district ?? null,
          lat: d.location.lat ?? null,
          lon: d.location.lon ?? null,
          address: d.location.address ?? null,
          answeredAt: new Date(d.answeredAt),
          openedAt: new Date(d.openedAt),
          externalSource: d.externalRef?.source ?? null,
          externalId: d.externalRef?.id ?? null,
        };
        break;
      }
      case 'UnitsRecommended':
        Object.assign(patch, { recommendations: json(e.data.recommendations), runCard: json(e.data.runCard ?? null) });
        break;
      case 'UnitReassigned':
        await projectReassignedAway(tx, e.data.fromIncidentId, e.data.unitId, e.data.at);
        break;
      case 'IncidentClosed':
        Object.assign(patch, { status: 'closed', closedAt: new Date(e.data.closedAt), closeReason: e.data.reason ?? null, disposition: e.data.disposition ?? null, closeNote: e.data.note ?? null });
        break;
      case 'IncidentReopened':
        // the UnitDispatched of the same append makes it 'assigned' (assignments/projection.ts)
        Object.assign(patch, { status: 'pending', closedAt: null, closeReason: null, disposition: null, closeNote: null });
        break;
      case 'IncidentCancelled':
        Object.assign(patch, { status: 'cancelled', cancelledAt: new Date(e.data.cancelledAt), closeReason: e.data.reason });
        break;
      case 'IncidentNoteAdded':
        await insertRow(tx, 'incident_notes', { incidentId: e.data.incidentId, text: e.data.text, at: new Date(e.data.addedAt), ...who });
        break;
      case 'IncidentPriorityChanged':
        patch.priority = e.data.to;
        await insertRow(tx, 'incident_priority_changes', { incidentId: e.data.incidentId, fromPriority: e.data.from, toPriority: e.data.to, reason: e.data.reason, at: new Date(e.data.changedAt), ...who });
        break;
      case 'IncidentLinkedAsDuplicate': {
        const d = e.data;
        await insertRow(tx, 'incident_duplicate_links', { incidentId: d.incidentId, callId: d.callId, duplicateOfIncidentId: d.duplicateOf, duplicateOfCallId: d.duplicateOfCallId, reason: d.reason, at: new Date(d.linkedAt), ...who });
        break;
      }
      case 'UnitDispatched':
        break;
      default: {
        const _never: never = e;
      }
    }
  }
  if (row) {
    const full = { ...row, ...patch, updatedAt: new Date() };
    // the consumer's chunk transactions queue their new incidents and insert them with one
    // statement before the commit (consumers/calls.ts); anywhere else the row is written now
    const deferred = (tx as Partial<DeferringTx>).deferred;
    if (deferred) deferred.add('incidents', full);
    else await insertRow(tx, 'incidents', full);
  } else await updateRows(tx, 'incidents', { id: change.after.incidentId }, { ...patch, updatedAt: new Date() });
}

/** The incident stream type for the command pipeline. */
export const incidentStream: StreamType<IncidentState, IncidentEvent> = {
  streamType: 'incident',
  source: 'dispatch',
  initialState: () => initialIncidentState,
  evolve,
  snapshotTag: 'incident.v3', // v2: priority (IncidentPriorityChanged); v3: duplicateOf (IncidentLinkedAsDuplicate)
  routing: (streamId, before, after) => {
    const key = after.callId ?? before.callId ?? streamId;
    return { partitionKey: key, correlationId: key };
  },
  project: projectIncident,
};
