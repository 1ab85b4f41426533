import { Kafka, logLevel, type KafkaConfig, type ITopicConfig } from 'kafkajs';
import type { Logger } from '@cad110/logging';

/** Brokers from `KAFKA_BROKERS` (comma-separated host:port), default the local broker 127.0.0.1:19092. */
export function kafkaBrokers(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',').map((s) => s.trim()).filter(Boolean);
}

/** A kafkajs client whose log lines go to the service's pino logger. */
export function createKafka(clientId: string, logger?: Logger, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: kafkaBrokers(),
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 100, retries: 8 },
    logCreator: () => ({ namespace, level, log }) => {
      if (!logger) return;
      const { message, ...rest } = log;
      const fields = { namespace, kafka: rest };
      if (level === logLevel.ERROR) logger.error(fields, message);
      else if (level === logLevel.WARN) logger.warn(fields, message);
      else logger.debug(fields, message);
    },
    ...extra,
  });
}

/**
 * Creates the topics that do not exist yet and waits until every partition of every topic has
 * a leader (idempotent; several services may race, and a topic another process just created
 * may not have its partitions yet). Retries with backoff for up to `timeoutMs`.
 * @throws the last error when the topics are still not usable after `timeoutMs`
 */
export async function ensureTopics(kafka: Kafka, topics: ITopicConfig[], timeoutMs = 60_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t.topic));
        if (missing.length) {
          try {
            await admin.createTopics({ topics: missing, waitForLeaders: true });
          } catch (e) {
            if (!/already exists/i.test(String((e as Error).message))) throw e;
          }
        }
        const { topics: meta } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
        const ready = meta.every((m) => {
          const want = topics.find((t) => t.topic === m.name)?.numPartitions ?? 1;
          return m.partitions.length >= want && m.partitions.every((p) => p.leader >= 0);
        });
        if (ready) return;
        throw new Error('topic partitions have no leader yet');
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** True when the cluster answers a metadata request within `timeoutMs`. */
export async function kafkaReachable(kafka: Kafka, timeoutMs = 2000): Promise<boolean> {
  const admin = kafka.admin();
  const timer = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  const probe = (async () => {
    try {
      await admin.connect();
      await admin.describeCluster();
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  })();
  return Promise.race([probe, timer]);
}
