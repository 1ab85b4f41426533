import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Client } from 'pg';
import { ensureTopics } from '@cad110/kafka';
import { tempDatabase, uniqueId } from '@cad110/testkit';
import { join } from 'node:path';

export interface KafkaFloor {
  messages: number;
  bytesPerMessage: number;
  seconds: number;
  messagesPerSecond: number;
}

/**
 * Raw Kafka floor: produce `messages` messages of `bytes` bytes with kafkajs (acks=all, batches
 * of 500 as the outbox relay sends) to a fresh 3-partition topic and consume them with one
 * kafkajs consumer (eachBatch); the time runs from the first send to the last message received.
 */
export async function kafkaFloor(brokers: string[], messages: number, bytes: number, onProgress?: (n: number) => void): Promise<KafkaFloor> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'bench-floor' });
  const topic = uniqueId('bench-floor-');
  // the services' own topic creation: retries until every partition has a leader (a broker that
  // has just started can answer UNKNOWN_TOPIC_OR_PARTITION to kafkajs' own leader wait)
  await ensureTopics(kafka, [{ topic, numPartitions: 3 }]);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: uniqueId('bench-floor-'), maxWaitTimeInMs: 100 });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      received += batch.messages.length;
      onProgress?.(received);
      if (received >= messages) resolveDone();
    },
  });
  await new Promise((r) => setTimeout(r, 1500)); // let the group settle before timing
  const value = 'x'.repeat(bytes);
  const started = performance.now();
  for (let i = 0; i < messages; i += 500) {
    const n = Math.min(500, messages - i);
    await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, () => ({ key: randomUUID(), value, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } })) });
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  await Promise.all([consumer.disconnect(), producer.disconnect()]);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  return { messages, bytesPerMessage: bytes, seconds, messagesPerSecond: messages / seconds };
}

export interface PgFloor {
  rows: number;
  bytesPerRow: number;
  oneTxPerRow: { seconds: number; rowsPerSecond: number; connections: number };
  batched: { seconds: number; rowsPerSecond: number; batchSize: number };
}

/**
 * Raw PostgreSQL floor with `pg`: event-sized rows (uuid, text, jsonb of `bytes` bytes,
 * timestamptz) into a fresh table of a temporary database, (a) one transaction per row from
 * `connections` concurrent clients, (b) multi-row INSERT … SELECT unnest(...) of `batchSize` rows
 * per transaction from one client.
 */
export async function pgFloor(rows: number, bytes: number, connections = 8, batchSize = 500): Promise<PgFloor> {
  const db = await tempDatabase(join(__dirname, 'no-migrations'), uniqueId('cad110bench_'));
  const ddl = 'CREATE TABLE ev (id uuid PRIMARY KEY, type text NOT NULL, data jsonb NOT NULL, at timestamptz NOT NULL)';
  const data = JSON.stringify({ callId: randomUUID(), pad: 'x'.repeat(Math.max(0, bytes - 60)) });
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const c = new Client({ connectionString: db.url });
      await c.connect();
      return c;
    }),
  );
  try {
    await clients[0]!.query(ddl);
    let next = 0;
    const t1 = performance.now();
    await Promise.all(
      clients.map(async (c) => {
        while (next < rows) {
          next++;
          await c.query('BEGIN');
          await c.query('INSERT INTO ev VALUES ($1, $2, $3, now())', [randomUUID(), 'CallReceived', data]);
          await c.query('COMMIT');
        }
      }),
    );
    const s1 = (performance.now() - t1) / 1000;
    await clients[0]!.query('TRUNCATE ev');
    const t2 = performance.now();
    for (let i = 0; i < rows; i += batchSize) {
      const n = Math.min(batchSize, rows - i);
      await clients[0]!.query('INSERT INTO ev SELECT id, $2, d::jsonb, now() FROM unnest($1::uuid[], $3::text[]) AS x(id, d)', [
        Array.from({ length: n }, () => randomUUID()),
        'CallReceived',
        Array.from({ length: n }, () => data),
      ]);
    }
    const s2 = (performance.now() - t2) / 1000;
    return {
      rows,
      bytesPerRow: bytes,
      oneTxPerRow: { seconds: s1, rowsPerSecond: rows / s1, connections },
      batched: { seconds: s2, rowsPerSecond: rows / s2, batchSize },
    };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
    await db.drop();
  }
}
