import { deciderSpec } from '@cad110/testkit';
import type { UnitStatus } from '@cad110/contracts';
import { decide, evolve, initialUnitState, REASSIGNABLE, TRANSITIONS, UNIT_STATUSES, UnitRejected, type UnitCommand, type UnitEvent } from './unit';

const INC_A = '11111111-1111-4111-8111-111111111111';
const CALL_A = '22222222-2222-4222-8222-222222222222';
const INC_B = '33333333-3333-4333-8333-333333333333';
const CALL_B = '44444444-4444-4444-8444-444444444444';
const T0 = '2026-11-29T08:00:00.000Z';
const T1 = '2026-11-29T08:01:00.000Z';

const registered: UnitEvent = {
  type: 'UnitRegistered',
  data: { unitId: 'U1', callSign: '城南1', type: 'station-car', district: 'Precinct 3', homeStation: 'station-south', capabilities: ['armed'], crewSize: 2, shift: { name: '24h', start: '00:00', end: '24:00' }, minDutyLevel: 'normal', replay: false, registeredAt: T0 },
};
const spec = deciderSpec({ initialState: initialUnitState, evolve, decide });
const onDuty = { onDuty: true, reason: 'on shift' };

/** Events that bring a registered unit into `status` (on incident A when the status needs one). */
function history(status: UnitStatus): UnitEvent[] {
  const change = (from: UnitStatus, to: UnitStatus): UnitEvent => ({ type: 'UnitStatusChanged', data: { unitId: 'U1', from, to, at: T0, ...(['dispatched', 'en-route', 'on-scene', 'transporting'].includes(to) ? { incidentId: INC_A, callId: CALL_A } : {}) } });
  const paths: Record<UnitStatus, UnitStatus[]> = {
    available: [],
    dispatched: ['dispatched'],
    'en-route': ['dispatched', 'en-route'],
    'on-scene': ['dispatched', 'en-route', 'on-scene'],
    transporting: ['dispatched', 'on-scene', 'transporting'],
    cleared: ['dispatched', 'cleared'],
    'out-of-service': ['out-of-service'],
  };
  let from: UnitStatus = 'available';
  const events: UnitEvent[] = [registered];
  for (const to of paths[status]) {
    events.push(change(from, to));
    from = to;
  }
  return events;
}

/** The command that asks for `to` (dispatched = an assignment to incident B). */
function commandFor(to: UnitStatus): UnitCommand {
  return to === 'dispatched' ? { type: 'AssignUnit', incidentId: INC_B, callId: CALL_B, at: T1, onDuty } : { type: 'ChangeUnitStatus', to, at: T1 };
}

describe('unit status decider: every (from, to) pair', () => {
  const pairs = UNIT_STATUSES.flatMap((from) => UNIT_STATUSES.map((to) => [from, to] as const));
  it('covers all 49 pairs', () => expect(pairs).toHaveLength(49));

  it.each(pairs.filter(([f, t]) => TRANSITIONS[f].includes(t)))('allows %s → %s', (from, to) => {
    spec.given(history(from)).when(commandFor(to)).then((events) => {
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'UnitStatusChanged', data: { unitId: 'U1', from, to, at: T1 } });
      const d = events[0]!.data as { incidentId?: string };
      if (to === 'dispatched') expect(d.incidentId).toBe(INC_B);
      else if (['en-route', 'on-scene', 'transporting', 'cleared'].includes(to)) expect(d.incidentId).toBe(INC_A);
    });
  });

  it.each(pairs.filter(([f, t]) => !TRANSITIONS[f].includes(t)))('rejects %s → %s with 409', (from, to) => {
    spec.given(history(from)).when(commandFor(to)).thenThrows((e: UnitRejected) => e instanceof UnitRejected && ['transition-not-allowed', 'not-free'].includes(e.code));
  });

  it('lists exactly the transitions of the README table', () => {
    expect(TRANSITIONS).toEqual({
      available: ['dispatched', 'out-of-service'],
      dispatched: ['en-route', 'on-scene', 'cleared'],
      'en-route': ['on-scene', 'cleared'],
      'on-scene': ['transporting', 'cleared'],
      transporting: ['cleared'],
      cleared: ['available', 'dispatched', 'out-of-service'],
      'out-of-service': ['available'],
    });
  });
});

describe('unit status decider: reassignment from every status', () => {
  it.each(UNIT_STATUSES)('from %s', (from) => {
    const cmd: UnitCommand = { type: 'ReassignUnit', incidentId: INC_B, callId: CALL_B, at: T1 };
    if (REASSIGNABLE.includes(from)) {
      spec.given(history(from)).when(cmd).then([{ type: 'UnitStatusChanged', data: { unitId: 'U1', from, to: 'dispatched', at: T1, incidentId: INC_B, callId: CALL_B } }]);
    } else {
      spec.given(history(from)).when(cmd).thenThrows((e: UnitRejected) => e.code === 'not-reassignable');
    }
  });

  it('refuses a reassignment to the incident the unit is already on', () => {
    spec.given(history('en-route')).when({ type: 'ReassignUnit', incidentId: INC_A, callId: CALL_A, at: T1 }).thenThrows((e: UnitRejected) => e.code === 'same-incident');
  });
});

