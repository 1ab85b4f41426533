import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { SpanKind, trace } from '@opentelemetry/api';
import { callStreamId, eventRegistry, topicName, topicSpecs } from '@cad110/contracts';
import { sqlOf, type Sql } from '@cad110/db';
import { appendToStream } from '@cad110/eventstore';
import { createLogger } from '@cad110/logging';
import { createMetrics } from '@cad110/telemetry';
import { tempDatabase, uniqueId, useInMemoryTracing, waitFor } from '@cad110/testkit';
import { ensureTopics, kafkaBrokers } from './client';
import { OutboxRelay } from './outbox-relay';
import { runIdempotentConsumer, PermanentError } from './consumer';

const MIGRATIONS = join(__dirname, '..', '..', '..', 'services', 'intake', 'prisma', 'migrations');
const spans = useInMemoryTracing();


describe('outbox relay → Kafka → idempotent consumer (real broker, real PostgreSQL)', () => {
  const prefix = `${uniqueId('t')}.`;
  const logger = createLogger('kafka-int-test', { level: 'silent' });
  const metrics = createMetrics('kafka-int-test');
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let pool: Pool;
  let kafka: Kafka;
  let producer: Producer;
  let relay: OutboxRelay;
  let consumer: Consumer | undefined;
  const groupId = uniqueId('g');

  const transaction = async <T>(fn: (tx: Sql) => Promise<T>): Promise<T> => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const r = await fn(sqlOf(c));
      await c.query('COMMIT');
      return r;
    } catch (e) {
      await c.query('ROLLBACK');
      throw e;
    } finally {
      c.release();
    }
  };

  const effects = async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM effects')).rows[0]!.n;

  const startConsumer = async () =>
    runIdempotentConsumer({
      kafka,
      groupId,
      topics: [topicName('calls', prefix)],
      registry: eventRegistry,
      transaction,
      producer,
      logger,
      metrics,
      handle: async (event, tx) => {
        if ((event.data as { text?: string }).text === 'refuse me') throw new PermanentError('the domain refuses this');
        await tx.exec('INSERT INTO effects (event_id) VALUES ($1::uuid)', [event.eventId]);
      },
    });

  beforeAll(async () => {
    process.env.KAFKA_TOPIC_PREFIX = prefix;
    db = await tempDatabase(MIGRATIONS);
    pool = new Pool({ connectionString: db.url, max: 4 });
    await pool.query('CREATE TABLE effects (event_id uuid PRIMARY KEY)');
    kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, clientId: 'kafka-int-test' });
    await ensureTopics(kafka, topicSpecs(prefix, 2));
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    relay = new OutboxRelay({ pool, producer, kafka, logger, metrics });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await pool?.end();
    await db?.drop();
    delete process.env.KAFKA_TOPIC_PREFIX;
  });

  it('delivers appended events once, dead-letters unreadable and refused messages, and ignores redelivery', async () => {
    const callId = randomUUID();
    // the append happens inside a "request" span: the whole chain must hang under it
    await trace.getTracer('test').startActiveSpan('POST /calls', async (span) => {
      await transaction((tx) =>
        appendToStream(tx, eventRegistry, {
          streamId: callStreamId(callId),
          streamType: 'call',
          expectedVersion: 0,
          source: 'intake',
          partitionKey: callId,
          metadata: { actor: { id: 'u1' }, correlationId: callId, causationId: null },
          events: [
            { type: 'CallReceived', data: { callId, channel: '110', answeredAt: '2026-11-29T08:00:00.000Z', createdAt: '2026-11-29T08:00:00.000Z' } },
            { type: 'CallNarrativeAppended', data: { callId, text: 'refuse me' } },
            { type: 'CallNarrativeAppended', data: { callId, text: 'caller sees smoke' } },
          ],
        }),
      );
      span.end();
    });
    // an unreadable message in the same partition must not block what follows it
    await producer.send({ topic: topicName('calls', prefix), messages: [{ key: callId, value: '{"type":"CallReceived", broken' }] });

    expect(await relay.relayOnce()).toBe(3);
    expect(await relay.backlog()).toBe(0);

    const dlq: { reason: string; original: { topic: string } }[] = [];
    const dlqConsumer = kafka.consumer({ groupId: uniqueId('dlq') });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: topicName('deadLetter', prefix), fromBeginning: true });
    await dlqConsumer.run({ eachMessage: async ({ message }) => void dlq.push(JSON.parse(message.value!.toString())) });

    consumer = await startConsumer();
    await waitFor(async () => (await effects()) === 2, { message: 'two effects applied' });
    await waitFor(() => dlq.length === 2, { message: 'two dead letters' });
    expect(dlq.map((d) => d.reason).sort()).toEqual([expect.stringMatching(/^CallNarrativeAppended rejected: the domain refuses this/), expect.stringMatching(/^message is not JSON/)].sort());
    expect(dlq.every((d) => d.original.topic === topicName('calls', prefix))).toBe(true);
    await dlqConsumer.disconnect();

    // one trace: test span → PRODUCER (relay) → CONSUMER (processing) for each relayed event
    await waitFor(() => spans.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER).length >= 4, { message: 'consumer spans' });
    const all = spans.getFinishedSpans();
    const request = all.find((s) => s.name === 'POST /calls')!;
    const producers = all.filter((s) => s.kind === SpanKind.PRODUCER && s.parentSpanContext?.spanId === request.spanContext().spanId);
    expect(producers).toHaveLength(3);
    for (const p of producers) {
      const children = all.filter((s) => s.kind === SpanKind.CONSUMER && s.parentSpanContext?.spanId === p.spanContext().spanId);
      expect(children).toHaveLength(1);
      expect(children[0]!.spanContext().traceId).toBe(request.spanContext().traceId);
    }

    // redelivery: rewind the group to the start; nothing changes
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId, topic: topicName('calls', prefix), earliest: true });
    await admin.disconnect();
    const before = (await metrics.consumed.get()).values.find((v) => v.labels.outcome === 'duplicate')?.value ?? 0;
    consumer = await startConsumer();
    await waitFor(async () => ((await metrics.consumed.get()).values.find((v) => v.labels.outcome === 'duplicate')?.value ?? 0) - before >= 2, { message: 'redelivered messages seen as duplicates' });
    await waitFor(async () => ((await metrics.consumed.get()).values.find((v) => v.labels.outcome === 'duplicate')?.value ?? 0) - before === 3, { message: 'the refused message is not dead-lettered twice' });
    expect(await effects()).toBe(2);
  });
});
