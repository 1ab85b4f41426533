/**
 * Benchmark: the live consumer's rate, events applied per second by statistics' idempotent
 * consumer (a chunk of up to `CONSUMER_CHUNK_SIZE` (100) messages of a partition per transaction:
 * processed markers, facts, then the netted summaries; one message per transaction after a
 * failed chunk).
 *
 *   KAFKA_BROKERS=127.0.0.1:29092 npm run bench:live -w @cad110/statistics [-- --calls 3000]
 *
 * Publishes the synthetic events of `calls` calls (10 per call, see statistics-synthetic-events.ts)
 * on fresh topics, starts the live consumer on a temporary database and prints the events per
 * second until every event is applied, with the database's committed and rolled-back
 * transactions and deadlocks over the run (pg_stat_database; a rolled-back chunk is retried
 * message by message). Topics and database are deleted at the end.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { topicSpecs } from '@cad110/contracts';
import { dropDatabase } from '@cad110/db';
import { ensureTopics, kafkaBrokers } from '@cad110/kafka';
import { createRuntime } from '@cad110/runtime';
import { startConsumers, stopLive } from '../services/statistics/src/consumers';
import type { LiveProjection } from '../services/statistics/src/runtime';
import { projectionConfig } from '../services/statistics/src/config';
import { ConsumerGate } from '../services/statistics/src/projections/gate';
import { publishSyntheticCalls } from './statistics-synthetic-events';

const i = process.argv.indexOf('--calls');
const CALLS = i > 0 ? Number(process.argv[i + 1]) : 3000;

async function main() {
  const prefix = `benchlive${randomUUID().slice(0, 8)}.`;
  process.env.KAFKA_TOPIC_PREFIX = prefix;
  process.env.CAD110_DB_PREFIX = `cad110benchlive_${randomUUID().slice(0, 8)}`;
  process.env.LOG_LEVEL = 'silent';
  process.env.BUREAU_TIME_ZONE = 'America/Chicago';
  const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, clientId: 'bench-live' });
  await ensureTopics(kafka, topicSpecs(prefix, 3));
  const published = await publishSyntheticCalls(kafka, prefix, CALLS);
  const rt = await createRuntime({ name: 'statistics', serviceDir: `${__dirname}/../services/statistics`, outbox: false });
  const live: LiveProjection = { cfg: projectionConfig(), gate: new ConsumerGate() };
  const dbStats = async () =>
    (await rt.pool.query<{ commits: string; rollbacks: string; deadlocks: string }>('SELECT xact_commit AS commits, xact_rollback AS rollbacks, deadlocks FROM pg_stat_database WHERE datname = current_database()')).rows[0]!;
  const s0 = await dbStats();
  const t0 = performance.now();
  await startConsumers(rt, live);
  let n = 0;
  while (n < published) {
    await new Promise((r) => setTimeout(r, 500));
    n = (await rt.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM processed_messages')).rows[0]!.n;
  }
  const seconds = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 1000)); // pg_stat counters are reported with a small delay
  const s1 = await dbStats();
  const d = (k: keyof typeof s0) => Number(s1[k]) - Number(s0[k]);
  console.log(JSON.stringify({ calls: CALLS, events: published, seconds: +seconds.toFixed(1), eventsPerSecond: Math.round(published / seconds), commits: d('commits'), rollbacks: d('rollbacks'), deadlocks: d('deadlocks'), chunkSize: Number(process.env.CONSUMER_CHUNK_SIZE ?? 100) }));
  await Promise.allSettled(rt.consumers.map((c) => c.disconnect()));
  stopLive(live);
  await rt.producer.disconnect();
  await rt.pool.end();
  await dropDatabase(rt.databaseUrl);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: topicSpecs(prefix).map((t) => t.topic) });
  await admin.disconnect();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
