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

  it('reopens a closed incident when a unit is dispatched to it after the last one cleared (issue 18)', () => {
    const closed: IncidentEvent = { type: 'IncidentClosed', data: { incidentId: INC, callId: CALL, closedAt: T, reason: 'all units cleared' } };
    const later = '2026-11-29T09:00:00.000Z';
    spec.given([opened, dispatched('A'), closed]).when({ type: 'AssignToIncident', unitId: 'B', callSign: 'b', unitType: 'station-car', at: later, activeUnitIds: [] }).then([
      { type: 'IncidentReopened', data: { incidentId: INC, callId: CALL, reopenedAt: later, reason: 'unit b dispatched after the incident closed', unitId: 'B' } },
      { type: 'UnitDispatched', data: { incidentId: INC, callId: CALL, unitId: 'B', dispatchedAt: later, callSign: 'b', unitType: 'station-car' } },
    ]);
    // open again: the next unit is an ordinary assignment, and it closes again when all cleared
    const reopened: IncidentEvent = { type: 'IncidentReopened', data: { incidentId: INC, callId: CALL, reopenedAt: later, reason: 'x', unitId: 'B' } };
    spec.given([opened, dispatched('A'), closed, reopened, dispatched('B')]).when({ type: 'AssignToIncident', unitId: 'C', callSign: 'c', unitType: 't', at: later, activeUnitIds: ['B'] }).then((e) => expect(e.map((x) => x.type)).toEqual(['UnitDispatched']));
    spec.given([opened, dispatched('A'), closed, reopened, dispatched('B')]).when({ type: 'CloseIfAllCleared', at: later, activeUnitIds: [] }).then((e) => expect(e.map((x) => x.type)).toEqual(['IncidentClosed']));
    // the same unit sent back after it cleared also reopens
    spec.given([opened, dispatched('A'), closed]).when({ type: 'AssignToIncident', unitId: 'A', callSign: 'a', unitType: 't', at: later, activeUnitIds: [] }).then((e) => expect(e.map((x) => x.type)).toEqual(['IncidentReopened', 'UnitDispatched']));
  });

  it('refuses assignments, cancellation and manual closing once cancelled, and cancellation or manual closing once closed', () => {
    const closed: IncidentEvent = { type: 'IncidentClosed', data: { incidentId: INC, callId: CALL, closedAt: T } };
    const cancelled: IncidentEvent = { type: 'IncidentCancelled', data: { incidentId: INC, callId: CALL, cancelledAt: T, reason: 'x' } };
    spec.given([opened, cancelled]).when({ type: 'AssignToIncident', unitId: 'A', callSign: 'a', unitType: 't', at: T, activeUnitIds: [] }).thenThrows((e: IncidentRejected) => e.code === 'incident-cancelled');
    spec.given([opened, closed]).when({ type: 'CancelIncident', reason: 'late', at: T }).thenThrows((e: IncidentRejected) => e.code === 'incident-closed');
    spec.given([opened, closed]).when({ type: 'CloseIncident', reason: 'again', at: T, activeUnitIds: [] }).thenThrows((e: IncidentRejected) => e.code === 'incident-closed');
    spec.given([opened, cancelled]).when({ type: 'CancelIncident', reason: 'again', at: T }).thenThrows((e: IncidentRejected) => e.code === 'incident-cancelled');
    spec.given([]).when({ type: 'CancelIncident', reason: 'x', at: T }).thenThrows((e: IncidentRejected) => e.code === 'unknown-incident');
  });

  it('closes by hand only without units on it', () => {
    spec.given([opened, dispatched('A')]).when({ type: 'CloseIncident', reason: 'phone', at: T, activeUnitIds: ['A'] }).thenThrows((e: IncidentRejected) => e.code === 'units-working');
    spec.given([opened]).when({ type: 'CloseIncident', reason: 'resolved by phone', at: T, activeUnitIds: [] }).then((e) => expect(e[0]!.type).toBe('IncidentClosed'));
  });

  it('closes without a unit with a disposition (电话处置) and a note; the reason is the disposition code unless given (issue 15 §2)', () => {
    spec.given([opened]).when({ type: 'CloseIncident', disposition: 'resolved-by-phone', note: '劝解后不需出警', at: T, activeUnitIds: [] }).then([
      { type: 'IncidentClosed', data: { incidentId: INC, callId: CALL, closedAt: T, reason: 'resolved-by-phone', disposition: 'resolved-by-phone', note: '劝解后不需出警' } },
    ]);
    spec.given([opened]).when({ type: 'CloseIncident', disposition: 'referred', reason: 'to the fire service', at: T, activeUnitIds: [] }).then([
      { type: 'IncidentClosed', data: { incidentId: INC, callId: CALL, closedAt: T, reason: 'to the fire service', disposition: 'referred' } },
    ]);
    // the older body: a free-text reason only
    spec.given([opened]).when({ type: 'CloseIncident', reason: 'resolved by phone', at: T, activeUnitIds: [] }).then([{ type: 'IncidentClosed', data: { incidentId: INC, callId: CALL, closedAt: T, reason: 'resolved by phone' } }]);
    spec.given([opened, dispatched('A')]).when({ type: 'CloseIncident', disposition: 'resolved-by-phone', at: T, activeUnitIds: ['A'] }).thenThrows((e: IncidentRejected) => e.code === 'units-working');
    const closed: IncidentEvent = { type: 'IncidentClosed', data: { incidentId: INC, callId: CALL, closedAt: T, reason: 'resolved-by-phone', disposition: 'resolved-by-phone' } };
    spec.given([opened, closed]).when({ type: 'CloseIncident', disposition: 'other', at: T, activeUnitIds: [] }).thenThrows((e: IncidentRejected) => e.code === 'incident-closed');
    expect(evolve(evolve(initialIncidentState, opened), closed)).toMatchObject({ lifecycle: 'closed', endReason: 'resolved-by-phone' });
  });

  it('adds a dispatcher note to an open, closed or cancelled incident, never to an unknown one (issue 15 §2)', () => {
    const later = '2026-11-29T08:05:00.000Z';
    spec.given([opened]).when({ type: 'AddNote', text: '报警人回电：嫌疑人往北逃离', at: later }).then([{ type: 'IncidentNoteAdded', data: { incidentId: INC, callId: CALL, text: '报警人回电：嫌疑人往北逃离', addedAt: later } }]);
    const closed: IncidentEvent = { type: 'IncidentClosed', data: { incidentId: INC, callId: CALL, closedAt: T, reason: 'x' } };
    spec.given([opened, closed]).when({ type: 'AddNote', text: 'call-back after the close', at: later }).then((e) => expect(e.map((x) => x.type)).toEqual(['IncidentNoteAdded']));
    spec.given([]).when({ type: 'AddNote', text: 'x', at: later }).thenThrows((e: IncidentRejected) => e.code === 'unknown-incident');
  });

  it('changes the priority with a reason while open, from the current one (IncidentPriorityChanged), refusing the same priority and a closed incident', () => {
    const later = '2026-11-29T08:05:00.000Z';
    spec.given([opened]).when({ type: 'ChangePriority', priority: 2, reason: '嫌疑人已离开', at: later }).then([
      { type: 'IncidentPriorityChanged', data: { incidentId: INC, callId: CALL, from: 1, to: 2, reason: '嫌疑人已离开', changedAt: later } },
    ]);
    const changed: IncidentEvent = { type: 'IncidentPriorityChanged', data: { incidentId: INC, callId: CALL, from: 1, to: 2, reason: 'x', changedAt: later } };
    expect(evolve(evolve(initialIncidentState, opened), changed).priority).toBe(2);
    spec.given([opened, changed]).when({ type: 'ChangePriority', priority: 1, reason: 'weapon seen', at: later }).then((e) => expect(e[0]!.data).toMatchObject({ from: 2, to: 1 }));
    spec.given([opened, changed]).when({ type: 'ChangePriority', priority: 2, reason: 'again', at: later }).thenThrows((e: IncidentRejected) => e.code === 'same-priority');
    const closed: IncidentEvent = { type: 'IncidentClosed', data: { incidentId: INC, callId: CALL, closedAt: T, reason: 'x' } };
    spec.given([opened, closed]).when({ type: 'ChangePriority', priority: 2, reason: 'late', at: later }).thenThrows((e: IncidentRejected) => e.code === 'incident-closed');
    spec.given([]).when({ type: 'ChangePriority', priority: 2, reason: 'x', at: later }).thenThrows((e: IncidentRejected) => e.code === 'unknown-incident');
  });

  it('links as the duplicate of another incident (IncidentLinkedAsDuplicate), closing a pending one (disposition duplicate); refuses itself, a second link and a closed incident', () => {
    const other = '33333333-3333-4333-8333-333333333333';
    const otherCall = '44444444-4444-4444-8444-444444444444';
    const later = '2026-11-29T08:05:00.000Z';
    const link = { type: 'LinkAsDuplicate' as const, duplicateOf: other, duplicateOfCallId: otherCall, reason: '同一起事件', at: later };
    const linked: IncidentEvent = { type: 'IncidentLinkedAsDuplicate', data: { incidentId: INC, callId: CALL, duplicateOf: other, duplicateOfCallId: otherCall, reason: '同一起事件', linkedAt: later } };
    spec.given([opened]).when({ ...link, activeUnitIds: [] }).then([
      linked,
      { type: 'IncidentClosed', data: { incidentId: INC, callId: CALL, closedAt: later, reason: 'duplicate', disposition: 'duplicate', note: `duplicate of incident ${other}` } },
    ]);
    spec.given([opened, dispatched('A')]).when({ ...link, activeUnitIds: ['A'] }).then([linked]);
    const { reason: _r, ...noReason } = link;
    spec.given([opened, dispatched('A')]).when({ ...noReason, activeUnitIds: ['A'] }).then((e) => expect(e[0]!.data).toMatchObject({ reason: null }));
    expect(evolve(evolve(initialIncidentState, opened), linked).duplicateOf).toBe(other);
    spec.given([opened, dispatched('A'), linked]).when({ ...link, activeUnitIds: ['A'] }).thenThrows((e: IncidentRejected) => e.code === 'already-linked');
    spec.given([opened]).when({ ...link, duplicateOf: INC, activeUnitIds: [] }).thenThrows((e: IncidentRejected) => e.code === 'self-link');
    const closed: IncidentEvent = { type: 'IncidentClosed', data: { incidentId: INC, callId: CALL, closedAt: T, reason: 'x' } };
    spec.given([opened, closed]).when({ ...link, activeUnitIds: [] }).thenThrows((e: IncidentRejected) => e.code === 'incident-closed');
    spec.given([]).when({ ...link, activeUnitIds: [] }).thenThrows((e: IncidentRejected) => e.code === 'unknown-incident');
  });

  it('records a reassignment away on the incident the unit leaves', () => {
    const other = '33333333-3333-4333-8333-333333333333';
    spec.given([opened, dispatched('A')]).when({ type: 'ReleaseForReassignment', unitId: 'A', toIncidentId: other, toCallId: other, at: T }).then([
      { type: 'UnitReassigned', data: { unitId: 'A', callId: CALL, fromIncidentId: INC, fromCallId: CALL, toIncidentId: other, toCallId: other, at: T } },
    ]);
  });
});
