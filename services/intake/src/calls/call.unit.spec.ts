import { loadTaxonomy } from '@cad110/contracts';
import { deciderSpec } from '@cad110/testkit';
import type { NewEvent } from '@cad110/eventstore';
import { CallRejected, decide, evolve, initialCallState, type CallCommand, type CallEvent, type CallState } from './call';

const taxonomy = loadTaxonomy();
const spec = deciderSpec<CallState, CallCommand, NewEvent>({
  initialState: initialCallState,
  evolve: (s, e) => evolve(s, e as CallEvent),
  decide: (c, s) => decide(c, s, { taxonomy }),
});

const callId = '6f1f6d0e-0a55-4b7e-9f7c-1f7f1d1e2a3b';
const now = '2026-11-29T08:00:05.000Z';
const answeredAt = '2026-11-29T08:00:00.000Z';

describe('call decider: CreateCall', () => {
  const suspect = { callId: '7f1f6d0e-0a55-4b7e-9f7c-1f7f1d1e2a3b', score: 0.93, matchedOn: ['near', 'close-in-time'], distanceMetres: 12, secondsApart: 40 };
  it('Given no call, When a call with a high-scoring candidate is created and handed over, Then CallDuplicateSuspected comes before the hand-over', () => {
    const events = decide(
      { type: 'CreateCall', callId, now, channel: '110', answeredAt, classification: { subtype: 'fighting' }, handToDispatch: true, suspectedDuplicate: suspect },
      initialCallState,
      { taxonomy },
    );
    expect(events.map((e) => e.type)).toEqual(['CallReceived', 'CallClassified', 'CallDuplicateSuspected', 'CallHandedToDispatch']);
    expect(events[2]!.data).toEqual({ callId, candidateCallId: suspect.callId, score: 0.93, matchedOn: ['near', 'close-in-time'], distanceMetres: 12, secondsApart: 40, detectedAt: now });
    const state = [...events].reduce((s, e) => evolve(s, e as unknown as CallEvent), initialCallState);
    expect(state.suspectedDuplicateOf).toEqual({ callId: suspect.callId, score: 0.93 });
  });

  it('Given no call, When a replay (externalRef) comes with a candidate, Then nothing is flagged', () => {
    const events = decide({ type: 'CreateCall', callId, now, channel: '110', answeredAt, externalRef: { source: 's', id: '1' }, suspectedDuplicate: suspect }, initialCallState, { taxonomy });
    expect(events.map((e) => e.type)).toEqual(['CallReceived']);
  });

  it('Given no call, When a bare call is created, Then only CallReceived is recorded', () => {
    spec
      .given([])
      .when({ type: 'CreateCall', callId, now, channel: '110', answeredAt })
      .then([{ type: 'CallReceived', occurredAt: answeredAt, data: { callId, channel: '110', answeredAt, createdAt: now } }]);
  });

  it('Given no call, When a full call is created and handed over, Then the classification comes from the taxonomy and dispatch gets a snapshot', () => {
    spec
      .given([])
      .when({
        type: 'CreateCall',
        callId,
        now,
        channel: '110',
        answeredAt,
        caller: { number: '13812341234' },
        location: { lat: 29.1, lon: 119.6, district: 'south', source: 'caller-reported' },
        classification: { subtype: 'robbery' },
        handToDispatch: true,
      })
      .then((events) => {
        expect(events.map((e) => e.type)).toEqual(['CallReceived', 'CallerRecorded', 'CallLocated', 'CallClassified', 'CallHandedToDispatch']);
        const classified = events[3]!.data as Record<string, unknown>;
        expect(classified).toMatchObject({ category: 'criminal', subtype: 'robbery', priority: 1, kind: 'report', flags: ['two-robberies-one-theft'] });
        expect(events[4]!.data).toMatchObject({ category: 'criminal', priority: 1, location: { lat: 29.1, lon: 119.6, district: 'south' }, handedAt: now, answeredAt });
      });
  });

  it('Given no call, When handedAt is earlier than answeredAt, Then it is rejected (records would see the hand-over before the call)', () => {
    spec
      .given([])
      .when({ type: 'CreateCall', callId, now, channel: '110', answeredAt, handedAt: '2026-11-29T07:59:59.000Z', classification: { subtype: 'theft' }, handToDispatch: true })
      .thenThrows<CallRejected>((e) => e.code === 'handed-before-answer');
  });

  it('Given no call, When the answer time lies ahead of the server clock (skew) and handedAt defaults to now, Then the hand-over is not earlier than the answer', () => {
    const ahead = '2026-11-29T08:00:30.000Z';
    spec
      .given([])
      .when({ type: 'CreateCall', callId, now, channel: '110', answeredAt: ahead, classification: { subtype: 'theft' }, handToDispatch: true })
      .then((events) => {
        const handed = events.find((e) => e.type === 'CallHandedToDispatch')!;
        expect(handed.occurredAt).toBe(ahead);
        expect(handed.data).toMatchObject({ handedAt: ahead, answeredAt: ahead });
        expect(events.map((e) => e.occurredAt ?? '').every((t, i, a) => i === 0 || t >= a[i - 1]!)).toBe(true);
      });
  });

  it('Given a call answered ahead of the server clock, When it is handed over, Then handedAt is the answer time, not the earlier now', () => {
    const ahead = '2026-11-29T08:00:30.000Z';
    spec
      .given([
        { type: 'CallReceived', data: { callId, channel: '110', answeredAt: ahead, createdAt: now } },
        { type: 'CallClassified', data: { callId, kind: 'report', category: 'property', subtype: 'theft', priority: 3, flags: [], taxonomyVersion: taxonomy.version, classifiedAt: now } },
      ])
      .when({ type: 'HandOverCall', callId, now } as CallCommand)
      .then((events) => expect(events[0]).toMatchObject({ type: 'CallHandedToDispatch', occurredAt: ahead, data: { handedAt: ahead } }));
  });

  it('Given no call, When a given priority overrides the default, Then it is kept', () => {
    spec
      .given([])
      .when({ type: 'CreateCall', callId, now, channel: '110', classification: { subtype: 'theft', priority: 2 } })
      .then((events) => expect(events[1]!.data).toMatchObject({ subtype: 'theft', priority: 2 }));
  });

  it('Given an existing call, When it is created again, Then it is rejected', () => {
    spec
      .given([{ type: 'CallReceived', data: { callId, channel: '110', answeredAt, createdAt: now } }])
      .when({ type: 'CreateCall', callId, now, channel: '110' })
      .thenThrows<CallRejected>((e) => e.code === 'call-exists');
  });

  it('Given no call, When it is handed over unclassified, Then it is rejected', () => {
    spec
      .given([])
      .when({ type: 'CreateCall', callId, now, channel: '110', handToDispatch: true })
      .thenThrows<CallRejected>((e) => e.code === 'unclassified');
  });

  it('Given no call, When the subtype is unknown, Then it is rejected', () => {
    spec
      .given([])
      .when({ type: 'CreateCall', callId, now, channel: '110', classification: { subtype: 'alien-landing' } })
      .thenThrows<CallRejected>((e) => e.code === 'unknown-subtype');
  });

  it('Given no call, When it rang after it was answered, Then it is rejected', () => {
    spec
      .given([])
      .when({ type: 'CreateCall', callId, now, channel: '110', answeredAt, ringingAt: '2026-11-29T08:00:01.000Z' })
      .thenThrows<CallRejected>((e) => e.code === 'ringing-after-answer');
  });
});

