/**
 * The walking skeleton end to end: the four services as processes on the real broker and the
 * real PostgreSQL, real Minneapolis calls replayed over HTTP.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { loadTaxonomy, topicName } from '@cad110/contracts';
import { loadMapping, postCalls, readCalls, type PostResult } from '@cad110/importer';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId, waitFor } from '@cad110/testkit';
import { BUNDLED_SLICE, categoryCountsFromCsv, checkTraces, readCounts, sample, Stack, TraceTap, waitForPipeline } from '../src';

jest.setTimeout(300_000);

const ROWS = 1200;

async function query<T>(url: string, sql: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('walking skeleton: real calls through intake → dispatch → records → statistics', () => {
  const taxonomy = loadTaxonomy();
  const mapping = loadMapping('minneapolis-mpd', taxonomy);
  const prefix = `${uniqueId('e2e')}.`;
  const tap = new TraceTap();
  let stack: Stack;
  let posted: PostResult;
  const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, clientId: 'e2e' });

  beforeAll(async () => {
    const tapUrl = await tap.start();
    stack = new Stack({ brokers: kafkaBrokers().join(','), topicPrefix: prefix, dbPrefix: uniqueId('cad110e2e_'), fresh: true, otlpEndpoint: tapUrl, timeZone: mapping.timeZone, env: { LOG_LEVEL: 'warn' } });
    await stack.start();
    const { calls } = await readCalls(BUNDLED_SLICE, mapping, taxonomy, ROWS);
    // half in batches (POST /calls/batch), half as single POST /calls, 8 at once (intake's group commit)
    const opts = { intakeUrl: stack.url('intake'), concurrency: 8, progress: false, headers: { authorization: `Bearer ${stack.token('call_taker', 'importer')}` } };
    const half = Math.floor(calls.length / 2);
    const [batched, single] = await Promise.all([postCalls(calls.slice(0, half), opts), postCalls(calls.slice(half), { ...opts, batchSize: 1 })]);
    posted = { ...batched, accepted: [...batched.accepted, ...single.accepted], failed: [...batched.failed, ...single.failed], retried: batched.retried + single.retried };
  });

  afterAll(async () => {
    await stack?.stop();
    await tap.stop();
  });

  it('accepts every replayed row', () => {
    expect(posted.failed).toEqual([]);
    expect(posted.accepted).toHaveLength(ROWS);
  });

  it('gives every accepted call exactly one incident, one recommendation and one case', async () => {
    const { reached } = await waitForPipeline(stack, { incidents: ROWS, cases: ROWS, statsTotal: ROWS });
    expect(reached).toBe(true);
    const accepted = new Set(posted.accepted.map((a) => a.callId));
    const incidents = await query<{ call_id: string; n: number }>(stack.databaseUrl('dispatch'), 'SELECT call_id, count(*)::int AS n FROM incidents GROUP BY call_id');
    expect(incidents).toHaveLength(ROWS);
    expect(incidents.every((r) => r.n === 1 && accepted.has(r.call_id))).toBe(true);
    const recs = await query<{ n: number; streams: number }>(
      stack.databaseUrl('dispatch'),
      `SELECT count(*)::int AS n, count(DISTINCT stream_id)::int AS streams FROM events WHERE type = 'UnitsRecommended'`,
    );
    expect(recs[0]).toEqual({ n: ROWS, streams: ROWS });
    const cases = await query<{ call_id: string; n: number }>(stack.databaseUrl('records'), 'SELECT call_id, count(*)::int AS n FROM cases GROUP BY call_id');
    expect(cases).toHaveLength(ROWS);
    expect(cases.every((r) => r.n === 1 && accepted.has(r.call_id))).toBe(true);
    const numbers = await query<{ n: number; max: string }>(stack.databaseUrl('records'), `SELECT count(DISTINCT case_number)::int AS n, max(case_number) AS max FROM cases`);
    expect(numbers[0]).toEqual({ n: ROWS, max: `JY-2020-${String(ROWS).padStart(6, '0')}` }); // gapless
  });

  it('counts calls per category exactly as the CSV gives them under the same mapping', async () => {
    const expected = await categoryCountsFromCsv(BUNDLED_SLICE, mapping, taxonomy, ROWS);
    const counts = await readCounts(stack);
    expect(counts.byCategory).toEqual(expected);
  });

  it('keeps one trace per call, rooted at the intake request, with spans from all four services', async () => {
    const { complete, details } = await checkTraces(stack, tap, sample(posted.accepted.map((a) => a.callId), 5));
    expect(details.map((d) => ({ complete: d.complete, roots: d.roots, orphans: d.orphans, services: d.services }))).toEqual(
      details.map(() => ({ complete: true, roots: 1, orphans: 0, services: ['dispatch', 'intake', 'records', 'statistics'] })),
    );
    expect(complete).toBe(5);
    expect(details[0]!.rootName).toMatch(/^POST/);
  });

  it("appends every CaseOpened in its call's trace (records opens a chunk's cases at its end)", async () => {
    const traceOf = (tp: string | null) => tp?.split('-')[1] ?? null;
    const calls = await query<{ call_id: string; tp: string | null }>(stack.databaseUrl('intake'), `SELECT (data->>'callId') AS call_id, metadata->>'traceparent' AS tp FROM events WHERE type = 'CallReceived'`);
    const opened = await query<{ call_id: string; tp: string | null }>(stack.databaseUrl('records'), `SELECT (data->>'callId') AS call_id, metadata->>'traceparent' AS tp FROM events WHERE type = 'CaseOpened'`);
    expect(opened).toHaveLength(ROWS);
    const callTrace = new Map(calls.map((c) => [c.call_id, traceOf(c.tp)]));
    const wrong = opened.filter((o) => !traceOf(o.tp) || traceOf(o.tp) !== callTrace.get(o.call_id));
    expect(wrong).toEqual([]);
  });

  it('changes no count when the statistics consumer group re-reads every topic', async () => {
    const before = await readCounts(stack);
    await stack.stopService('statistics');
    const admin = kafka.admin();
    await admin.connect();
    const groupId = `${prefix}statistics`;
    const topics = [topicName('calls', prefix), topicName('dispatch', prefix), topicName('cases', prefix)];
    for (const topic of topics) await admin.resetOffsets({ groupId, topic, earliest: true });
    await stack.startService('statistics');
    // wait until the group has committed up to every partition's end again
    await waitFor(
      async () => {
        for (const topic of topics) {
          const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
          for (const p of ends) {
            const c = committed[0]!.partitions.find((x) => x.partition === p.partition);
            if (!c || Number(c.offset) < Number(p.high)) return false;
          }
        }
        return true;
      },
      { timeoutMs: 120_000, intervalMs: 500, message: 'statistics re-read every topic' },
    );
    const dlqEnd = await admin.fetchTopicOffsets(topicName('deadLetter', prefix));
    await admin.disconnect();
    expect(await readCounts(stack)).toEqual(before);
    expect(dlqEnd.every((p) => p.high === '0')).toBe(true); // nothing was dead-lettered
  });
});
