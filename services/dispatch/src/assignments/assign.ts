import { CommandRejected, NotFoundError, StaleVersionError, type ActingUser, type DutyLevel, type EventEnvelope, type UnitStatus } from '@cad110/contracts';
import { handleCommand, heldStream, loadStream, runCommand, type LoadedStream } from '@cad110/eventstore';
import type { Sql } from '@cad110/db';
import { atOf, localMinute, type DispatchContext } from '../context';
import { dutyStatus } from '../duty/duty';
import { decide as decideIncident, type IncidentState } from '../incidents/incident';
import { incidentStream, incidentStreamId } from '../incidents/stream';
import { unitStream, unitStreamId } from '../units/stream';
import { decide as decideUnit, ON_INCIDENT, type UnitState } from '../units/unit';
import { activeUnitIds, noActiveUnits } from './projection';

/** What the read model says of a unit before its stream is locked: its incident and its roster. */
interface UnitPeek {
  incident_id: string | null;
  min_duty_level: DutyLevel;
  shift_name: string;
  shift_start: string;
  shift_end: string;
  /** the district's duty level; null = normal */
  level: DutyLevel | null;
}

/**
 * The unit's incident and roster from the read model, one statement (no lock: the incident
 * streams must be locked before the unit's, so the unit's incident is read first).
 * @returns undefined when the unit does not exist
 */
export async function peekUnit(tx: Sql, unitId: string): Promise<UnitPeek | undefined> {
  const peek = (
    await tx.query<UnitPeek>(
      `SELECT u.incident_id, u.min_duty_level, u.shift_name, u.shift_start, u.shift_end, d.level
         FROM units u LEFT JOIN duty_levels d ON d.district = u.district WHERE u.id = $1`,
      [unitId],
    )
  )[0];
  if (peek) {
    let byUnit = PEEKED.get(tx);
    if (!byUnit) PEEKED.set(tx, (byUnit = new Map()));
    byUnit.set(unitId, peek);
  }
  return peek;
}

/** The units a transaction has peeked at (their roster and district level, as read then). */
const PEEKED = new WeakMap<Sql, Map<string, UnitPeek>>();

/**
 * The unit's peek without a statement when this transaction holds the unit's stream (and so
 * knows its incident from its own state) and has read its roster before: a batch sending one
 * unit to many incidents (a history replay's mutual-aid units) reads its roster once. The roster
 * and the district's duty level are as read at the first peek of the transaction, milliseconds
 * earlier; neither is locked at any peek.
 */
function heldPeek(tx: Sql, unitId: string): UnitPeek | undefined {
  const held = heldStream<UnitState>(tx, 'unit', unitStreamId(unitId));
  const roster = held && PEEKED.get(tx)?.get(unitId);
  return roster ? { ...roster, incident_id: held.state.incidentId ?? null } : undefined;
}

export interface AssignResult {
  incidentId: string;
  unitId: string;
  status: UnitStatus;
  incidentVersion: number;
  unitVersion: number;
  events: string[];
}

/**
 * Dispatches a unit to an incident (UnitDispatched on the incident, UnitStatusChanged →
 * dispatched on the unit). A unit busy on another incident is moved only with `reassign`
 * (UnitReassigned on the incident it leaves, which returns to the pending queue when no unit is
 * left on it). Streams are locked incidents first (in id order), then the unit. A unit that is on
 * another incident is refused with 409 `busy` (or `unit-busy` when it was taken by a concurrent
 * assignment since it was read) and `params {unitId, callSign, status, incidentId}`: where it is now.
 * Without `at` the time is taken after the locks are held.
 * @param ifMatch expected incident version (If-Match)
 * @throws NotFoundError, StaleVersionError (412), CommandRejected (409), FutureTimeError
 */
