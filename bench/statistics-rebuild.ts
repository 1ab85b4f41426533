/**
 * Benchmark: statistics' rebuild rate, events replayed from Kafka into the projections per second
 * (target ≥ 20,000 events/s).
 *
 *   KAFKA_BROKERS=127.0.0.1:29092 npm run bench:rebuild -w @cad110/statistics [-- --calls 60000 --keep]
 *
 * Publishes, on fresh topics of the broker at KAFKA_BROKERS (prefix `benchstats<random>.`), the
 * events the pipeline produces for `calls` calls derived from real Minneapolis rows (row n mod
 * 14,199: its mapped classification, location, answer time shifted by whole weeks, first dispatch
 * and first arrival): CallReceived, CallLocated, CallClassified, CallHandedToDispatch,
 * IncidentOpened, UnitsRecommended, UnitDispatched, UnitStatusChanged (on-scene), CaseOpened,
 * DispositionRecorded — 10 contract-valid events per call, keyed by call id, 3 partitions per
 * topic. Then runs the real rebuild (rebuildProjections: read every topic from offset 0 with
 * validation and upcasting, fold, truncate + bulk load in one transaction) into a temporary
 * database and prints its figures. Topics and database are deleted at the end unless --keep.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Pool } from 'pg';
import { eventRegistry, loadTaxonomy, topicName, topicSpecs, type EventEnvelope } from '@cad110/contracts';
import { DEFAULT_POSTGRES_URL, dropDatabase, withDatabase } from '@cad110/db';
import { loadMapping, readCalls } from '@cad110/importer';
import { ensureTopics, kafkaBrokers } from '@cad110/kafka';
import { createLogger } from '@cad110/logging';
import { tempDatabase } from '@cad110/testkit';
import { rebuildProjections } from '../services/statistics/src/projections/rebuild';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const CALLS = Number(arg('calls', '60000'));
const ROOT = join(__dirname, '..');
const WEEK = 7 * 86_400_000;

const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

async function main() {
  const prefix = `benchstats${randomUUID().slice(0, 8)}.`;
  process.env.KAFKA_TOPIC_PREFIX = prefix;
  const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, clientId: 'bench-stats' });
  await ensureTopics(kafka, topicSpecs(prefix, 3));
  const taxonomy = loadTaxonomy();
  const mapping = loadMapping('minneapolis-mpd', taxonomy);
  const { calls: real } = await readCalls(join(ROOT, '..', 'shared', 'data', 'calls', mapping.dataset), mapping, taxonomy);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const recordedAt = new Date().toISOString();
  const meta = (callId: string) => ({ actor: { id: 'bench:statistics' }, correlationId: callId, causationId: null });
  const env = (type: string, streamId: string, v: number, occurredAt: string, callId: string, data: Record<string, unknown>, source: EventEnvelope['source']): EventEnvelope => ({
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    streamId,
    streamVersion: v,
    occurredAt,
    recordedAt,
    source,
    metadata: meta(callId),
    data,
  });

  let published = 0;
  const t0 = performance.now();
  let batch: { topic: string; key: string; value: string }[] = [];
  const flush = async () => {
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const m of batch) (byTopic.get(m.topic) ?? byTopic.set(m.topic, []).get(m.topic)!).push({ key: m.key, value: m.value });
    await producer.sendBatch({ acks: 1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    published += batch.length;
    batch = [];
  };
  for (let n = 0; n < CALLS; n++) {
    const src = real[n % real.length]!;
    const shift = Math.floor(n / real.length) * WEEK;
    const b = src.body;
    const callId = randomUUID();
    const incidentId = randomUUID();
    const caseId = randomUUID();
    const answeredAt = plus(b.answeredAt, -shift);
    const handedAt = plus(b.handedAt ?? b.answeredAt, -shift);
    const sub = taxonomy.subtype(b.classification.subtype)!;
    const cls = { kind: sub.kind, category: sub.category, subtype: sub.code, priority: b.classification.priority, flags: sub.flags };
    const loc = { address: b.location?.address, lat: b.location?.lat, lon: b.location?.lon, district: b.location?.district, beat: b.location?.beat };
    const dispatchedAt = plus(handedAt, 60_000 + (n % 240) * 1000);
    const onScene = plus(dispatchedAt, 120_000 + (n % 600) * 1000);
    const events: EventEnvelope[] = [
      env('CallReceived', `call-${callId}`, 1, answeredAt, callId, { callId, channel: b.channel, answeredAt, createdAt: answeredAt }, 'intake'),
      env('CallLocated', `call-${callId}`, 2, answeredAt, callId, { callId, source: 'import', ...loc }, 'intake'),
      env('CallClassified', `call-${callId}`, 3, answeredAt, callId, { callId, ...cls, taxonomyVersion: '1.0.0', classifiedAt: answeredAt, sourceCode: b.classification.sourceCode }, 'intake'),
      env('CallHandedToDispatch', `call-${callId}`, 4, handedAt, callId, { callId, handedAt, answeredAt, ...cls, location: loc }, 'intake'),
      env('IncidentOpened', `incident-${incidentId}`, 1, handedAt, callId, { incidentId, callId, openedAt: handedAt, answeredAt, ...cls, location: loc }, 'dispatch'),
      env('UnitsRecommended', `incident-${incidentId}`, 2, handedAt, callId, { incidentId, callId, recommendedAt: handedAt, recommendations: [] }, 'dispatch'),
      env('UnitDispatched', `incident-${incidentId}`, 3, dispatchedAt, callId, { incidentId, callId, unitId: `U${n % 40}`, dispatchedAt }, 'dispatch'),
      env('UnitStatusChanged', `unit-U${n % 40}`, 1 + Math.floor(n / 40), onScene, callId, { unitId: `U${n % 40}`, from: 'en-route', to: 'on-scene', at: onScene, incidentId, callId }, 'dispatch'),
      env('CaseOpened', `case-${caseId}`, 1, handedAt, callId, { caseId, caseNumber: `JY-2020-${String(n + 1).padStart(6, '0')}`, incidentId, callId, openedAt: handedAt, category: cls.category, subtype: cls.subtype, district: loc.district }, 'records'),
      env('DispositionRecorded', `case-${caseId}`, 2, onScene, callId, { caseId, codes: ['unresolved'], suspectsCaught: n % 17 === 0 ? 1 : 0, peopleRescued: 0, recordedAt: onScene }, 'records'),
    ];
    if (n === 0) for (const e of events) eventRegistry.parse(JSON.stringify(e)); // contract-valid
    for (const e of events) batch.push({ topic: topicName(eventRegistry.get(e.type)!.topic, prefix), key: callId, value: JSON.stringify(e) });
    if (batch.length >= 5000) await flush();
  }
  await flush();
  await producer.disconnect();
  const produceSeconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ calls: CALLS, published, produceSeconds: +produceSeconds.toFixed(1) }));

  const name = `cad110bench_rebuild_${Date.now()}`;
  const db = await tempDatabase(join(ROOT, 'services', 'statistics', 'prisma', 'migrations'), name);
  const pool = new Pool({ connectionString: db.url, max: 2 });
  const res = await rebuildProjections({
    pool,
    kafka,
    registry: eventRegistry,
    cfg: { timeZone: 'America/Chicago', h3Resolution: 9 },
    logger: createLogger('bench', { level: 'silent' }),
    topics: ['calls', 'dispatch', 'cases'].map((t) => topicName(t as never, prefix)),
  });
  const check = (await pool.query<{ n: number }>('SELECT sum(calls)::int AS n FROM call_counts_day')).rows[0]!.n;
  console.log(
    JSON.stringify({
      events: res.events,
      calls: res.calls,
      countedCalls: check,
      readAndFoldSeconds: +res.readSeconds.toFixed(2),
      writeSeconds: +res.writeSeconds.toFixed(2),
      seconds: +res.seconds.toFixed(2),
      eventsPerSecond: Math.round(res.eventsPerSecond),
      readAndFoldEventsPerSecond: Math.round(res.events / res.readSeconds),
    }),
  );
  await pool.end();
  if (!process.argv.includes('--keep')) {
    await dropDatabase(withDatabase(process.env.POSTGRES_URL ?? DEFAULT_POSTGRES_URL, name));
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: topicSpecs(prefix).map((t) => t.topic) });
    await admin.disconnect();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
