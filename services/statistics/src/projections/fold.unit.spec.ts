import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@cad110/contracts';
import { applyEvent } from './apply';
import { summaryKeys, type ProjectionConfig } from './fold';
import { MemoryTarget } from './rebuild';

const cfg: ProjectionConfig = { timeZone: 'Asia/Shanghai', h3Resolution: 9 };
const env = (type: string, data: Record<string, unknown>, recordedAt = '2026-11-29T08:00:00.000Z'): EventEnvelope => ({
  eventId: randomUUID(),
  type,
  schemaVersion: 1,
  streamId: 's',
  streamVersion: 1,
  occurredAt: recordedAt,
  recordedAt,
  source: 'intake',
  metadata: { actor: { id: 't' }, correlationId: 'c', causationId: null },
  data,
});

const callId = randomUUID();
const incidentId = randomUUID();
const received = env('CallReceived', { callId, channel: '110', answeredAt: '2026-11-29T16:30:00.000Z', createdAt: '2026-11-29T16:30:00.000Z', ringingAt: '2026-11-29T16:29:50.000Z' });
const classified = (subtype: string, at: string, flags: string[] = []) => env('CallClassified', { callId, kind: 'report', category: 'criminal', subtype, priority: 1, flags, taxonomyVersion: '1.0.0', classifiedAt: at });
const located = env('CallLocated', { callId, source: 'device', lat: 29.08, lon: 119.65, district: 'south', beat: 's-1' });
const opened = env('IncidentOpened', { incidentId, callId, openedAt: '2026-11-29T16:30:20.000Z', answeredAt: '2026-11-29T16:30:00.000Z', kind: 'report', category: 'criminal', subtype: 'robbery', priority: 1, flags: [], location: {} });
const dispatched = (unitId: string, at: string) => env('UnitDispatched', { incidentId, callId, unitId, dispatchedAt: at });
const arrived = (unitId: string, at: string) => env('UnitStatusChanged', { unitId, from: 'en-route', to: 'on-scene', at, incidentId });

async function fold(events: EventEnvelope[]) {
  const m = new MemoryTarget();
  for (const e of events) await applyEvent(m, e, 'calls', cfg);
  return m;
}

describe('call facts fold', () => {
  const all = [received, classified('theft', '2026-11-29T16:31:00.000Z', ['two-robberies-one-theft']), classified('robbery', '2026-11-29T16:35:00.000Z', ['two-robberies-one-theft']), located, opened, dispatched('A', '2026-11-29T16:31:30.000Z'), dispatched('B', '2026-11-29T16:31:00.000Z'), arrived('B', '2026-11-29T16:36:00.000Z'), arrived('A', '2026-11-29T16:35:00.000Z')];

  it('takes the local day and hour of the answer in the bureau zone, the latest classification and the first dispatch and arrival', async () => {
    const f = (await fold(all)).calls.get(callId)!;
    expect(f).toMatchObject({ received: true, localDay: '2026-11-30', localHour: 0, hourOfWeek: 0, subtype: 'robbery', twoRob: true, district: 'south' });
    expect(f.h3Cell).toMatch(/^89/);
    expect([f.answerS, f.processingS, f.travelS, f.totalS]).toEqual([10, 60, 240, 300]);
  });

  it('gives the same rows whatever the order of the events across streams', async () => {
    const reference = await fold(all);
    // dispatch and arrival events first, then the call's own stream in its order
    const reordered = [...all.slice(4).reverse(), ...all.slice(0, 4)];
    const other = await fold(reordered);
    expect([...other.calls.values()]).toEqual([...reference.calls.values()]);
    expect([...other.incidents.values()]).toEqual([...reference.incidents.values()]);
  });

  it('keeps a newer classification when an older one is read later', async () => {
    const f = (await fold([received, classified('robbery', '2026-11-29T16:35:00.000Z'), classified('theft', '2026-11-29T16:31:00.000Z')])).calls.get(callId)!;
    expect(f.subtype).toBe('robbery');
  });

  it("keeps the source's call type and group through a reclassification without them, and counts the day and month by them (issue 18)", async () => {
    const imported = env('CallClassified', { callId, kind: 'report', category: 'criminal', subtype: 'theft', priority: 2, flags: [], taxonomyVersion: '1.0.0', classifiedAt: '2026-11-29T16:31:00.000Z', sourceCode: '459A', sourceGroup: 'Burglary' });
    const f = (await fold([received, imported, classified('robbery', '2026-11-29T16:35:00.000Z')])).calls.get(callId)!;
    expect(f).toMatchObject({ subtype: 'robbery', sourceCode: '459A', sourceGroup: 'Burglary' });
    expect(summaryKeys(f)).toMatchObject({ day: { sourceCode: '459A', sourceGroup: 'Burglary', subtype: 'robbery' }, month: { sourceCode: '459A', sourceGroup: 'Burglary' } });
    const own = (await fold([received, classified('robbery', '2026-11-29T16:35:00.000Z')])).calls.get(callId)!;
    expect(summaryKeys(own)!.day).toMatchObject({ sourceCode: '', sourceGroup: '' });
  });

  it('counts a placeholder nowhere, a cancelled or duplicate call as a call but not an incident', async () => {
    const early = await fold([located]);
    expect(summaryKeys(early.calls.get(callId)!)).toBeNull();
    const cancelled = await fold([received, classified('theft', '2026-11-29T16:31:00.000Z'), env('CallCancelled', { callId, reason: 'prank' })]);
    expect(summaryKeys(cancelled.calls.get(callId)!)!.day).toMatchObject({ incident: false, category: 'criminal' });
    const dup = await fold([received, classified('theft', '2026-11-29T16:31:00.000Z'), env('CallLinkedAsDuplicate', { callId, reason: 'same' })]);
    expect(summaryKeys(dup.calls.get(callId)!)!.day.incident).toBe(false);
  });

  it('leaves a negative interval out (source clocks that disagree)', async () => {
    const f = (await fold([received, opened, dispatched('A', '2026-11-29T16:29:00.000Z')])).calls.get(callId)!;
    expect(f.processingS).toBeNull();
  });

  it('counts events per topic per UTC minute of recordedAt', async () => {
    const m = await fold([received, located, env('CallNarrativeAppended', { callId, text: 'x' }, '2026-11-29T08:01:05.000Z')]);
    expect([...m.minutes.values()]).toEqual([
      { topic: 'calls', minute: '2026-11-29T08:00:00.000Z', events: 2 },
      { topic: 'calls', minute: '2026-11-29T08:01:00.000Z', events: 1 },
    ]);
  });
});