describe('unit status decider: other rules', () => {
  it('refuses to dispatch an off-duty unit', () => {
    spec.given(history('available')).when({ type: 'AssignUnit', incidentId: INC_B, callId: CALL_B, at: T1, onDuty: { onDuty: false, reason: 'off shift (08:00–22:00)' } }).thenThrows((e: UnitRejected) => e.code === 'off-duty' && /off shift/.test(e.message));
  });

  it('refuses a status time before the current status began (time never runs backwards for a unit)', () => {
    spec.given(history('dispatched')).when({ type: 'ChangeUnitStatus', to: 'en-route', at: '2026-11-29T07:59:59.000Z' }).thenThrows((e: UnitRejected) => e.code === 'time-before-last-change');
  });

  it('refuses dispatched through a status report and a report naming another incident', () => {
    spec.given(history('available')).when({ type: 'ChangeUnitStatus', to: 'dispatched', at: T1 }).thenThrows((e: UnitRejected) => e.code === 'use-assignment');
    spec.given(history('en-route')).when({ type: 'ChangeUnitStatus', to: 'on-scene', at: T1, incidentId: INC_B }).thenThrows((e: UnitRejected) => e.code === 'other-incident');
  });

  it('refuses commands for an unregistered unit and a second registration', () => {
    spec.given([]).when({ type: 'ChangeUnitStatus', to: 'en-route', at: T1 }).thenThrows((e: UnitRejected) => e.code === 'unknown-unit');
    spec.given([registered]).when({ type: 'RegisterUnit', unit: registered.data as never }).thenThrows((e: UnitRejected) => e.code === 'unit-exists');
  });

  it('ties the unit to its incident while busy and frees it on clearing', () => {
    const s = [...history('on-scene'), { type: 'UnitStatusChanged', data: { unitId: 'U1', from: 'on-scene', to: 'cleared', at: T1, incidentId: INC_A, callId: CALL_A } } as UnitEvent].reduce(evolve, initialUnitState);
    expect(s).toMatchObject({ status: 'cleared', incidentId: null, callId: null, statusSince: T1 });
    expect(history('transporting').reduce(evolve, initialUnitState)).toMatchObject({ status: 'transporting', incidentId: INC_A });
  });

  it('records AVL fixes and ignores a fix older than the last one', () => {
    const given = [...history('available'), { type: 'UnitPositionUpdated', data: { unitId: 'U1', lat: 44.95, lon: -93.25, at: T1 } } as UnitEvent];
    spec.given(given).when({ type: 'UpdatePosition', lat: 44.9, lon: -93.2, at: T0 }).then([]);
    spec.given(given).when({ type: 'UpdatePosition', lat: 44.9, lon: -93.2, at: '2026-11-29T08:02:00.000Z' }).then([{ type: 'UnitPositionUpdated', data: { unitId: 'U1', lat: 44.9, lon: -93.2, at: '2026-11-29T08:02:00.000Z' } }]);
  });

  it('raises an overdue alert once per sequence, only in the timed status', () => {
    spec.given(history('dispatched')).when({ type: 'RaiseOverdue', kind: 'not-en-route', limitSeconds: 60, sequence: 1 }).then([
      { type: 'UnitOverdueAlerted', data: { unitId: 'U1', incidentId: INC_A, callId: CALL_A, kind: 'not-en-route', status: 'dispatched', since: T0, dueAt: T1, limitSeconds: 60, sequence: 1 } },
    ]);
    const alerted: UnitEvent = { type: 'UnitOverdueAlerted', data: { unitId: 'U1', incidentId: INC_A, callId: CALL_A, kind: 'not-en-route', status: 'dispatched', since: T0, dueAt: T1, limitSeconds: 60, sequence: 1 } };
    spec.given([...history('dispatched'), alerted]).when({ type: 'RaiseOverdue', kind: 'not-en-route', limitSeconds: 60, sequence: 1 }).thenThrows((e: UnitRejected) => e.code === 'already-alerted');
    spec.given(history('en-route')).when({ type: 'RaiseOverdue', kind: 'not-en-route', limitSeconds: 60, sequence: 1 }).thenThrows((e: UnitRejected) => e.code === 'not-overdue');
    spec.given(history('on-scene')).when({ type: 'RaiseOverdue', kind: 'check-in-due', limitSeconds: 1800, sequence: 2 }).then((ev) => expect(ev[0]!.data).toMatchObject({ kind: 'check-in-due', dueAt: '2026-11-29T09:00:00.000Z', sequence: 2 }));
  });

  it('acknowledges an overdue alert once (UnitOverdueAcknowledged); a second acknowledge decides nothing', () => {
    const alerted: UnitEvent = { type: 'UnitOverdueAlerted', data: { unitId: 'U1', incidentId: INC_A, callId: CALL_A, kind: 'not-en-route', status: 'dispatched', since: T0, dueAt: T1, limitSeconds: 60, sequence: 1 } };
    const alert = { alertId: '7', kind: 'not-en-route' as const, since: T0, sequence: 1, incidentId: INC_A, callId: CALL_A };
    const at = '2026-11-29T08:02:00.000Z';
    spec.given([...history('dispatched'), alerted]).when({ type: 'AcknowledgeOverdue', alert: { ...alert, acknowledged: false }, at }).then([
      { type: 'UnitOverdueAcknowledged', data: { unitId: 'U1', alertId: '7', incidentId: INC_A, callId: CALL_A, kind: 'not-en-route', since: T0, sequence: 1, acknowledgedAt: at } },
    ]);
    // the unit has moved on since: the alert is still acknowledged, the unit's state is unchanged
    const later = [...history('dispatched'), alerted, { type: 'UnitStatusChanged', data: { unitId: 'U1', from: 'dispatched', to: 'en-route', at: T1, incidentId: INC_A, callId: CALL_A } } as UnitEvent];
    spec.given(later).when({ type: 'AcknowledgeOverdue', alert: { ...alert, acknowledged: false }, at }).then((ev) => expect(ev.map((e) => e.type)).toEqual(['UnitOverdueAcknowledged']));
    spec.given([...history('dispatched'), alerted]).when({ type: 'AcknowledgeOverdue', alert: { ...alert, acknowledged: true }, at }).then([]);
    expect(evolve(evolve(initialUnitState, registered), { type: 'UnitOverdueAcknowledged', data: { unitId: 'U1', alertId: '7', kind: 'not-en-route', since: T0, sequence: 1, acknowledgedAt: at } })).toEqual(evolve(initialUnitState, registered));
  });
});

