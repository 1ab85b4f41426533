import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { Pool } from 'pg';
import { topicName, topicSpecs } from '@cad110/contracts';
import { createLogger } from '@cad110/logging';
import { tempDatabase, uniqueId } from '@cad110/testkit';
import { ensureTopics, kafkaBrokers } from './client';
import { OutboxRelay } from './outbox-relay';

const MIGRATIONS = join(__dirname, '..', '..', '..', 'services', 'intake', 'prisma', 'migrations');

/**
 * Per-key order from append to the topic (issue 14.5): the relay sends outbox rows in the numeric
 * order of their ids. It used to sort by the text of the id (ORDER BY named the `id::text` output
 * column), so when ids crossed a power of ten (999 → 1000) an event of a call was published before
 * the call's earlier events, and records saw CallHandedToDispatch before CallReceived.
 */
describe('outbox relay keeps per-key order (real broker, real PostgreSQL)', () => {
  const prefix = `${uniqueId('o')}.`;
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let pool: Pool;
  let producer: Producer;
  const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, clientId: 'outbox-order-test' });

  beforeAll(async () => {
    db = await tempDatabase(MIGRATIONS);
    pool = new Pool({ connectionString: db.url, max: 2 });
    await ensureTopics(kafka, topicSpecs(prefix, 1));
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    await pool?.end();
    await db?.drop();
  });

  it('publishes the rows of one key in id order across 999 → 1000 and 9,999 → 10,000', async () => {
    const topic = topicName('calls', prefix);
    const key = randomUUID();
    const ids = [997, 998, 999, 1000, 1001, 9998, 9999, 10000, 10001];
    for (const id of ids) {
      await pool.query(`INSERT INTO outbox (id, event_id, topic, key, payload, headers) VALUES ($1, $2, $3, $4, $5, '{}'::jsonb)`, [id, randomUUID(), topic, key, JSON.stringify({ seq: id })]);
    }
    const relay = new OutboxRelay({ pool, producer, kafka, logger: createLogger('outbox-order-test', { level: 'silent' }), batchSize: 4 });
    let sent = 0;
    for (let round = 0; round < 10 && sent < ids.length; round++) sent += await relay.relayOnce();
    expect(sent).toBe(ids.length);

    const consumer = kafka.consumer({ groupId: uniqueId('g') });
    const seen: number[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push((JSON.parse(message.value!.toString()) as { seq: number }).seq);
          if (seen.length === ids.length) resolve();
        },
      });
    });
    await Promise.race([done, new Promise((r) => setTimeout(r, 30_000))]);
    await consumer.disconnect();
    expect(seen).toEqual(ids);
  });
});