// ---------------------------------------------------------------------------------------------
// Commands on an existing call

const later = '2026-11-29T08:01:00.000Z';
const otherId = '0b8f2c1e-3d4a-4c5b-8e6f-7a8b9c0d1e2f';
const received: CallEvent = { type: 'CallReceived', data: { callId, channel: '110', ringingAt: '2026-11-29T07:59:52.000Z', answeredAt, createdAt: answeredAt } };
const located: CallEvent = { type: 'CallLocated', data: { callId, lat: 29.08, lon: 119.65, address: '88 Renmin Rd', district: 'south', source: 'caller-reported' } };
const classified: CallEvent = {
  type: 'CallClassified',
  data: { callId, kind: 'report', category: 'criminal', subtype: 'snatching', priority: 1, flags: ['two-robberies-one-theft'], taxonomyVersion: '1.0.0', classifiedAt: '2026-11-29T08:00:20.000Z' },
};
const handed: CallEvent = {
  type: 'CallHandedToDispatch',
  data: { callId, handedAt: '2026-11-29T08:00:45.000Z', answeredAt, kind: 'report', category: 'criminal', subtype: 'snatching', priority: 1, flags: ['two-robberies-one-theft'], location: { lat: 29.08, lon: 119.65 } },
};
const closed: CallEvent = { type: 'CallClosed', data: { callId, closedAt: later } };
const cancelled: CallEvent = { type: 'CallCancelled', data: { callId, reason: 'misdial' } };
const transferred: CallEvent = { type: 'CallTransferred', data: { callId, to: 'fire-119' } };
const duplicate: CallEvent = { type: 'CallLinkedAsDuplicate', data: { callId, duplicateOfCallId: otherId, reason: 'same snatching' } };
const base = { callId, now: later, by: 'u-7' };
const code = (c: string) => (e: CallRejected) => e instanceof CallRejected && e.code === c;

