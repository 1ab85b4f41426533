/**
 * The assignment read model (`incident_units`: one row per unit per incident it was sent to) and
 * the incident counters derived from it. Written by the unit projection (a unit's status changes
 * on an incident) and the incident projection (a unit reassigned away), in their transactions.
 */
import type { UnitStatus } from '@cad110/contracts';
import type { Sql } from '@cad110/db';

/** The incident_units column a status change stamps (snake_case: the SQL below is written by hand). */
const COLUMN: Partial<Record<UnitStatus, string>> = { 'en-route': 'en_route_at', 'on-scene': 'on_scene_at', transporting: 'transporting_at', cleared: 'cleared_at' };

/**
 * The incident's counters from its incident_units rows after the write `w` (a CTE returning the
 * written rows' `active, dispatched_at, on_scene_at`): the rows the write did not touch
 * (`untouched`, a condition on `o`) as the statement's snapshot holds them, plus the written rows
 * as they are now — a statement's own writes are not visible to its other parts, so the new
 * versions come from RETURNING. Active units, first dispatch and on-scene times, pending ⇄ assigned
 * (closed and cancelled stay). Parameters: $1 the incident id, $2 updated_at.
 */
function countersAfter(untouched: string): string {
  return `, s AS (
      SELECT count(*) FILTER (WHERE active)::int AS active, min(dispatched_at) AS first_dispatched, min(on_scene_at) AS first_on_scene
        FROM (SELECT o.active, o.dispatched_at, o.on_scene_at FROM incident_units o WHERE o.incident_id = $1::uuid AND ${untouched}
              UNION ALL SELECT active, dispatched_at, on_scene_at FROM w) x)
    UPDATE incidents i
       SET active_units = s.active, first_dispatched_at = s.first_dispatched, first_on_scene_at = s.first_on_scene,
           status = CASE WHEN i.status IN ('pending', 'assigned') THEN CASE WHEN s.active > 0 THEN 'assigned' ELSE 'pending' END ELSE i.status END,
           updated_at = $2
      FROM s
     WHERE i.id = $1::uuid`;
}

/**
 * incident_units and the incident's counters for one status change of a unit on an incident, in
 * one statement (the row written and the counters refreshed from it: half the round trips of a
 * write then a refresh, on every status report and every step of a history replay). `also` adds
 * one more write to the statement (the unit's `units` row), its parameters numbered from the
 * number it is given.
 */
export async function projectAssignmentStatus(
  tx: Sql,
  unit: { unitId: string; callSign: string; unitType: string },
  incidentId: string,
  to: UnitStatus,
  at: string,
  also?: (firstParam: number) => { sql: string; values: unknown[] } | undefined,
): Promise<void> {
  const t = new Date(at);
  const column = COLUMN[to];
  const [write, params, untouched] =
    to === 'dispatched'
      ? [
          `INSERT INTO incident_units (incident_id, unit_id, call_sign, unit_type, status, dispatched_at)
           VALUES ($1::uuid, $3, $4, $5, 'dispatched', $6::timestamptz)`,
          [incidentId, new Date(), unit.unitId, unit.callSign, unit.unitType, t],
          'true',
        ]
      : [
          `UPDATE incident_units SET status = $4${column ? `, ${column} = $5::timestamptz` : ''}${to === 'cleared' ? ', active = false' : ''}
            WHERE incident_id = $1::uuid AND unit_id = $3 AND active`,
          [incidentId, new Date(), unit.unitId, to, ...(column ? [t] : [])],
          'NOT (o.unit_id = $3 AND o.active)',
        ];
  // another write of the same projection (the unit's own row) rides in the same statement
  const extra = also?.(params.length + 1);
  await tx.exec(`WITH ${extra ? `a AS (${extra.sql}), ` : ''}w AS (${write} RETURNING active, dispatched_at, on_scene_at) ${countersAfter(untouched)}`, [...params, ...(extra?.values ?? [])]);
  if (to === 'dispatched') noteActive(tx, incidentId, unit.unitId, true);
  else if (to === 'cleared') noteActive(tx, incidentId, unit.unitId, false);
}

/** The unit's row on the incident it was reassigned away from ends as `reassigned` (and the counters with it, one statement). */
export async function projectReassignedAway(tx: Sql, fromIncidentId: string, unitId: string, at: string): Promise<void> {
  await tx.exec(
    `WITH w AS (
       UPDATE incident_units SET active = false, status = 'reassigned', reassigned_at = $4::timestamptz
        WHERE incident_id = $1::uuid AND unit_id = $3 AND active
       RETURNING active, dispatched_at, on_scene_at)
     ${countersAfter('NOT (o.unit_id = $3 AND o.active)')}`,
    [fromIncidentId, new Date(), unitId, new Date(at)],
  );
  noteActive(tx, fromIncidentId, unitId, false);
}

/**
 * The units working each incident as this transaction last read or wrote them (see
 * {@link activeUnitIds}); kept current by the writers above, the only writers of
 * `incident_units.active`. Keyed by the transaction's `Sql`, so it goes with the transaction (no
 * savepoints: a transaction's writes never roll back partly).
 */
const ACTIVE = new WeakMap<Sql, Map<string, Set<string>>>();

function noteActive(tx: Sql, incidentId: string, unitId: string, active: boolean): void {
  const units = ACTIVE.get(tx)?.get(incidentId);
  if (!units) return;
  if (active) units.add(unitId);
  else units.delete(unitId);
}

/**
 * Tells the transaction that no unit works `incidentId` (its stream, locked by this transaction,
 * has never had a unit dispatched), so {@link activeUnitIds} needs no statement for it and later
 * writes keep it current. No effect when the transaction already knows its units.
 */
export function noActiveUnits(tx: Sql, incidentId: string): void {
  let byIncident = ACTIVE.get(tx);
  if (!byIncident) ACTIVE.set(tx, (byIncident = new Map()));
  if (!byIncident.has(incidentId)) byIncident.set(incidentId, new Set());
}

/**
 * Units working an incident now (the input of the incident decider's close and assign rules):
 * one statement the first time a transaction asks about an incident, then from what the
 * transaction itself wrote (a batch replaying an incident's dispatch and clear asks twice).
 */
export async function activeUnitIds(tx: Sql, incidentId: string): Promise<string[]> {
  const known = ACTIVE.get(tx)?.get(incidentId);
  if (known) return [...known];
  const ids = (await tx.query<{ unit_id: string }>('SELECT unit_id FROM incident_units WHERE incident_id = $1::uuid AND active', [incidentId])).map((r) => r.unit_id);
  let byIncident = ACTIVE.get(tx);
  if (!byIncident) ACTIVE.set(tx, (byIncident = new Map()));
  byIncident.set(incidentId, new Set(ids));
  return ids;
}
