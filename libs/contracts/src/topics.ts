/**
 * Kafka topics. Every topic is keyed by call id so one call's events stay ordered in a partition.
 * Names get the prefix from `KAFKA_TOPIC_PREFIX` (default `cad110.`) so several stacks or test
 * runs can share one broker. Retention is unlimited (`retention.ms=-1`): statistics rebuilds
 * replay every topic from offset 0.
 */
export const TOPICS = {
  /** intake's call events (CallReceived ... CallClosed) */
  calls: 'calls.v1',
  /** dispatch's incident, unit and duty-level events */
  dispatch: 'dispatch.v1',
  /** records' case events */
  cases: 'cases.v1',
  /** unreadable or rejected messages with the reason, from every consumer */
  deadLetter: 'deadletter.v1',
} as const;

export type TopicKey = keyof typeof TOPICS;

export function topicPrefix(env: NodeJS.ProcessEnv = process.env): string {
  return env.KAFKA_TOPIC_PREFIX ?? 'cad110.';
}

/** Full topic name for a key, e.g. `cad110.calls.v1`. */
export function topicName(key: TopicKey, prefix = topicPrefix()): string {
  return `${prefix}${TOPICS[key]}`;
}

/**
 * All topic names with their partition counts and configs, for creation at start-up (the services
 * pass `KAFKA_PARTITIONS` from their validated configuration; libs/kafka `ensureTopics` sets the
 * replication for the cluster).
 */
export function topicSpecs(prefix = topicPrefix(), partitions = 3) {
  return (Object.keys(TOPICS) as TopicKey[]).map((k) => ({
    topic: topicName(k, prefix),
    numPartitions: partitions,
    configEntries: [
      { name: 'retention.ms', value: '-1' },
      { name: 'retention.bytes', value: '-1' },
      { name: 'cleanup.policy', value: 'delete' },
    ],
  }));
}
