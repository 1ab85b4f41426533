/**
 * The unit stream (`unit-<id>`): its fold ({@link evolve} of unit.ts) and its read-model writer
 * (`units` incl. the roster columns, `unit_alerts`, and through assignments/projection.ts `incident_units`), run by the
 * command pipeline of libs/eventstore in the command's transaction.
 */
import { unitStreamId, type DutyLevel, type UnitStatus } from '@cad110/contracts';
import { type StreamChange, type StreamType } from '@cad110/eventstore';
import { insertRow, json, updateRows, updateStatement, type Sql } from '@cad110/db';
import { projectAssignmentStatus } from '../assignments/projection';
import type { DispatchContext } from '../context';
import { DUTY_RANK } from '../duty/duty';
import { anchorOf, type Geometry } from '../map/county-map';
import { evolve, initialUnitState, type UnitEvent, type UnitState } from './unit';

export { unitStreamId };

/**
 * Writes the unit's events into the read models: one UPDATE of `units` per command (version and
 * every changed column), the unit's `incident_units` row and its incident's counters on a status
 * change on an incident, a `unit_alerts` row per overdue alert (acknowledged by its UnitOverdueAcknowledged);
 * `UnitRegistered` inserts the row.
 */
async function projectUnit(ctx: Pick<DispatchContext, 'clock'>, tx: Sql, change: StreamChange<UnitState, UnitEvent>): Promise<void> {
  const patch: Record<string, unknown> = { version: change.version };
  let state = change.before;
  let registered = false;
  let onIncident: { unit: { unitId: string; callSign: string; unitType: string }; incidentId: string; to: UnitStatus; at: string } | undefined;
  for (const [i, e] of change.events.entries()) {
    state = evolve(state, e);
    switch (e.type) {
      case 'UnitRegistered': {
        const def = e.data;
        const anchor = anchorOf(def.geometry as Geometry | undefined);
        const level = (await tx.query<{ level: DutyLevel }>('SELECT level FROM duty_levels WHERE district = $1', [def.district]))[0]?.level;
        await insertRow(tx, 'units', {
          id: def.unitId,
          callSign: def.callSign,
          type: def.type,
          district: def.district,
          homeStation: def.homeStation,
          capabilities: def.capabilities,
          crewSize: def.crewSize,
          shiftName: def.shift.name,
          shiftStart: def.shift.start,
          shiftEnd: def.shift.end,
          minDutyLevel: def.minDutyLevel,
          geometry: def.geometry ? json(def.geometry) : undefined,
          anchorLat: anchor?.lat ?? null,
          anchorLon: anchor?.lon ?? null,
          lat: anchor?.lat ?? null,
          lon: anchor?.lon ?? null,
          replay: def.replay ?? false,
          status: 'available',
          onDuty: DUTY_RANK[level ?? 'normal'] >= DUTY_RANK[def.minDutyLevel],
          version: change.version,
          updatedAt: new Date(),
        });
        registered = true;
        break;
      }
      case 'UnitStatusChanged': {
        const d = e.data;
        Object.assign(patch, { status: d.to, statusSince: new Date(d.at), statusRecordedAt: ctx.clock(), incidentId: state.incidentId, callId: state.callId, alertsInStatus: 0 });
        if (d.incidentId) {
          // kept for the end, where it goes with the units row in one statement (a second status
          // change on an incident in the same command writes the first one now)
          if (onIncident) await projectAssignmentStatus(tx, onIncident.unit, onIncident.incidentId, onIncident.to, onIncident.at);
          onIncident = { unit: { unitId: d.unitId, callSign: state.callSign!, unitType: state.unitType! }, incidentId: d.incidentId, to: d.to, at: d.at };
        }
        break;
      }
      case 'UnitPositionUpdated':
        Object.assign(patch, { avlLat: e.data.lat, avlLon: e.data.lon, avlAt: new Date(e.data.at), lat: e.data.lat, lon: e.data.lon });
        break;
      case 'UnitTakenOutOfService':
        Object.assign(patch, { inService: false, serviceReason: e.data.reason, rosterChangedAt: new Date(e.data.at) });
        break;
      case 'UnitReturnedToService':
        Object.assign(patch, { inService: true, serviceReason: null, rosterChangedAt: new Date(e.data.at) });
        break;
      case 'UnitShiftChanged':
        Object.assign(patch, { shiftName: e.data.to.name, shiftStart: e.data.to.start, shiftEnd: e.data.to.end, rosterChangedAt: new Date(e.data.at) });
        break;
      case 'UnitCrewChanged':
        Object.assign(patch, { crewSize: e.data.crewSize, rosterChangedAt: new Date(e.data.at) });
        break;
      case 'UnitOverdueAlerted':
        patch.alertsInStatus = e.data.sequence;
        await insertRow(tx, 'unit_alerts', { unitId: e.data.unitId, incidentId: e.data.incidentId ?? null, kind: e.data.kind, status: e.data.status, sequence: e.data.sequence, since: new Date(e.data.since), dueAt: new Date(e.data.dueAt), alertedAt: ctx.clock() });
        break;
      case 'UnitOverdueAcknowledged': {
        const meta = change.envelopes[i]?.metadata;
        await tx.exec(
          `UPDATE unit_alerts SET acknowledged_at = $4, acknowledged_by = $5, acknowledged_workstation = $6
           WHERE unit_id = $1 AND since = $2::timestamptz AND sequence = $3 AND acknowledged_at IS NULL`,
          [e.data.unitId, e.data.since, e.data.sequence, new Date(e.data.acknowledgedAt), meta?.actor.id ?? null, meta?.workstation ?? null],
        );
        break;
      }
      default: {
        const _never: never = e;
      }
    }
  }
  if (registered && change.events.length === 1) return;
  const unitRow = { ...patch, updatedAt: new Date() };
  if (onIncident) await projectAssignmentStatus(tx, onIncident.unit, onIncident.incidentId, onIncident.to, onIncident.at, (first) => updateStatement('units', { id: state.unitId }, unitRow, first));
  else await updateRows(tx, 'units', { id: state.unitId }, unitRow);
}

/** The unit stream type for the command pipeline (snapshots on: AVL fixes make unit streams long). */
export function unitStream(ctx: Pick<DispatchContext, 'clock'>): StreamType<UnitState, UnitEvent> {
  return {
    streamType: 'unit',
    source: 'dispatch',
    initialState: () => initialUnitState,
    evolve,
    snapshotTag: 'unit.v2', // v2: roster fields (inService, shift, crewSize)
    // a unit's events on a call share the call's key, so the call's timeline is ordered
    routing: (streamId, before, after) => {
      const key = after.callId ?? before.callId ?? after.unitId ?? streamId;
      return { partitionKey: key, correlationId: key };
    },
    project: (tx, change) => projectUnit(ctx, tx, change),
  };
}