export async function assignUnit(ctx: DispatchContext, incidentId: string, input: { unitId: string; at?: string; reassign?: boolean }, by: ActingUser, ifMatch?: number): Promise<AssignResult> {
  const given = input.at === undefined ? undefined : atOf(ctx, input.at); // a client time is checked before any lock
  const out = await runCommand(ctx.transaction, async (tx) => {
    const peek = heldPeek(tx, input.unitId) ?? (await peekUnit(tx, input.unitId));
    if (!peek) throw new NotFoundError(`unit ${input.unitId}`);
    const ids = [...new Set([incidentId, ...(peek.incident_id ? [peek.incident_id] : [])])].sort();
    const locked = new Map<string, LoadedStream<IncidentState>>();
    for (const id of ids) locked.set(id, await loadStream(tx, ctx.registry, incidentStream, incidentStreamId(id)));
    const incident = locked.get(incidentId)!;
    if (incident.version === 0) throw new NotFoundError(`incident ${incidentId}`);
    // an incident no unit was ever sent to has none working it: no statement to ask
    if (incident.state.dispatchedUnits.length === 0) noActiveUnits(tx, incidentId);
    if (ifMatch !== undefined && ifMatch !== incident.version) throw new StaleVersionError(`incident ${incidentId}`, ifMatch, incident.version);
    const units = unitStream(ctx);
    const unit = await loadStream(tx, ctx.registry, units, unitStreamId(input.unitId));
    const u = unit.state;
    const busyOn = (code: string, hint: string) =>
      new CommandRejected(code, `unit ${u.callSign ?? input.unitId} is ${u.status} on incident ${u.incidentId}${hint}`, {
        unitId: input.unitId,
        callSign: u.callSign ?? input.unitId,
        status: u.status,
        incidentId: u.incidentId,
      });
    // another assignment won the race for this unit: say where it is now (a retry with reassign
    // would take it from the winner, so the loser must see that first)
    if (u.incidentId !== peek.incident_id && u.incidentId && u.incidentId !== incidentId) throw busyOn('unit-busy', '');
    // default time after the locks (issue 13 item 6)
    const at = given ?? atOf(ctx);
    const events: EventEnvelope[] = [];
    const opts = { by, occurredAt: at };
    const assign = async () =>
      (
        await handleCommand(tx, ctx.registry, incidentStream, incident.streamId, async (s) =>
          decideIncident({ type: 'AssignToIncident', unitId: input.unitId, callSign: u.callSign!, unitType: u.unitType!, at, activeUnitIds: await activeUnitIds(tx, incidentId) }, s),
          { ...opts, loaded: incident },
        )
      ).envelopes;
    const callId = incident.state.callId!;
    if (u.incidentId && ON_INCIDENT.includes(u.status) && u.incidentId !== incidentId) {
      if (!input.reassign) throw busyOn('busy', '; send reassign: true to move it');
      const from = locked.get(u.incidentId)!;
      events.push(...(await assign()));
      const moved = await handleCommand(tx, ctx.registry, units, unit.streamId, (s) => decideUnit({ type: 'ReassignUnit', incidentId, callId, at }, s), { ...opts, loaded: unit });
      const released = await handleCommand(tx, ctx.registry, incidentStream, from.streamId, (s) => decideIncident({ type: 'ReleaseForReassignment', unitId: input.unitId, toIncidentId: incidentId, toCallId: callId, at }, s), { ...opts, loaded: from });
      events.push(...released.envelopes, ...moved.envelopes);
    } else {
      events.push(...(await assign()));
      const onDuty = dutyStatus({ minDutyLevel: peek.min_duty_level, shift: { name: peek.shift_name, start: peek.shift_start, end: peek.shift_end } }, peek.level ?? 'normal', localMinute(at, ctx.timeZone));
      const r = await handleCommand(tx, ctx.registry, units, unit.streamId, (s) => decideUnit({ type: 'AssignUnit', incidentId, callId, at, onDuty }, s), { ...opts, loaded: unit });
      events.push(...r.envelopes);
    }
    return { incidentId, unitId: input.unitId, status: unit.state.status, incidentVersion: incident.version, unitVersion: unit.version, events: events.map((e) => e.type) };
  });
  ctx.published();
  return out;
}
