import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { eventRegistry, topicName, topicSpecs } from '@cad110/contracts';
import { pgTransaction } from '@cad110/db';
import { createKafka, ensureTopics, runIdempotentConsumer } from '@cad110/kafka';
import { createLogger } from '@cad110/logging';
import { tempDatabase, uniqueId, waitFor } from '@cad110/testkit';

const ROOT = join(__dirname, '..', '..');
const SCRIPT = join(ROOT, 'infra', 'kafka', 'kafka-cluster.sh');
const MIGRATIONS = join(ROOT, 'services', 'intake', 'prisma', 'migrations');
const env = { ...process.env, CAD110_KAFKA_SECURE: '1', CAD110_KAFKA_CLUSTER_PORT: process.env.CAD110_KAFKA_CLUSTER_PORT ?? '19300' };
const cluster = (...args: string[]) => {
  // stdio to files/ignored: the brokers must not inherit this process's descriptors
  const r = spawnSync('bash', [SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kafka-cluster.sh ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
};
const stateDir = join(ROOT, '.cad110', `kafka-cluster-${env.CAD110_KAFKA_CLUSTER_PORT}`);
const secureEnv = {
  KAFKA_SSL: 'true',
  KAFKA_SSL_CA_FILE: join(stateDir, 'tls', 'ca.pem'),
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'cad110',
  KAFKA_SASL_PASSWORD: 'cad110-local-secret',
};

const received = (callId: string) => ({
  eventId: randomUUID(),
  type: 'CallReceived',
  schemaVersion: 1,
  streamId: `call-${callId}`,
  streamVersion: 1,
  occurredAt: new Date().toISOString(),
  recordedAt: new Date().toISOString(),
  source: 'intake',
  metadata: { actor: { id: 'u1' }, correlationId: callId, causationId: null },
  data: { callId, channel: '110', answeredAt: new Date().toISOString(), createdAt: new Date().toISOString() },
});

/** Runs `fn` with process.env extended by `extra`, restoring it afterwards. */
async function withEnv<T>(extra: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, extra);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(extra)) if (saved[k] === undefined) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

describe('3-broker KRaft cluster with TLS + SCRAM (real brokers, real PostgreSQL)', () => {
  const logger = createLogger('chaos-cluster', { level: 'silent' });
  let secureBrokers: string;
  let plainBrokers: string;

  beforeAll(() => {
    // fresh storage: SCRAM credentials are written when the storage is formatted, so a cluster
    // left by the fault suite (formatted without them) would refuse the password
    cluster('reset');
    cluster('start');
    plainBrokers = cluster('brokers');
    secureBrokers = cluster('brokers', 'secure');
  });
  afterAll(() => {
    if (process.env.CHAOS_KEEP_CLUSTER !== '1') cluster('stop');
  });

  it('connects with TLS + SCRAM-SHA-512 from env vars, creates topics with RF 3 / min.insync 2, refuses a wrong password', async () => {
    const prefix = `${uniqueId('s')}.`;
    await withEnv({ ...secureEnv, KAFKA_BROKERS: secureBrokers }, async () => {
      const kafka = createKafka('chaos-secure');
      await ensureTopics(kafka, topicSpecs(prefix, 3));
      const admin = kafka.admin();
      await admin.connect();
      const { topics } = await admin.fetchTopicMetadata({ topics: [topicName('calls', prefix)] });
      expect(topics[0]!.partitions.every((p) => p.replicas.length === 3)).toBe(true);
      const cfg = await admin.describeConfigs({ resources: [{ type: 2, name: topicName('calls', prefix), configNames: ['min.insync.replicas'] }], includeSynonyms: false });
      expect(cfg.resources[0]!.configEntries[0]!.configValue).toBe('2');
      await admin.disconnect();
    });
    await withEnv({ ...secureEnv, KAFKA_BROKERS: secureBrokers, KAFKA_SASL_PASSWORD: 'wrong' }, async () => {
      const admin = createKafka('chaos-secure-wrong', undefined, { retry: { retries: 0 } }).admin();
      await expect(admin.connect()).rejects.toThrow(/SASL|authentication/i);
    });
  });

  it('keeps consuming through kill -9 of the partition leader and a broker stopped 20 s; reports recovery seconds', async () => {
    const prefix = `${uniqueId('k')}.`;
    const db = await tempDatabase(MIGRATIONS);
    const pool = new Pool({ connectionString: db.url, max: 4 });
    await pool.query('CREATE TABLE effects (event_id uuid PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())');
    let consumer: Consumer | undefined;
    let producer: Producer | undefined;
    const figures: Record<string, number> = {};
    try {
      await withEnv({ KAFKA_BROKERS: plainBrokers, KAFKA_TOPIC_PREFIX: prefix }, async () => {
        const kafka = createKafka('chaos-kill');
        await ensureTopics(kafka, topicSpecs(prefix, 1));
        producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, maxInFlightRequests: 1 });
        await producer.connect();
        consumer = await runIdempotentConsumer({
          kafka,
          groupId: uniqueId('g'),
          topics: [topicName('calls', prefix)],
          registry: eventRegistry,
          transaction: pgTransaction(pool),
          producer,
          logger,
          handle: async (event, tx) => void (await tx.exec('INSERT INTO effects (event_id) VALUES ($1::uuid)', [event.eventId])),
        });
        const admin = new Kafka({ brokers: plainBrokers.split(','), logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        const leader = async () => (await admin.fetchTopicMetadata({ topics: [topicName('calls', prefix)] })).topics[0]!.partitions[0]!.leader;
        const sent: string[] = [];
        const send = async () => {
          const ev = received(randomUUID());
          await producer!.send({ topic: topicName('calls', prefix), acks: -1, messages: [{ key: ev.data.callId, value: JSON.stringify(ev) }] });
          sent.push(ev.eventId);
          return ev.eventId;
        };
        const applied = async (id: string) => (await pool.query('SELECT 1 FROM effects WHERE event_id = $1', [id])).rowCount === 1;
        await waitFor(async () => applied(await send()), { timeoutMs: 60_000, message: 'consumer running' });

        // fault 1: kill -9 the leader of the partition
        const victim = await leader();
        const t0 = Date.now();
        cluster('kill-node', String(victim));
        const afterKill = await waitFor(async () => { try { return await send(); } catch { return undefined; } }, { timeoutMs: 60_000, message: 'produce after leader kill' });
        await waitFor(() => applied(afterKill), { timeoutMs: 60_000, message: 'consumed after leader kill' });
        figures.leaderKillSeconds = (Date.now() - t0) / 1000;
        cluster('start-node', String(victim));

        // fault 2: a broker (the group coordinator may be on it) stopped for 20 s, then back
        const stopped = await leader();
        cluster('stop-node', String(stopped));
        await new Promise((r) => setTimeout(r, 20_000));
        cluster('start-node', String(stopped));
        const t1 = Date.now();
        const afterReturn = await waitFor(async () => { try { return await send(); } catch { return undefined; } }, { timeoutMs: 60_000, message: 'produce after broker return' });
        await waitFor(() => applied(afterReturn), { timeoutMs: 60_000, message: 'consumed after broker return' });
        figures.brokerReturnSeconds = (Date.now() - t1) / 1000;

        // nothing lost, nothing applied twice
        await waitFor(async () => (await pool.query('SELECT count(*)::int AS n FROM effects')).rows[0].n === new Set(sent).size, { timeoutMs: 60_000, message: 'every sent event applied once' });
        await admin.disconnect();
      });
      process.stdout.write(`[chaos] cluster recovery: ${JSON.stringify(figures)}\n`);
      expect(figures.leaderKillSeconds).toBeLessThan(60);
      expect(figures.brokerReturnSeconds).toBeLessThan(30);
    } finally {
      await consumer?.disconnect().catch(() => undefined);
      await producer?.disconnect().catch(() => undefined);
      await pool.end();
      await db.drop();
    }
  });
});