describe('call decider: RecordCaller', () => {
  it('Given an open call, When the caller is recorded, Then CallerRecorded carries number and name', () => {
    spec.given([received]).when({ type: 'RecordCaller', ...base, number: '13812341234', name: 'Li Si' }).then([{ type: 'CallerRecorded', occurredAt: later, data: { callId, callerNumber: '13812341234', callerName: 'Li Si' } }]);
  });
  it('Given a call handed to dispatch, When the caller is recorded, Then it is accepted', () => {
    spec.given([received, classified, handed]).when({ type: 'RecordCaller', ...base, number: '110' }).then((e) => expect(e.map((x) => x.type)).toEqual(['CallerRecorded']));
  });
  it('Given a closed call, When the caller is recorded, Then it is rejected', () => {
    spec.given([received, closed]).when({ type: 'RecordCaller', ...base, number: '13812341234' }).thenThrows(code('call-closed'));
  });
  it('Given no call, When the caller is recorded, Then it is rejected as unknown', () => {
    spec.given([]).when({ type: 'RecordCaller', ...base, number: '13812341234' }).thenThrows(code('no-such-call'));
  });
});

describe('call decider: LocateCall', () => {
  const location = { lat: 29.1, lon: 119.7, address: '1 Jiefang Rd', source: 'device' as const };
  it('Given an open call, When it is located, Then CallLocated has address, WGS84 coordinates and source', () => {
    // 29.1, 119.7 lies outside the example county map's outline (libs/geo service-area.ts): flagged
    spec.given([received]).when({ type: 'LocateCall', ...base, location }).then([{ type: 'CallLocated', occurredAt: later, data: { callId, ...location, outsideServiceArea: true } }]);
  });
  // issue 13 item 3: every location is checked against the service area
  it.each([
    ['inside the county', { lat: 44.978, lon: -93.265 }, undefined],
    ['another city', { lat: 39.9042, lon: 116.4074 }, true],
    ['0,0', { lat: 0, lon: 0 }, true],
    ['60 km west of the county', { lat: 44.95, lon: -94.162 }, true],
  ])('Given an open call, When it is located %s, Then CallLocated is flagged outside the service area only when it is', (_name, p, flag) => {
    spec.given([received]).when({ type: 'LocateCall', ...base, location: { ...p, source: 'device' } }).then((events) => {
      expect((events[0]!.data as { outsideServiceArea?: boolean }).outsideServiceArea).toBe(flag);
    });
  });
  it('Given no call, When a call at 0,0 is created and handed over, Then CallLocated and the hand-over snapshot carry the flag', () => {
    const events = decide(
      { type: 'CreateCall', callId, now, channel: '110', answeredAt, location: { lat: 0, lon: 0, source: 'caller-reported' }, classification: { subtype: 'robbery' }, handToDispatch: true },
      initialCallState,
      { taxonomy },
    );
    expect(events.find((e) => e.type === 'CallLocated')!.data).toMatchObject({ lat: 0, lon: 0, outsideServiceArea: true });
    expect((events.find((e) => e.type === 'CallHandedToDispatch')!.data as { location: object }).location).toEqual({ lat: 0, lon: 0, outsideServiceArea: true });
  });
  it('Given a call handed to dispatch, When it is relocated, Then it is accepted', () => {
    spec.given([received, classified, handed]).when({ type: 'LocateCall', ...base, location }).then((e) => expect(e).toHaveLength(1));
  });
  it('Given a cancelled call, When it is located, Then it is rejected', () => {
    spec.given([received, cancelled]).when({ type: 'LocateCall', ...base, location }).thenThrows(code('call-cancelled'));
  });
  it('Given a transferred call, When it is located, Then it is rejected', () => {
    spec.given([received, transferred]).when({ type: 'LocateCall', ...base, location }).thenThrows(code('call-transferred'));
  });
});

