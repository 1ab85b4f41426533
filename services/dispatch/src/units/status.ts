import { NotFoundError, StaleVersionError, CommandRejected, type ActingUser, type UnitStatus } from '@cad110/contracts';
import { handleCommand, heldStream, loadStream, runCommand } from '@cad110/eventstore';
import { activeUnitIds } from '../assignments/projection';
import { assignUnit, peekUnit } from '../assignments/assign';
import { atOf, type DispatchContext } from '../context';
import { decide as decideIncident } from '../incidents/incident';
import { incidentStream, incidentStreamId } from '../incidents/stream';
import { unitStream, unitStreamId } from './stream';
import { decide, type UnitState } from './unit';

/**
 * A unit's status report (en-route, on-scene, transporting, cleared, available, out-of-service).
 * When the last unit working an incident clears, the incident closes (IncidentClosed).
 * `dispatched` with an incident is an assignment ({@link assignUnit}). Without `at` the report is
 * stamped with the server time taken after the stream locks are held (issue 13 item 6).
 * @param ifMatch expected unit version (If-Match)
 * @throws NotFoundError, StaleVersionError (412), CommandRejected (409), FutureTimeError
 */
export async function changeUnitStatus(
  ctx: DispatchContext,
  unitId: string,
  input: { status: UnitStatus; at?: string; incidentId?: string },
  by: ActingUser,
  ifMatch?: number,
): Promise<{ unitId: string; status: UnitStatus; version: number; incidentId: string | null; events: string[] }> {
  if (input.status === 'dispatched' && input.incidentId) {
    const r = await assignUnit(ctx, input.incidentId, { unitId, ...(input.at ? { at: input.at } : {}) }, by);
    return { unitId, status: r.status, version: r.unitVersion, incidentId: input.incidentId, events: r.events };
  }
  const given = input.at === undefined ? undefined : atOf(ctx, input.at); // a client time is checked before any lock
  const out = await runCommand(ctx.transaction, async (tx) => {
    // in a batch or a consumer chunk that already holds the unit's stream (and its incident's)
    // the unit's own state says where it is: no read-model statement, no lock to order
    const held = heldStream<UnitState>(tx, 'unit', unitStreamId(unitId));
    const both = held && (!held.state.incidentId || heldStream(tx, 'incident', incidentStreamId(held.state.incidentId)));
    const peek = both ? { incident_id: held.state.incidentId } : await peekUnit(tx, unitId);
    if (!peek) throw new NotFoundError(`unit ${unitId}`);
    // the incident's stream first (the lock order of every multi-stream command)
    const incident = peek.incident_id ? await loadStream(tx, ctx.registry, incidentStream, incidentStreamId(peek.incident_id)) : null;
    const unit = await loadStream(tx, ctx.registry, unitStream(ctx), unitStreamId(unitId));
    if (ifMatch !== undefined && ifMatch !== unit.version) throw new StaleVersionError(`unit ${unitId}`, ifMatch, unit.version);
    if (unit.state.incidentId !== peek.incident_id) {
      throw new CommandRejected('unit-changed', `unit ${unitId} is now ${unit.state.status}${unit.state.incidentId ? ` on incident ${unit.state.incidentId}` : ''}`, {
        unitId,
        callSign: unit.state.callSign ?? unitId,
        status: unit.state.status,
        incidentId: unit.state.incidentId ?? null,
      });
    }
    // the default time is taken now that the unit's (and its incident's) rows are locked: a report
    // that waited for an earlier one is stamped after it, never "before the last status change"
    const at = given ?? atOf(ctx);
    const r = await handleCommand(tx, ctx.registry, unitStream(ctx), unit.streamId, (s) => decide({ type: 'ChangeUnitStatus', to: input.status, at, ...(input.incidentId ? { incidentId: input.incidentId } : {}) }, s), {
      by,
      occurredAt: at,
      loaded: unit,
    });
    const events = [...r.envelopes];
    if (incident && input.status === 'cleared') {
      const closed = await handleCommand(tx, ctx.registry, incidentStream, incident.streamId, async (s) => decideIncident({ type: 'CloseIfAllCleared', at, activeUnitIds: await activeUnitIds(tx, peek.incident_id!) }, s), {
        by,
        occurredAt: at,
        loaded: incident,
      });
      events.push(...closed.envelopes);
    }
    return { unitId, status: unit.state.status, version: unit.version, incidentId: peek.incident_id, events: events.map((e) => e.type) };
  });
  ctx.published();
  return out;
}
