import { readFileSync } from 'node:fs';
import { ConfigResourceTypes, ConfigSource, Kafka, logLevel, type Admin, type KafkaConfig, type ITopicConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from '@cad110/logging';
// installs the fix of kafkajs' 1 ms request-queue timer loop before any client is created
import './request-queue';

/** Brokers from `KAFKA_BROKERS` (comma-separated host:port), default the local broker 127.0.0.1:19092. */
export function kafkaBrokers(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',').map((s) => s.trim()).filter(Boolean);
}

const secret = (env: NodeJS.ProcessEnv, name: string): string | undefined =>
  env[`${name}_FILE`] ? readFileSync(env[`${name}_FILE`]!, 'utf8').trim() : env[name];

/**
 * TLS and SASL client settings from the environment (all optional; none = PLAINTEXT):
 * - `KAFKA_SSL=true` turns TLS on; `KAFKA_SSL_CA_FILE` (PEM) is the CA to trust instead of the
 *   system's; `KAFKA_SSL_CERT_FILE` + `KAFKA_SSL_KEY_FILE` (PEM) for mutual TLS;
 *   `KAFKA_SSL_REJECT_UNAUTHORIZED=false` skips verification (never in production);
 * - `KAFKA_SASL_MECHANISM` = `scram-sha-512` | `scram-sha-256` | `plain`, with
 *   `KAFKA_SASL_USERNAME` and `KAFKA_SASL_PASSWORD` (or `KAFKA_SASL_PASSWORD_FILE`, e.g. a
 *   mounted secret). SASL without TLS sends the credentials' exchange in clear: use both.
 * @throws Error for an unknown mechanism or a mechanism without username/password
 */
export function kafkaSecurity(env: NodeJS.ProcessEnv = process.env): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {};
  if (env.KAFKA_SSL === 'true' || env.KAFKA_SSL_CA_FILE) {
    const ca = env.KAFKA_SSL_CA_FILE ? [readFileSync(env.KAFKA_SSL_CA_FILE, 'utf8')] : undefined;
    const cert = env.KAFKA_SSL_CERT_FILE ? readFileSync(env.KAFKA_SSL_CERT_FILE, 'utf8') : undefined;
    const key = env.KAFKA_SSL_KEY_FILE ? readFileSync(env.KAFKA_SSL_KEY_FILE, 'utf8') : undefined;
    out.ssl = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), rejectUnauthorized: env.KAFKA_SSL_REJECT_UNAUTHORIZED !== 'false' };
  }
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  if (mechanism) {
    const username = env.KAFKA_SASL_USERNAME;
    const password = secret(env, 'KAFKA_SASL_PASSWORD');
    if (!username || !password) throw new Error('KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)');
    if (mechanism !== 'scram-sha-512' && mechanism !== 'scram-sha-256' && mechanism !== 'plain') throw new Error(`KAFKA_SASL_MECHANISM ${mechanism} is not one of scram-sha-512, scram-sha-256, plain`);
    out.sasl = { mechanism, username, password } as SASLOptions;
  }
  return out;
}

/**
 * A kafkajs client whose log lines go to the service's pino logger; brokers from
 * `KAFKA_BROKERS`, TLS/SASL from {@link kafkaSecurity}. Retries back off from 0.2 s to at most
 * 2 s apart, so a client notices a returned broker within seconds.
 */
export function createKafka(clientId: string, logger?: Logger, extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId,
    brokers: kafkaBrokers(),
    ...kafkaSecurity(),
    logLevel: logLevel.WARN,
    retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 10 },
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
 * Replication for new topics on a cluster of `brokers` brokers: `configured` (the services'
 * validated `KAFKA_REPLICATION_FACTOR`) when given, else 3 on 3+ brokers (2 on 2, 1 on 1);
 * `min.insync.replicas` 2 when the factor is 3 or more (an acks=all write then needs 2 replicas:
 * one broker may be down, none is lost), else 1.
 */
export function replicationFor(brokers: number, configured?: number): { replicationFactor: number; minInsyncReplicas: number } {
  const replicationFactor = configured ?? Math.max(1, Math.min(3, brokers));
  return { replicationFactor, minInsyncReplicas: replicationFactor >= 3 ? 2 : 1 };
}

/**
 * Creates the topics that do not exist yet and waits until every partition of every topic has
 * a leader (idempotent; several services may race, and a topic another process just created
 * may not have its partitions yet). Retries with backoff for up to `timeoutMs`. Replication
 * factor and `min.insync.replicas` come from {@link replicationFor} for the cluster's size
 * (`configuredReplication`: the configured factor, if any). Topics that already existed get the
 * `configEntries` they differ in (e.g. a changed `retention.ms`) by {@link alignTopicConfigs};
 * when the client is not authorised to alter configs, `warn` is told and the start goes on.
 * @throws the last error when the topics are still not usable after `timeoutMs`
 */
export async function ensureTopics(kafka: Kafka, topics: ITopicConfig[], timeoutMs = 60_000, configuredReplication?: number, warn?: (message: string) => void): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + timeoutMs;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = new Set(await admin.listTopics());
        const { replicationFactor, minInsyncReplicas } = replicationFor((await admin.describeCluster()).brokers.length, configuredReplication);
        const missing = topics
          .filter((t) => !existing.has(t.topic))
          .map((t) => ({
            ...t,
            replicationFactor,
            configEntries: [...(t.configEntries ?? []).filter((c) => c.name !== 'min.insync.replicas'), { name: 'min.insync.replicas', value: String(minInsyncReplicas) }],
          }));
        if (missing.length) {
          try {
            await admin.createTopics({ topics: missing, waitForLeaders: true });
          } catch (e) {
            if (!/already exists/i.test(String((e as Error).message))) throw e;
          }
        }
        try {
          await alignTopicConfigs(admin, topics.filter((t) => existing.has(t.topic)));
        } catch (e) {
          // a service user without ALTER_CONFIGS / DESCRIBE_CONFIGS rights: the operator sets them
          if (!/authori[sz]ation/i.test(String((e as Error).message))) throw e;
          warn?.(`topic configs not aligned (not authorised): set them by hand: ${(e as Error).message}`);
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

/**
 * Sets the `configEntries` of existing topics where the broker holds another value (e.g. the
 * retention period was changed). AlterConfigs replaces a topic's whole set of overrides, so the
 * topic's other overrides (such as `min.insync.replicas`) are sent along unchanged.
 * @returns the names of the topics altered
 */
export async function alignTopicConfigs(admin: Admin, topics: ITopicConfig[]): Promise<string[]> {
  const wanted = topics.filter((t) => t.configEntries?.length);
  if (!wanted.length) return [];
  const { resources } = await admin.describeConfigs({ resources: wanted.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.topic })), includeSynonyms: false });
  const altered: string[] = [];
  for (const t of wanted) {
    const current = resources.find((r) => r.resourceName === t.topic)?.configEntries ?? [];
    const value = (name: string) => current.find((c) => c.configName === name)?.configValue;
    if (t.configEntries!.every((c) => value(c.name) === c.value)) continue;
    const overrides = new Map(current.filter((c) => c.configSource === ConfigSource.TOPIC_CONFIG || (c.configSource === undefined && !c.isDefault)).map((c) => [c.configName, c.configValue]));
    for (const c of t.configEntries!) overrides.set(c.name, c.value);
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: t.topic, configEntries: [...overrides].map(([name, v]) => ({ name, value: v })) }] });
    altered.push(t.topic);
  }
  return altered;
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