describe('call decider: ClassifyCall', () => {
  it('Given an open call, When it is classified, Then the taxonomy gives category, kind, default priority and flags, with who classified', () => {
    spec
      .given([received])
      .when({ type: 'ClassifyCall', ...base, classification: { subtype: 'burglary' } })
      .then([
        {
          type: 'CallClassified',
          occurredAt: later,
          data: { callId, kind: 'report', category: 'criminal', subtype: 'burglary', priority: 1, flags: ['two-robberies-one-theft'], taxonomyVersion: taxonomy.version, classifiedAt: later, classifiedBy: 'u-7' },
        },
      ]);
  });
  it('Given a classified call handed to dispatch, When it is reclassified with a reason, Then CallClassified is emitted again with the previous subtype and priority', () => {
    spec
      .given([received, classified, handed])
      .when({ type: 'ClassifyCall', ...base, classification: { subtype: 'robbery', priority: 1, reason: 'victim was threatened with a knife' } })
      .then((e) => expect(e[0]).toMatchObject({ type: 'CallClassified', data: { subtype: 'robbery', previousSubtype: 'snatching', previousPriority: 1, reason: 'victim was threatened with a knife' } }));
  });
  it('Given a classified call, When it is reclassified without a reason, Then it is rejected', () => {
    spec.given([received, classified]).when({ type: 'ClassifyCall', ...base, classification: { subtype: 'robbery' } }).thenThrows(code('reason-required'));
  });
  it('Given a closed call, When it is classified, Then it is rejected', () => {
    spec.given([received, classified, handed, closed]).when({ type: 'ClassifyCall', ...base, classification: { subtype: 'robbery', reason: 'x' } }).thenThrows(code('call-closed'));
  });
  it('Given a duplicate call, When it is classified, Then it is rejected', () => {
    spec.given([received, duplicate]).when({ type: 'ClassifyCall', ...base, classification: { subtype: 'robbery' } }).thenThrows(code('call-duplicate'));
  });
  it('Given an open call, When the subtype is unknown, Then it is rejected', () => {
    spec.given([received]).when({ type: 'ClassifyCall', ...base, classification: { subtype: 'ufo' } }).thenThrows(code('unknown-subtype'));
  });
  it('Given an open call, When the category is not the subtype\'s, Then it is rejected', () => {
    spec.given([received]).when({ type: 'ClassifyCall', ...base, classification: { subtype: 'robbery', category: 'traffic' } }).thenThrows(code('category-mismatch'));
  });
});

describe('call decider: AppendNarrative', () => {
  it('Given an open call, When text is appended, Then CallNarrativeAppended', () => {
    spec.given([received]).when({ type: 'AppendNarrative', ...base, text: 'suspect on a red e-bike' }).then([{ type: 'CallNarrativeAppended', occurredAt: later, data: { callId, text: 'suspect on a red e-bike' } }]);
  });
  it('Given a transferred call, When text is appended, Then it is accepted', () => {
    spec.given([received, transferred]).when({ type: 'AppendNarrative', ...base, text: '119 confirmed' }).then((e) => expect(e).toHaveLength(1));
  });
  it('Given a closed call, When text is appended, Then it is rejected', () => {
    spec.given([received, classified, handed, closed]).when({ type: 'AppendNarrative', ...base, text: 'late note' }).thenThrows(code('call-closed'));
  });
});

