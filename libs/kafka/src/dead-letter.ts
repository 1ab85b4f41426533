import { createHash } from 'node:crypto';
import type { KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from '@cad110/logging';
import type { ServiceMetrics } from '@cad110/telemetry';
import { isRetriableKafkaError, sleep } from './consumer-faults';
import { headersToStrings } from './trace-headers';

/** Where a consumed message came from. */
export interface MessageContext {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
}

/**
 * The original message as a dead letter carries it: the value itself when it is valid UTF-8 and
 * at most `maxBytes`, else a reference (size, SHA-256, first 256 bytes base64) — the original stays
 * readable at its topic/partition/offset. Keeps every dead letter far below the broker's limit.
 */
export function deadLetterOriginal(value: Buffer | null, maxBytes: number): { value: string | null } | { valueBytes: number; valueSha256: string; valueHeadBase64: string; valueOmitted: string } {
  if (value === null) return { value: null };
  const text = value.toString('utf8');
  const utf8 = !text.includes('\uFFFD') || Buffer.from(text, 'utf8').equals(value);
  if (utf8 && value.length <= maxBytes) return { value: text };
  return {
    valueBytes: value.length,
    valueSha256: createHash('sha256').update(value).digest('hex'),
    valueHeadBase64: value.subarray(0, 256).toString('base64'),
    valueOmitted: utf8 ? `larger than ${maxBytes} bytes` : 'not UTF-8',
  };
}

export interface DeadLetterWriterOptions {
  producer: Producer;
  logger: Logger;
  metrics?: ServiceMetrics;
  /** dead-letter topic */
  dlqTopic: string;
  /** name of the consumer writing (stored in the dead letter) */
  consumerName: string;
  /** largest original value copied whole, bytes (see {@link deadLetterOriginal}) */
  maxValueBytes: number;
}

/** A function writing one dead letter for a consumed message (see {@link deadLetterWriter}). */
export type DeadLetterWriter = (message: KafkaMessage, msg: MessageContext, reason: string, issues?: unknown[], isRunning?: () => boolean) => Promise<void>;

/**
 * Builds the consumer's dead-letter writer. A write never throws for a refusal that will not heal
 * (too large, invalid): then a bare reference is tried, then the message is logged with its
 * reference and skipped. Retriable errors (broker down, leader moving) are retried with backoff
 * (0.4 s doubling to 5 s) while `isRunning()`.
 */
export function deadLetterWriter(opts: DeadLetterWriterOptions): DeadLetterWriter {
  const { dlqTopic, consumerName, maxValueBytes } = opts;
  const send = async (payload: Record<string, unknown>, message: KafkaMessage, reason: string, headers: Record<string, string>) =>
    opts.producer.send({
      topic: dlqTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: JSON.stringify(payload),
          headers: { 'dead-letter-reason': reason.slice(0, 500), ...(headers.traceparent ? { traceparent: headers.traceparent } : {}) },
        },
      ],
    });

  /*
   * Writes one dead letter. Never throws for a refusal that will not heal (too large, invalid):
   * then a bare reference is tried, then the message is logged with its reference and skipped.
   * Retriable errors (broker down, leader moving) are retried with backoff while the consumer runs.
   */
  const deadLetter = async (message: KafkaMessage, msg: MessageContext, reason: string, issues: unknown[] = [], isRunning: () => boolean = () => true) => {
    const headers = headersToStrings(message.headers);
    const reference = { topic: msg.topic, partition: msg.partition, offset: msg.offset, key: msg.key };
    const base = { reason: reason.slice(0, 4000), consumer: consumerName, deadLetteredAt: new Date().toISOString() };
    const full = { ...base, issues: JSON.stringify(issues).length <= 16_384 ? issues : [{ message: `${issues.length} issues omitted (too large)` }], original: { ...reference, headers, ...deadLetterOriginal(message.value, maxValueBytes) } };
    const bare = { ...base, issues: [], original: { ...reference, ...deadLetterOriginal(message.value, 0) } };
    let outcome: 'dead-lettered' | 'dead-letter-refused' = 'dead-lettered';
    for (let attempt = 1, payload: Record<string, unknown> = full; ; attempt++) {
      try {
        await send(payload, message, reason, headers);
        break;
      } catch (err) {
        if (isRetriableKafkaError(err) && isRunning()) {
          opts.logger.warn({ err, attempt, topic: msg.topic, partition: msg.partition, offset: msg.offset }, 'dead letter not written yet; retrying');
          await sleep(Math.min(5000, 200 * 2 ** Math.min(attempt, 5)));
          continue;
        }
        if (payload === full) {
          opts.logger.warn({ err, topic: msg.topic, partition: msg.partition, offset: msg.offset }, 'dead letter refused; sending a bare reference instead');
          payload = bare;
          continue;
        }
        // the partition moves on: the original stays at its offset, this line says where
        opts.logger.error({ err, ...reference, reason: base.reason }, 'dead letter refused by the broker; message skipped (see its topic/partition/offset)');
        outcome = 'dead-letter-refused';
        break;
      }
    }
    opts.metrics?.consumed.inc({ topic: msg.topic, outcome });
    opts.logger.warn({ topic: msg.topic, partition: msg.partition, offset: msg.offset, reason: base.reason }, 'message dead-lettered');
  };
  return deadLetter;
}
