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