describe('call decider: LinkAsDuplicate', () => {
  const link = { type: 'LinkAsDuplicate' as const, ...base, duplicateOfCallId: otherId, reason: 'same bag snatching', target: { callId: otherId, status: 'handed-to-dispatch' as const } };
  it('Given an open call, When it is linked to another call, Then CallLinkedAsDuplicate records distance, time apart, score and reason', () => {
    spec
      .given([received])
      .when({ ...link, distanceMetres: 85, secondsApart: 240, score: 0.81, matchedOn: ['near', 'close-in-time'] })
      .then([
        {
          type: 'CallLinkedAsDuplicate',
          occurredAt: later,
          data: { callId, duplicateOfCallId: otherId, reason: 'same bag snatching', distanceMetres: 85, secondsApart: 240, score: 0.81, matchedOn: ['near', 'close-in-time'], linkedAt: later },
        },
      ]);
  });
  it('Given an open call, When it is linked to itself, Then it is rejected', () => {
    spec.given([received]).when({ ...link, duplicateOfCallId: callId, target: null }).thenThrows(code('self-link'));
  });
  it('Given an open call, When the target does not exist, Then it is rejected', () => {
    spec.given([received]).when({ ...link, target: null }).thenThrows(code('unknown-target'));
  });
  it('Given an open call, When the target is itself a duplicate, Then it is rejected', () => {
    spec.given([received]).when({ ...link, target: { callId: otherId, status: 'duplicate', duplicateOf: 'a1b2c3d4-0000-4000-8000-000000000000' } }).thenThrows(code('target-is-duplicate'));
  });
  it('Given an open call, When the target was cancelled, Then it is rejected', () => {
    spec.given([received]).when({ ...link, target: { callId: otherId, status: 'cancelled' } }).thenThrows(code('target-cancelled'));
  });
  it('Given a call handed to dispatch, When it is linked, Then it is rejected (dispatch owns it)', () => {
    spec.given([received, classified, handed]).when(link).thenThrows(code('already-handed-over'));
  });
  it('Given a call already linked, When it is linked again, Then it is rejected', () => {
    spec.given([received, duplicate]).when(link).thenThrows(code('call-duplicate'));
  });
});

describe('call decider: ConfirmAsNew', () => {
  it('Given an open call, When the candidates are dismissed, Then CallConfirmedAsNew lists them', () => {
    spec
      .given([received])
      .when({ type: 'ConfirmAsNew', ...base, candidateCallIds: [otherId], reason: 'different victim' })
      .then([{ type: 'CallConfirmedAsNew', occurredAt: later, data: { callId, candidateCallIds: [otherId], reason: 'different victim', confirmedAt: later } }]);
  });
  it('Given an open call, When it lists itself as a candidate, Then it is rejected', () => {
    spec.given([received]).when({ type: 'ConfirmAsNew', ...base, candidateCallIds: [callId] }).thenThrows(code('self-link'));
  });
  it('Given a cancelled call, When it is confirmed as new, Then it is rejected', () => {
    spec.given([received, cancelled]).when({ type: 'ConfirmAsNew', ...base, candidateCallIds: [] }).thenThrows(code('call-cancelled'));
  });
});

describe('call decider: TransferCall', () => {
  it('Given an open call, When it is transferred to fire 119, Then CallTransferred', () => {
    spec.given([received]).when({ type: 'TransferCall', ...base, to: 'fire-119', reason: 'kitchen fire' }).then([{ type: 'CallTransferred', occurredAt: later, data: { callId, to: 'fire-119', reason: 'kitchen fire', transferredAt: later } }]);
  });
  it('Given an open call, When it goes to another agency without a name, Then it is rejected', () => {
    spec.given([received]).when({ type: 'TransferCall', ...base, to: 'other-agency' }).thenThrows(code('agency-required'));
  });
  it('Given a call handed to dispatch, When it is transferred, Then it is rejected', () => {
    spec.given([received, classified, handed]).when({ type: 'TransferCall', ...base, to: 'medical-120' }).thenThrows(code('already-handed-over'));
  });
  it('Given a transferred call, When it is transferred again, Then it is rejected', () => {
    spec.given([received, transferred]).when({ type: 'TransferCall', ...base, to: 'traffic-122' }).thenThrows(code('call-transferred'));
  });
});

describe('call decider: CancelCall', () => {
  it.each(['silent', 'misdial', 'prank', 'caller-hung-up'] as const)('Given an open call, When it is cancelled as %s, Then CallCancelled', (reason) => {
    spec.given([received]).when({ type: 'CancelCall', ...base, reason }).then([{ type: 'CallCancelled', occurredAt: later, data: { callId, reason, cancelledAt: later } }]);
  });
  it('Given an open call, When it is cancelled for "other" without a note, Then it is rejected', () => {
    spec.given([received]).when({ type: 'CancelCall', ...base, reason: 'other' }).thenThrows(code('note-required'));
  });
  it('Given a call handed to dispatch, When it is cancelled, Then it is rejected', () => {
    spec.given([received, classified, handed]).when({ type: 'CancelCall', ...base, reason: 'prank' }).thenThrows(code('already-handed-over'));
  });
  it('Given a cancelled call, When it is cancelled again, Then it is rejected', () => {
    spec.given([received, cancelled]).when({ type: 'CancelCall', ...base, reason: 'prank' }).thenThrows(code('call-cancelled'));
  });
});

