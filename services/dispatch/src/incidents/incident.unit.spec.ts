import { deciderSpec } from '@cad110/testkit';
import { decide, evolve, initialIncidentState, IncidentRejected, type IncidentEvent } from './incident';

const INC = '11111111-1111-4111-8111-111111111111';
const CALL = '22222222-2222-4222-8222-222222222222';
const T = '2026-11-29T08:00:00.000Z';
const opened: IncidentEvent = {
  type: 'IncidentOpened',
  data: { incidentId: INC, callId: CALL, openedAt: T, answeredAt: T, kind: 'report', category: 'criminal', subtype: 'robbery', priority: 1, flags: [], location: {} },
};
const dispatched = (unitId: string): IncidentEvent => ({ type: 'UnitDispatched', data: { incidentId: INC, callId: CALL, unitId, dispatchedAt: T } });
const spec = deciderSpec({ initialState: initialIncidentState, evolve, decide });

describe('incident decider', () => {
  it('dispatches several units and refuses one already working it', () => {
    spec.given([opened]).when({ type: 'AssignToIncident', unitId: 'A', callSign: 'a', unitType: 'station-car', at: T, activeUnitIds: [] }).then([
      { type: 'UnitDispatched', data: { incidentId: INC, callId: CALL, unitId: 'A', dispatchedAt: T, callSign: 'a', unitType: 'station-car' } },
    ]);
    spec.given([opened, dispatched('A')]).when({ type: 'AssignToIncident', unitId: 'B', callSign: 'b', unitType: 'foot-patrol', at: T, activeUnitIds: ['A'] }).then((e) => expect(e).toHaveLength(1));
    spec.given([opened, dispatched('A')]).when({ type: 'AssignToIncident', unitId: 'A', callSign: 'a', unitType: 'station-car', at: T, activeUnitIds: ['A'] }).thenThrows((e: IncidentRejected) => e.code === 'already-assigned');
  });

  it('closes only when every unit has cleared and at least one was dispatched', () => {
    spec.given([opened, dispatched('A'), dispatched('B')]).when({ type: 'CloseIfAllCleared', at: T, activeUnitIds: ['B'] }).then([]);
    spec.given([opened, dispatched('A'), dispatched('B')]).when({ type: 'CloseIfAllCleared', at: T, activeUnitIds: [] }).then([
      { type: 'IncidentClosed', data: { incidentId: INC, callId: CALL, closedAt: T, reason: 'all units cleared' } },
    ]);
    spec.given([opened]).when({ type: 'CloseIfAllCleared', at: T, activeUnitIds: [] }).then([]);
  });

  it('refuses assignments, cancellation and manual closing once closed or cancelled', () => {
    const closed: IncidentEvent = { type: 'IncidentClosed', data: { incidentId: INC, callId: CALL, closedAt: T } };
    const cancelled: IncidentEvent = { type: 'IncidentCancelled', data: { incidentId: INC, callId: CALL, cancelledAt: T, reason: 'x' } };
    spec.given([opened, closed]).when({ type: 'AssignToIncident', unitId: 'A', callSign: 'a', unitType: 't', at: T, activeUnitIds: [] }).thenThrows((e: IncidentRejected) => e.code === 'incident-closed');
    spec.given([opened, cancelled]).when({ type: 'CancelIncident', reason: 'again', at: T }).thenThrows((e: IncidentRejected) => e.code === 'incident-cancelled');
    spec.given([]).when({ type: 'CancelIncident', reason: 'x', at: T }).thenThrows((e: IncidentRejected) => e.code === 'unknown-incident');
  });

  it('closes by hand only without units on it', () => {
    spec.given([opened, dispatched('A')]).when({ type: 'CloseIncident', reason: 'phone', at: T, activeUnitIds: ['A'] }).thenThrows((e: IncidentRejected) => e.code === 'units-working');
    spec.given([opened]).when({ type: 'CloseIncident', reason: 'resolved by phone', at: T, activeUnitIds: [] }).then((e) => expect(e[0]!.type).toBe('IncidentClosed'));
  });

  it('records a reassignment away on the incident the unit leaves', () => {
    const other = '33333333-3333-4333-8333-333333333333';
    spec.given([opened, dispatched('A')]).when({ type: 'ReleaseForReassignment', unitId: 'A', toIncidentId: other, toCallId: other, at: T }).then([
      { type: 'UnitReassigned', data: { unitId: 'A', callId: CALL, fromIncidentId: INC, fromCallId: CALL, toIncidentId: other, toCallId: other, at: T } },
    ]);
  });
});
