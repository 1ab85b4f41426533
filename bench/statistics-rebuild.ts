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
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { eventRegistry, topicName, topicSpecs } from '@cad110/contracts';
import { DEFAULT_POSTGRES_URL, dropDatabase, withDatabase } from '@cad110/db';
import { ensureTopics, kafkaBrokers } from '@cad110/kafka';
import { createLogger } from '@cad110/logging';
import { tempDatabase } from '@cad110/testkit';
import { rebuildProjections } from '../services/statistics/src/projections/rebuild';
import { publishSyntheticCalls } from './statistics-synthetic-events';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const CALLS = Number(arg('calls', '60000'));
const ROOT = join(__dirname, '..');

async function main() {
  const prefix = `benchstats${randomUUID().slice(0, 8)}.`;
  process.env.KAFKA_TOPIC_PREFIX = prefix;
  const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, clientId: 'bench-stats' });
  await ensureTopics(kafka, topicSpecs(prefix, 3));
  const t0 = performance.now();
  const published = await publishSyntheticCalls(kafka, prefix, CALLS);
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
