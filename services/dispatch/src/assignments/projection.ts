/**
 * The assignment read model (`incident_units`: one row per unit per incident it was sent to) and
 * the incident counters derived from it. Written by the unit projection (a unit's status changes
 * on an incident) and the incident projection (a unit reassigned away), in their transactions.
 */
import type { UnitStatus } from '@cad110/contracts';
import { insertRow, updateRows, type Sql } from '@cad110/db';

const COLUMN: Partial<Record<UnitStatus, string>> = { 'en-route': 'enRouteAt', 'on-scene': 'onSceneAt', transporting: 'transportingAt', cleared: 'clearedAt' };

/** incident_units and the incident's counters for one status change of a unit on an incident. */
export async function projectAssignmentStatus(tx: Sql, unit: { unitId: string; callSign: string; unitType: string }, incidentId: string, to: UnitStatus, at: string): Promise<void> {
  const t = new Date(at);
  if (to === 'dispatched') {
    await insertRow(tx, 'incident_units', { incidentId, unitId: unit.unitId, callSign: unit.callSign, unitType: unit.unitType, status: 'dispatched', dispatchedAt: t });
  } else {
    const column = COLUMN[to];
    await updateRows(tx, 'incident_units', { incidentId, unitId: unit.unitId, active: true }, { status: to, ...(column ? { [column]: t } : {}), ...(to === 'cleared' ? { active: false } : {}) });
  }
  await refreshIncidentCounters(tx, incidentId);
}

/** The unit's row on the incident it was reassigned away from ends as `reassigned`. */
export async function projectReassignedAway(tx: Sql, fromIncidentId: string, unitId: string, at: string): Promise<void> {
  await updateRows(tx, 'incident_units', { incidentId: fromIncidentId, unitId, active: true }, { active: false, status: 'reassigned', reassignedAt: new Date(at) });
  await refreshIncidentCounters(tx, fromIncidentId);
}

/**
 * The incident's counters from its incident_units rows, in one statement: active units, the
 * first dispatch and on-scene times, and pending ⇄ assigned (closed and cancelled stay).
 */
export async function refreshIncidentCounters(tx: Sql, incidentId: string): Promise<void> {
  await tx.exec(
    `UPDATE incidents i
        SET active_units = s.active, first_dispatched_at = s.first_dispatched, first_on_scene_at = s.first_on_scene,
            status = CASE WHEN i.status IN ('pending', 'assigned') THEN CASE WHEN s.active > 0 THEN 'assigned' ELSE 'pending' END ELSE i.status END,
            updated_at = $2
       FROM (SELECT count(*) FILTER (WHERE active)::int AS active, min(dispatched_at) AS first_dispatched, min(on_scene_at) AS first_on_scene
               FROM incident_units WHERE incident_id = $1::uuid) s
      WHERE i.id = $1::uuid`,
    [incidentId, new Date()],
  );
}

/** Units working an incident now (the input of the incident decider's close and assign rules). */
export async function activeUnitIds(tx: Sql, incidentId: string): Promise<string[]> {
  return (await tx.query<{ unit_id: string }>('SELECT unit_id FROM incident_units WHERE incident_id = $1::uuid AND active', [incidentId])).map((r) => r.unit_id);
}