describe('roster (排班) decider', () => {
  const out: UnitEvent = { type: 'UnitTakenOutOfService', data: { unitId: 'U1', reason: 'vehicle-repair', at: T1 } };
  it('takes a unit out of service and back, once each', () => {
    spec.given(history('available')).when({ type: 'TakeOutOfService', reason: 'vehicle-repair', at: T1 }).then([out]);
    spec.given([...history('available'), out]).when({ type: 'TakeOutOfService', reason: 'training', at: T1 }).thenThrows((e: UnitRejected) => e.code === 'already-out-of-service');
    spec.given([...history('available'), out]).when({ type: 'ReturnToService', at: T1 }).then([{ type: 'UnitReturnedToService', data: { unitId: 'U1', at: T1 } }]);
    spec.given(history('available')).when({ type: 'ReturnToService', at: T1 }).thenThrows((e: UnitRejected) => e.code === 'already-in-service');
  });
  it('refuses to dispatch a unit taken out of service, even when on shift; it may be dispatched again once returned', () => {
    const assign: UnitCommand = { type: 'AssignUnit', incidentId: INC_B, callId: CALL_B, at: T1, onDuty };
    spec.given([...history('available'), out]).when(assign).thenThrows((e: UnitRejected) => e.code === 'not-in-service');
    spec.given([...history('available'), out, { type: 'UnitReturnedToService', data: { unitId: 'U1', at: T1 } }]).when(assign).then((events) => expect(events[0]!.type).toBe('UnitStatusChanged'));
  });
  it('changes the shift from the one in force (refusing the same window) and records crew counts only', () => {
    const to = { name: 'day', start: '08:00', end: '20:00' };
    spec.given(history('available')).when({ type: 'ChangeShift', shift: to, at: T1 }).then([{ type: 'UnitShiftChanged', data: { unitId: 'U1', from: { name: '24h', start: '00:00', end: '24:00' }, to, at: T1 } }]);
    spec.given([...history('available'), { type: 'UnitShiftChanged', data: { unitId: 'U1', from: { name: '24h', start: '00:00', end: '24:00' }, to, at: T1 } }]).when({ type: 'ChangeShift', shift: to, at: T1 }).thenThrows((e: UnitRejected) => e.code === 'same-shift');
    spec.given(history('on-scene')).when({ type: 'SetCrew', crewSize: 3, namedOfficers: 2, at: T1 }).then([{ type: 'UnitCrewChanged', data: { unitId: 'U1', crewSize: 3, namedOfficers: 2, at: T1 } }]);
  });
});
