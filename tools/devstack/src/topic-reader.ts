import type { Kafka } from 'kafkajs';
import { uniqueId } from '@cad110/testkit';

/**
 * Every message value still readable on `topics` — each partition from its low to its high
 * offset as fetched at the start — as UTF-8 text, read by a consumer group of its own
 * (`<groupPrefix><unique>`) that commits nothing the services use. For tests that look for data
 * on the wire (personal-data and sealed-fields e2e).
 * @throws Error naming the partitions not read to their end within `timeoutMs` (default 30 s)
 */
export async function readTopicValues(kafka: Kafka, topics: readonly string[], opts: { groupPrefix: string; timeoutMs?: number }): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const pending = new Map<string, bigint>();
  try {
    for (const topic of topics) for (const o of await admin.fetchTopicOffsets(topic)) if (BigInt(o.high) > BigInt(o.low)) pending.set(`${topic}|${o.partition}`, BigInt(o.high));
  } finally {
    await admin.disconnect();
  }
  const values: string[] = [];
  if (pending.size === 0) return values;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const consumer = kafka.consumer({ groupId: uniqueId(opts.groupPrefix), maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    for (const topic of new Set([...pending.keys()].map((k) => k.split('|')[0]!))) await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`topics not read to their end in ${timeoutMs / 1000} s: ${[...pending.keys()].join(', ')}`)), timeoutMs);
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            values.push(message.value?.toString('utf8') ?? '');
            const k = `${topic}|${partition}`;
            if (pending.has(k) && BigInt(message.offset) + 1n >= pending.get(k)!) pending.delete(k);
            if (pending.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return values;
}