describe('call decider: HandOverCall', () => {
  it('Given a located and classified call, When it is handed over, Then dispatch gets the classification and location snapshot', () => {
    spec.given([received, located, classified]).when({ type: 'HandOverCall', ...base }).then([
      {
        type: 'CallHandedToDispatch',
        occurredAt: later,
        data: { callId, handedAt: later, answeredAt, kind: 'report', category: 'criminal', subtype: 'snatching', priority: 1, flags: ['two-robberies-one-theft'], location: { lat: 29.08, lon: 119.65, address: '88 Renmin Rd', district: 'south', outsideServiceArea: true } },
      },
    ]);
  });
  it('Given an unclassified call, When it is handed over, Then it is rejected', () => {
    spec.given([received, located]).when({ type: 'HandOverCall', ...base }).thenThrows(code('unclassified'));
  });
  it('Given a call already handed over, When it is handed over again, Then it is rejected', () => {
    spec.given([received, classified, handed]).when({ type: 'HandOverCall', ...base }).thenThrows(code('already-handed-over'));
  });
  it('Given a cancelled call, When it is handed over, Then it is rejected', () => {
    spec.given([received, classified, cancelled]).when({ type: 'HandOverCall', ...base }).thenThrows(code('call-cancelled'));
  });
});

describe('call decider: CloseCall', () => {
  it('Given a call handed to dispatch, When it is closed, Then CallClosed', () => {
    spec.given([received, classified, handed]).when({ type: 'CloseCall', ...base }).then([{ type: 'CallClosed', occurredAt: later, data: { callId, closedAt: later } }]);
  });
  it('Given a duplicate call, When it is closed, Then CallClosed', () => {
    spec.given([received, duplicate]).when({ type: 'CloseCall', ...base }).then((e) => expect(e[0]!.type).toBe('CallClosed'));
  });
  it('Given an open call, When it is closed with a reason, Then CallClosed keeps it', () => {
    spec.given([received]).when({ type: 'CloseCall', ...base, reason: 'information only' }).then([{ type: 'CallClosed', occurredAt: later, data: { callId, closedAt: later, reason: 'information only' } }]);
  });
  it('Given an open call, When it is closed without a reason, Then it is rejected', () => {
    spec.given([received]).when({ type: 'CloseCall', ...base }).thenThrows(code('reason-required'));
  });
  it('Given a closed call, When it is closed again, Then it is rejected', () => {
    spec.given([received, classified, handed, closed]).when({ type: 'CloseCall', ...base }).thenThrows(code('call-closed'));
  });
  it('Given a cancelled call, When it is closed, Then it is rejected', () => {
    spec.given([received, cancelled]).when({ type: 'CloseCall', ...base, reason: 'x' }).thenThrows(code('call-cancelled'));
  });
});

describe('call state: timings for NENA-STA-020 and NFPA 1225', () => {
  it('derives answer time (answered − ringing) and processing time (handed − answered) from the events', () => {
    const s = [received, located, classified, handed].reduce((st, e) => evolve(st, e), initialCallState);
    expect(s.timings).toEqual({
      ringingAt: '2026-11-29T07:59:52.000Z',
      answeredAt,
      createdAt: answeredAt,
      classifiedAt: '2026-11-29T08:00:20.000Z',
      handedAt: '2026-11-29T08:00:45.000Z',
      answerSeconds: 8,
      processingSeconds: 45,
    });
  });
  it('keeps the first classification time after a reclassification and has no answer time without ringing', () => {
    const noRing: CallEvent = { type: 'CallReceived', data: { callId, channel: '110', answeredAt, createdAt: answeredAt } };
    const re: CallEvent = { ...classified, data: { ...classified.data, subtype: 'robbery', classifiedAt: later } } as CallEvent;
    const s = [noRing, classified, re].reduce((st, e) => evolve(st, e), initialCallState);
    expect(s.timings.classifiedAt).toBe('2026-11-29T08:00:20.000Z');
    expect(s.timings.answerSeconds).toBeUndefined();
    expect(s.timings.processingSeconds).toBeUndefined();
    expect(s.classification?.subtype).toBe('robbery');
  });
});
