import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ContractError, defineEvent, EventRegistry } from './registry';
import { eventRegistry } from './index';

const envelope = (type: string, data: unknown, schemaVersion = 1) => ({
  eventId: randomUUID(),
  type,
  schemaVersion,
  streamId: 'test-1',
  streamVersion: 1,
  occurredAt: '2026-11-29T08:00:00.000Z',
  recordedAt: '2026-11-29T08:00:01.000Z',
  source: 'intake',
  metadata: { actor: { id: 'u1' }, correlationId: 'c1', causationId: null },
  data,
});

describe('EventRegistry', () => {
  // version 2 renamed `place` to `address`; version 1 events stay readable
  const Moved = defineEvent({
    type: 'Moved',
    version: 2,
    topic: 'calls',
    schema: z.object({ address: z.string() }),
    upcasters: { 1: (d: { place: string }) => ({ address: d.place }) },
  });
  const registry = new EventRegistry([Moved]);

  it('upcasts an old version on read', () => {
    const e = registry.parse(JSON.stringify(envelope('Moved', { place: 'Main St' }, 1)));
    expect(e.schemaVersion).toBe(2);
    expect(e.data).toEqual({ address: 'Main St' });
  });

  it('reads the current version unchanged', () => {
    expect(registry.parse(envelope('Moved', { address: 'x' }, 2)).data).toEqual({ address: 'x' });
  });

  it.each([
    ['not JSON', '{nope', /not JSON/],
    ['unknown type', JSON.stringify(envelope('Nope', {})), /unknown event type Nope/],
    ['newer version than the reader', JSON.stringify(envelope('Moved', { address: 'x' }, 3)), /newer than this reader/],
    ['invalid data', JSON.stringify(envelope('Moved', { address: 5 }, 2)), /invalid Moved data/],
    ['bad envelope', JSON.stringify({ ...envelope('Moved', {}, 2), eventId: 'x' }), /invalid event envelope/],
  ])('rejects %s with a ContractError', (_label, raw, message) => {
    expect(() => registry.parse(raw)).toThrow(ContractError);
    expect(() => registry.parse(raw)).toThrow(message);
  });

  it('publishes CallerRecorded without the name and with the number masked', () => {
    const def = eventRegistry.get('CallerRecorded')!;
    const data = { callId: randomUUID(), callerNumber: '13812341234', callerName: 'Zhang San' };
    expect(def.publicData!(data as never)).toEqual({ callId: data.callId, callerNumberMasked: '138****1234' });
  });
});
