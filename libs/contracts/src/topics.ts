/**
 * Kafka topics. Every topic is keyed by call id so one call's events stay ordered in a partition.
 * Names get the prefix from `KAFKA_TOPIC_PREFIX` (default `cad110.`) so several stacks or test
 * runs can share one broker. The services create them with `retention.ms` = the personal-data
 * retention period (`CAD110_PERSONAL_DATA_RETENTION_DAYS`, README "Personal data"): Kafka then
 * deletes every message older than that, so a statistics rebuild from offset 0 is possible only
 * while no message has been deleted yet (it refuses afterwards).
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
 * pass `KAFKA_PARTITIONS` and the retention period from their validated configuration; libs/kafka
 * `ensureTopics` sets the replication for the cluster and aligns existing topics' configs).
 * `retentionMs`: how long Kafka keeps a message, ms (-1 = forever, for tools and benchmarks).
 */
export function topicSpecs(prefix = topicPrefix(), partitions = 3, retentionMs = -1) {
  return (Object.keys(TOPICS) as TopicKey[]).map((k) => ({
    topic: topicName(k, prefix),
    numPartitions: partitions,
    configEntries: [
      { name: 'retention.ms', value: String(retentionMs) },
      { name: 'retention.bytes', value: '-1' },
      // a segment is deleted only when its newest message is past retention: roll segments at
      // least once per retention period (at most weekly, Kafka's default), so nothing stays for
      // more than about twice the period
      ...(retentionMs > 0 ? [{ name: 'segment.ms', value: String(Math.min(retentionMs, 604_800_000)) }] : []),
      { name: 'cleanup.policy', value: 'delete' },
    ],
  }));
}
