/**
 * Records consumes without processed-message markers (libs/kafka `effectsIdempotent`): its
 * handler's effects are idempotent by themselves, so every message delivered twice — in one
 * chunk, in a later chunk, out of order after newer ones — leaves the store as one delivery did.
 * Real Kafka (the consumer as records runs it) and real PostgreSQL.
 */
import { topicName, type EventEnvelope } from '@cad110/contracts';
import { useTestAuthKeys, waitFor } from '@cad110/testkit';
import { groupId } from '@cad110/runtime';
import type { RecordsRuntime } from '../src/server';
import { startConsumers } from '../src/consumers';
import { callEvents, envelope, startRecords, stopRecords } from './helpers';

jest.setTimeout(120_000);
process.env.LOG_LEVEL ??= 'warn';
const TZ = 'Asia/Shanghai';

describe('records applies redelivered messages without markers (real Kafka)', () => {
  let rt: RecordsRuntime;

  beforeAll(async () => {
    useTestAuthKeys();
    ({ rt } = await startRecords(TZ));
    await startConsumers(rt, TZ);
  });

  afterAll(async () => {
    for (const c of rt.consumers) await c.disconnect();
    await stopRecords(rt);
  });

  const publish = (events: (EventEnvelope | undefined)[]) =>
    rt.producer.send({
      topic: topicName(events.find(Boolean)!.source === 'dispatch' ? 'dispatch' : 'calls'),
      acks: -1,
      messages: events.filter((e): e is EventEnvelope => !!e).map((e) => ({ key: (e.data as { callId?: string }).callId ?? e.streamId, value: JSON.stringify(e) })),
    });
  /** True when records' group has committed every partition of the calls and dispatch topics to its end. */
  const consumedAll = async () => {
    const admin = rt.kafka.admin();
    await admin.connect();
    try {
      for (const topic of [topicName('calls'), topicName('dispatch')]) {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId: groupId('records'), topics: [topic] });
        for (const end of ends) {
          const at = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          if (end.high !== '0' && at !== end.high) return false;
        }
      }
      return true;
    } finally {
      await admin.disconnect();
    }
  };
  const q = async <R>(sql: string, params: unknown[] = []) => rt.db.query<R>(sql, params);

  it('opens one case, records each event once and keeps the latest counting after every message is delivered twice', async () => {
    const calls = Array.from({ length: 3 }, (_, i) =>
      callEvents({
        answeredAt: `2029-01-0${i + 1}T02:00:00.000Z`,
        handedAt: `2029-01-0${i + 1}T02:01:00.000Z`,
        category: 'dispute',
        subtype: 'neighbour-dispute',
        district: 'D1',
        reclassifiedAt: `2029-01-0${i + 1}T02:20:00.000Z`,
        to: { category: 'criminal', subtype: 'theft' },
        relocatedTo: 'D9',
      }),
    );
    // a unit's status on the dispatch topic: no call, nothing for records to keep
    const unit = envelope('UnitStatusChanged', 'dispatch', 'unit-R1', 1, '2029-01-01T02:02:00.000Z', { unitId: 'R1', from: 'available', to: 'en-route', at: '2029-01-01T02:02:00.000Z' });
    // each message twice in a row (mostly in one chunk: the fetch decides), the incidents twice
    for (const c of calls) await publish([c.received, c.received, c.located, c.classified, c.classified, c.handed, c.handed]);
    await publish(calls.flatMap((c) => [c.opened, c.opened]).concat(unit));
    const caseCount = async () => (await q<{ n: number }>('SELECT count(*)::int AS n FROM cases WHERE call_id = ANY($1::uuid[])', [calls.map((c) => c.callId)]))[0]!.n;
    await waitFor(async () => (await caseCount()) === 3, { timeoutMs: 60_000, message: 'three cases opened' });
    const [{ last }] = (await q<{ last: number }>('SELECT last FROM case_number_counters WHERE year = 2029')) as [{ last: number }];

    // the reclassification and relocation, then everything again, the older events after the newer
    for (const c of calls) await publish([c.reclassified, c.relocated]);
    for (const c of calls) await publish([c.received, c.located, c.classified, c.handed, c.reclassified, c.relocated, c.located, c.classified]);
    await publish(calls.map((c) => c.opened));
    const ids = calls.flatMap((c) => [c.received, c.located, c.classified, c.handed, c.opened, c.reclassified, c.relocated]).map((e) => e!.eventId);
    await waitFor(async () => (await q<{ n: number }>('SELECT count(*)::int AS n FROM timeline_entries WHERE event_id = ANY($1::uuid[])', [ids]))[0]!.n === ids.length, { timeoutMs: 60_000, message: 'every event on the timeline' });
    // the last message published is the calls' again: when the dispatch topic's duplicate incidents and
    // the calls' duplicates are applied, the store is as one delivery left it
    await waitFor(async () => (await q<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE call_id = ANY($1::uuid[]) AND district = 'D9' AND subtype = 'theft'`, [calls.map((c) => c.callId)]))[0]!.n === 3, { timeoutMs: 60_000, message: 'cases reclassified and relocated' });
    // every message consumed: the group's committed offsets reach the end of both topics
    await waitFor(consumedAll, { timeoutMs: 60_000, message: 'records consumed both topics to their end' });
    expect(await caseCount()).toBe(3);
    expect((await q<{ last: number }>('SELECT last FROM case_number_counters WHERE year = 2029'))[0]!.last).toBe(last);
    expect((await q<{ n: number }>('SELECT count(*)::int AS n FROM timeline_entries WHERE call_id = ANY($1::uuid[])', [calls.map((c) => c.callId)]))[0]!.n).toBe(ids.length + 3); // + each CaseOpened
    expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE type = 'CaseOpened'`))[0]!.n).toBe(3);
    const rows = await q<{ category: string; subtype: string; district: string }>('SELECT category, subtype, district FROM cases WHERE call_id = ANY($1::uuid[])', [calls.map((c) => c.callId)]);
    expect(rows).toEqual(Array(3).fill({ category: 'criminal', subtype: 'theft', district: 'D9' }));
    expect((await q<{ n: number }>('SELECT count(*)::int AS n FROM processed_messages'))[0]!.n).toBe(0);
    // nothing was dead-lettered: a second opening that failed (and rolled back) would have been
    const admin = rt.kafka.admin();
    await admin.connect();
    try {
      expect((await admin.fetchTopicOffsets(topicName('deadLetter'))).map((p) => p.high).filter((h) => h !== '0')).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});
