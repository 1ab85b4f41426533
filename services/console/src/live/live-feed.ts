import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer, Kafka } from 'kafkajs';
import { topicName, topicPrefix, type TopicKey } from '@cad110/contracts';
import type { Logger } from '@cad110/logging';
import type { ServiceMetrics } from '@cad110/telemetry';
import { toPublicEvent, type PublicEvent } from './public-event';

/** Topics the console forwards (the dead-letter topic is for operators' tools, not the console). */
export const LIVE_TOPICS: readonly TopicKey[] = ['calls', 'dispatch', 'cases'];

export type LiveListener = (event: PublicEvent) => void;

/**
 * Reads the calls, dispatch and cases topics from the LATEST offset with a consumer group of its
 * own (`<prefix>console-live-<host>-<pid>-<random>`, deleted again on stop), so every console
 * process sees every new event, and hands each event's {@link PublicEvent} to the listeners
 * (the open `GET /api/live` streams); while no stream is open the messages are counted
 * (`unwatched`) and not parsed. Nothing is committed that matters: a restarted console
 * starts again at the end of the log; the browsers re-read the APIs when they reconnect.
 */
export class LiveFeed {
  readonly groupId: string;
  private consumer: Consumer | undefined;
  private readonly listeners = new Set<LiveListener>();
  private joined = false;
  forwarded = 0;
  skipped = 0;
  /** messages read while no stream was open: not parsed at all (nobody to hand them to) */
  unwatched = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: Logger,
    private readonly metrics?: ServiceMetrics,
    prefix = topicPrefix(),
  ) {
    this.groupId = `${prefix}console-live-${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.topics = LIVE_TOPICS.map((k) => topicName(k, prefix));
  }

  readonly topics: string[];

  /** True once the consumer has joined its group and been assigned the partitions. */
  get ready(): boolean {
    return this.joined;
  }

  /** Number of open streams. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: this.groupId, sessionTimeout: 10_000, heartbeatInterval: 3_000, allowAutoTopicCreation: false });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.joined = true;
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.joined = false;
      this.logger.error({ err: e.payload.error }, 'live feed consumer crashed');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.topics, fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, message }) => {
        // no open stream: nothing to parse the envelope for (a history replay or a quiet night
        // without a console open would otherwise parse and validate every event of the bureau)
        if (this.listeners.size === 0) {
          this.unwatched++;
          this.metrics?.consumed.inc({ topic, outcome: 'unwatched' });
          return;
        }
        const event = toPublicEvent(message.value);
        if (!event) {
          this.skipped++;
          this.metrics?.consumed.inc({ topic, outcome: 'skipped' });
          return;
        }
        this.forwarded++;
        this.metrics?.consumed.inc({ topic, outcome: 'forwarded' });
        for (const l of this.listeners) {
          try {
            l(event);
          } catch (err) {
            this.logger.warn({ err }, 'live listener failed');
          }
        }
      },
    });
  }

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Disconnects and deletes the consumer group (it is of no use to anyone afterwards). */
  async stop(): Promise<void> {
    this.listeners.clear();
    await this.consumer?.disconnect().catch(() => undefined);
    this.joined = false;
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([this.groupId]);
    } catch {
      // the broker removes empty groups by itself after offsets.retention.minutes
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
