/**
 * The incident stream (`incident-<id>`): its fold ({@link evolve} of incident.ts) and its
 * read-model writer (`incidents`; a unit reassigned away ends its `incident_units` row).
 */
import { incidentStreamId } from '@cad110/contracts';
import { insertRow, json, updateRows, type SqlTx, type StreamChange, type StreamType } from '@cad110/eventstore';
import { projectReassignedAway } from '../assignments/projection';
import { evolve, initialIncidentState, type IncidentEvent, type IncidentState } from './incident';

export { incidentStreamId };

/**
 * Writes the incident's events into `incidents`: IncidentOpened inserts the row (with the
 * UnitsRecommended of the same append), later events update it with the stream version.
 * The active-unit counters and pending ⇄ assigned follow the units (assignments/projection.ts).
 */
async function projectIncident(tx: SqlTx, change: StreamChange<IncidentState, IncidentEvent>): Promise<void> {
  let row: Record<string, unknown> | undefined;
  const patch: Record<string, unknown> = { version: change.version };
  for (const e of change.events) {
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
        Object.assign(patch, { status: 'closed', closedAt: new Date(e.data.closedAt), closeReason: e.data.reason ?? null });
        break;
      case 'IncidentCancelled':
        Object.assign(patch, { status: 'cancelled', cancelledAt: new Date(e.data.cancelledAt), closeReason: e.data.reason });
        break;
      case 'UnitDispatched':
        break;
      default: {
        const _never: never = e;
      }
    }
  }
  if (row) await insertRow(tx, 'incidents', { ...row, ...patch, updatedAt: new Date() });
  else await updateRows(tx, 'incidents', { id: change.after.incidentId }, { ...patch, updatedAt: new Date() });
}

/** The incident stream type for the command pipeline. */
export const incidentStream: StreamType<IncidentState, IncidentEvent> = {
  streamType: 'incident',
  source: 'dispatch',
  initialState: () => initialIncidentState,
  evolve,
  snapshotTag: 'incident.v1',
  routing: (streamId, before, after) => {
    const key = after.callId ?? before.callId ?? streamId;
    return { partitionKey: key, correlationId: key };
  },
  project: projectIncident,
};
