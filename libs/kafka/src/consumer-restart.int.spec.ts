import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, KafkaJSNonRetriableError, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { eventRegistry, topicName, topicSpecs } from '@cad110/contracts';
import { pgTransaction } from '@cad110/db';
import { createLogger } from '@cad110/logging';
import { tempDatabase, uniqueId, waitFor } from '@cad110/testkit';
import { ensureTopics, kafkaBrokers } from './client';
import { consumerState, runIdempotentConsumer, type ConsumerState } from './consumer';
import { RestartBudget } from './consumer-faults';

const MIGRATIONS = join(__dirname, '..', '..', '..', 'services', 'intake', 'prisma', 'migrations');

const received = (callId: string) => ({
  eventId: randomUUID(),
  type: 'CallReceived',
  schemaVersion: 1,
  streamId: `call-${callId}`,
  streamVersion: 1,
  occurredAt: '2026-11-29T08:00:00.000Z',
  recordedAt: '2026-11-29T08:00:00.000Z',
  source: 'intake',
  metadata: { actor: { id: 'u1' }, correlationId: callId, causationId: null },
  data: { callId, channel: '110', answeredAt: '2026-11-29T08:00:00.000Z', createdAt: '2026-11-29T08:00:00.000Z' },
});

describe('restart budget', () => {
  it('counts restarts in a sliding window, not since start', () => {
    let now = 0;
    const b = new RestartBudget(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false); // 4 within one minute
    now = 61_000;
    expect(b.take()).toBe(true); // the old ones left the window
    for (let i = 0; i < 40; i++) {
      now += 30_000; // one transient crash every 30 s for 20 minutes never adds up to an exit
      expect(b.take()).toBe(true);
    }
  });
});

/**
 * Fault: kafkajs stops a consumer for good when eachBatch throws an error it does not call
 * retriable (issue 14: the consumers stopped on every partition, were not restarted, and /readyz
 * kept answering 200). The consumer must be restarted and its state must say so meanwhile.
 */
describe('a consumer kafkajs stops is restarted (real broker, real PostgreSQL)', () => {
  const prefix = `${uniqueId('r')}.`;
  const logger = createLogger('restart-test', { level: 'silent' });
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let pool: Pool;
  let kafka: Kafka;
  let producer: Producer;
  let consumer: Consumer | undefined;

  beforeAll(async () => {
    process.env.KAFKA_TOPIC_PREFIX = prefix;
    db = await tempDatabase(MIGRATIONS);
    pool = new Pool({ connectionString: db.url, max: 4 });
    await pool.query('CREATE TABLE effects (event_id uuid PRIMARY KEY)');
    kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, clientId: 'restart-test' });
    await ensureTopics(kafka, topicSpecs(prefix, 1));
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await pool?.end();
    await db?.drop();
    delete process.env.KAFKA_TOPIC_PREFIX;
  });

  it('restarts after a non-retriable crash, reports it while stopped, and applies the message', async () => {
    const ev = received(randomUUID());
    await producer.send({ topic: topicName('calls', prefix), acks: -1, messages: [{ key: ev.data.callId, value: JSON.stringify(ev) }] });
    let crashes = 1;
    const seen = new Set<ConsumerState | undefined>();
    let fatal: Error | undefined;
    consumer = await runIdempotentConsumer({
      kafka,
      groupId: uniqueId('g'),
      topics: [topicName('calls', prefix)],
      registry: eventRegistry,
      transaction: pgTransaction(pool),
      producer,
      logger,
      onFatal: (e) => (fatal = e),
      // a transient fault outside the handler that kafkajs calls non-retriable (as it does the
      // broker's MESSAGE_TOO_LARGE): kafkajs stops the consumer for good and does not restart it
      accepts: () => {
        if (crashes-- > 0) throw new KafkaJSNonRetriableError('transient fault outside the handler');
        return true;
      },
      handle: async (event, tx) => void (await tx.exec('INSERT INTO effects (event_id) VALUES ($1::uuid)', [event.eventId])),
    });
    const poll = setInterval(() => seen.add(consumerState(consumer!)), 20);
    try {
      await waitFor(async () => (await pool.query('SELECT 1 FROM effects WHERE event_id = $1', [ev.eventId])).rowCount === 1, { timeoutMs: 30_000, message: 'the message was applied after the crash' });
      await waitFor(() => consumerState(consumer!) === 'running', { message: 'running again' });
    } finally {
      clearInterval(poll);
    }
    expect(seen.has('restarting')).toBe(true); // readiness saw it stopped
    expect(fatal).toBeUndefined();
  });
});
