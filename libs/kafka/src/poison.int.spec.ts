import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { eventRegistry, topicName, topicSpecs } from '@cad110/contracts';
import { pgTransaction } from '@cad110/db';
import { createLogger } from '@cad110/logging';
import { createMetrics } from '@cad110/telemetry';
import { tempDatabase, uniqueId, waitFor } from '@cad110/testkit';
import { ensureTopics, kafkaBrokers } from './client';
import { consumerState, runIdempotentConsumer } from './consumer';

const MIGRATIONS = join(__dirname, '..', '..', '..', 'services', 'intake', 'prisma', 'migrations');

/**
 * Fault: an unreadable message too big to copy into the dead-letter topic (issue 14: a 700 KB
 * binary message whose escaped copy is ~4 MB, refused by the broker, stopped every partition for
 * good). The partition must move on: the message becomes a dead-letter reference with the reason,
 * and the next message of the same partition is applied.
 */
describe('poison messages never stop a partition (real broker, real PostgreSQL)', () => {
  const prefix = `${uniqueId('p')}.`;
  const logger = createLogger('poison-test', { level: 'silent' });
  const metrics = createMetrics('poison-test');
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
    kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, clientId: 'poison-test' });
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

  it('dead-letters a 700 KB binary message as a reference and applies the next message of the partition', async () => {
    const calls = topicName('calls', prefix);
    const callId = randomUUID();
    const poison = randomBytes(700 * 1024);
    const good = {
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
    };
    await producer.send({ topic: calls, acks: -1, messages: [{ key: callId, value: poison }] });
    await producer.send({ topic: calls, acks: -1, messages: [{ key: callId, value: JSON.stringify(good) }] });

    const dlq: { reason: string; original: { offset: string; valueBytes: number; valueSha256: string; value?: string } }[] = [];
    const dlqConsumer = kafka.consumer({ groupId: uniqueId('dlq') });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: topicName('deadLetter', prefix), fromBeginning: true });
    await dlqConsumer.run({ eachMessage: async ({ message }) => void dlq.push(JSON.parse(message.value!.toString())) });

    consumer = await runIdempotentConsumer({
      kafka,
      groupId: uniqueId('g'),
      topics: [calls],
      registry: eventRegistry,
      transaction: pgTransaction(pool),
      producer,
      logger,
      metrics,
      handle: async (event, tx) => void (await tx.exec('INSERT INTO effects (event_id) VALUES ($1::uuid)', [event.eventId])),
    });

    await waitFor(async () => (await pool.query('SELECT 1 FROM effects WHERE event_id = $1', [good.eventId])).rowCount === 1, { timeoutMs: 30_000, message: 'the message after the poison one was applied' });
    await waitFor(() => dlq.length === 1, { message: 'one dead letter' });
    expect(dlq[0]!.reason).toMatch(/not JSON|unreadable/i);
    expect(dlq[0]!.original.offset).toBe('0');
    expect(dlq[0]!.original.valueBytes).toBe(poison.length);
    expect(dlq[0]!.original.value).toBeUndefined();
    expect(dlq[0]!.original.valueSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(consumerState(consumer)).toBe('running');
    await dlqConsumer.disconnect();
  });

  it('acknowledges an event of a type it does not accept without opening or validating it; a bad accepted one is dead-lettered', async () => {
    await consumer?.disconnect();
    consumer = undefined;
    const calls = topicName('calls', prefix);
    const callId = randomUUID();
    const envelope = (type: string, data: unknown) => ({
      eventId: randomUUID(),
      type,
      schemaVersion: 1,
      streamId: `call-${callId}`,
      streamVersion: 1,
      occurredAt: '2026-11-29T08:00:00.000Z',
      recordedAt: '2026-11-29T08:00:00.000Z',
      source: 'intake',
      metadata: { actor: { id: 'u1' }, correlationId: callId, causationId: null },
      data,
    });
    // not this consumer's type, and bad: no callId (its text is a sealed value for a key nobody has; this
    // consumer has no key ring, so it would be redacted, not opened — the missing callId is what fails)
    const notMine = envelope('CallNarrativeAppended', { text: 'sealed:v1:no-such-key:AAAA' });
    const badMine = envelope('CallReceived', { callId });
    const good = envelope('CallReceived', { callId, channel: '110', answeredAt: '2026-11-29T08:00:00.000Z', createdAt: '2026-11-29T08:00:00.000Z' });
    await producer.send({ topic: calls, acks: -1, messages: [notMine, badMine, good].map((e) => ({ key: callId, value: JSON.stringify(e) })) });

    const dlq: { reason: string; original: { key: string; offset: string } }[] = [];
    const dlqConsumer = kafka.consumer({ groupId: uniqueId('dlq') });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: topicName('deadLetter', prefix), fromBeginning: true });
    await dlqConsumer.run({ eachMessage: async ({ message }) => void dlq.push(JSON.parse(message.value!.toString())) });
    const handled: string[] = [];
    consumer = await runIdempotentConsumer({
      kafka,
      groupId: uniqueId('g'),
      topics: [calls],
      registry: eventRegistry,
      transaction: pgTransaction(pool),
      producer,
      logger,
      metrics,
      accepts: (type) => type === 'CallReceived',
      handle: async (event, tx) => {
        handled.push(event.eventId);
        // the first test's event is read again by this new group
        await tx.exec('INSERT INTO effects (event_id) VALUES ($1::uuid) ON CONFLICT DO NOTHING', [event.eventId]);
      },
    });
    try {
      await waitFor(async () => (await pool.query('SELECT 1 FROM effects WHERE event_id = $1', [good.eventId])).rowCount === 1, { timeoutMs: 30_000, message: 'the good event was applied' });
      await waitFor(() => dlq.some((d) => d.original.key === callId), { timeoutMs: 10_000, message: 'the bad accepted event dead-lettered' });
      // the dead-letter consumer reads on for a moment: a dead letter of the ignored event would show
      await new Promise((r) => setTimeout(r, 1500));
      const mine = dlq.filter((d) => d.original.key === callId);
      expect(mine).toHaveLength(1);
      expect(mine[0]!.reason).toMatch(/CallReceived/);
      const ours = new Set<string>([notMine.eventId, badMine.eventId, good.eventId]);
      expect(handled.filter((id) => ours.has(id))).toEqual([good.eventId]);
      const marked = await pool.query('SELECT event_id::text FROM processed_messages WHERE event_id = ANY($1::uuid[])', [[notMine.eventId, badMine.eventId, good.eventId]]);
      expect(marked.rows.map((r) => r.event_id)).toEqual([good.eventId]); // an ignored or unreadable message is no database work
    } finally {
      await dlqConsumer.disconnect();
    }
  });
});
