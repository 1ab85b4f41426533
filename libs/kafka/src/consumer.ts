import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { ContractError, type EventEnvelope, type EventRegistry, topicName } from '@cad110/contracts';
import { markProcessed, type RunInTransaction, type SqlTx } from '@cad110/eventstore';
import { sqlState } from '@cad110/db';
import type { Logger } from '@cad110/logging';
import { tracer, type ServiceMetrics } from '@cad110/telemetry';
import { extractContext, headersToStrings } from './trace-headers';

/**
 * A handler rejected a well-formed message for good (it can never succeed, e.g. a command the
 * domain refuses). The message goes to the dead-letter topic with this reason and is acknowledged.
 */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}

export interface MessageContext {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
}

export interface IdempotentConsumerOptions<Tx extends SqlTx> {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  /** name stored in processed_messages (default groupId) */
  consumerName?: string;
  registry: EventRegistry;
  transaction: RunInTransaction<Tx>;
  /** applies one event inside the transaction that also records it as processed */
  handle: (event: EventEnvelope, tx: Tx, msg: MessageContext) => Promise<void>;
  /** called after a transaction that handled a message committed (e.g. nudge the outbox relay) */
  afterCommit?: () => void;
  /** producer used for dead-letter records */
  producer: Producer;
  logger: Logger;
  metrics?: ServiceMetrics;
  fromBeginning?: boolean;
  /** attempts for one message on a non-connection error before it is dead-lettered (default 5) */
  maxAttempts?: number;
  /** consumer restarts allowed before `onFatal` (default 10) */
  maxRestarts?: number;
  /** called when restarts are exhausted; services exit non-zero so the supervisor sees it */
  onFatal?: (err: Error) => void;
}

/** SQLSTATE classes / errno codes meaning "the database or network is down": retry, never dead-letter. */
function isConnectivityError(err: unknown): boolean {
  const state = sqlState(err);
  if (state && (state.startsWith('08') || state === '57P01' || state === '57P03' || state === '53300')) return true;
  const code = (err as { code?: string })?.code;
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'P1001', 'P1017'].includes(code ?? '') || /Can't reach database|Connection terminated/i.test(String((err as Error)?.message));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a Kafka consumer whose every message is applied exactly once to the service's database:
 *
 * - the message is parsed, upcast and validated (`registry`); an unreadable one goes to the
 *   dead-letter topic with the reason and is acknowledged, so the partition never blocks;
 * - the effect and the `processed_messages` row are written in ONE transaction; a redelivered
 *   message (same event id) finds its row and changes nothing;
 * - errors: `PermanentError`/`ContractError` → dead letter; connection errors → the batch is
 *   retried (kafkajs restarts the consumer, capped by `maxRestarts`, then `onFatal`); other
 *   errors are retried `maxAttempts` times with backoff, then dead-lettered;
 * - tracing: one CONSUMER span per message whose parent is the producer span from the message's
 *   `traceparent` header, so the database spans and any events it appends join the call's trace.
 */
export async function runIdempotentConsumer<Tx extends SqlTx>(opts: IdempotentConsumerOptions<Tx>): Promise<Consumer> {
  const consumerName = opts.consumerName ?? opts.groupId;
  const maxAttempts = opts.maxAttempts ?? 5;
  const maxRestarts = opts.maxRestarts ?? 10;
  const dlqTopic = topicName('deadLetter');
  let restarts = 0;

  const consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout: 30000,
    heartbeatInterval: 3000,
    maxWaitTimeInMs: 100,
    retry: {
      retries: 5,
      restartOnFailure: async (err) => {
        restarts++;
        opts.logger.error({ err, restarts, maxRestarts }, 'consumer crashed');
        if (restarts > maxRestarts) {
          opts.onFatal?.(err);
          return false;
        }
        return true;
      },
    },
  });

  const deadLetter = async (message: KafkaMessage, msg: MessageContext, reason: string, issues: unknown[] = []) => {
    const headers = headersToStrings(message.headers);
    await opts.producer.send({
      topic: dlqTopic,
      acks: -1,
      messages: [
        {
          key: message.key,
          value: JSON.stringify({
            reason,
            issues,
            consumer: consumerName,
            deadLetteredAt: new Date().toISOString(),
            original: {
              topic: msg.topic,
              partition: msg.partition,
              offset: msg.offset,
              key: msg.key,
              headers,
              value: message.value?.toString('utf8') ?? null,
            },
          }),
          headers: { 'dead-letter-reason': reason.slice(0, 500), ...(headers.traceparent ? { traceparent: headers.traceparent } : {}) },
        },
      ],
    });
    opts.metrics?.consumed.inc({ topic: msg.topic, outcome: 'dead-lettered' });
    opts.logger.warn({ topic: msg.topic, partition: msg.partition, offset: msg.offset, reason }, 'message dead-lettered');
  };

  const processOne = async (message: KafkaMessage, msg: MessageContext) => {
    const parent = extractContext(message.headers);
    const span = tracer().startSpan(
      `${msg.topic} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': msg.topic,
          'messaging.consumer.group.name': opts.groupId,
          'messaging.kafka.offset': Number(msg.offset),
          'messaging.destination.partition.id': String(msg.partition),
        },
      },
      parent,
    );
    const started = process.hrtime.bigint();
    try {
      await context.with(trace.setSpan(parent, span), async () => {
        let event: EventEnvelope;
        try {
          event = opts.registry.parse(message.value ?? '');
        } catch (err) {
          const e = err as ContractError;
          span.setAttribute('cad110.outcome', 'dead-lettered');
          await deadLetter(message, msg, e.message, e.issues ?? []);
          return;
        }
        span.setAttributes({ 'messaging.message.id': event.eventId, 'cad110.event.type': event.type });
        for (let attempt = 1; ; attempt++) {
          try {
            const applied = await opts.transaction(async (tx) => {
              if (!(await markProcessed(tx, consumerName, event.eventId, msg))) return false;
              await opts.handle(event, tx, msg);
              return true;
            });
            span.setAttribute('cad110.outcome', applied ? 'processed' : 'duplicate');
            opts.metrics?.consumed.inc({ topic: msg.topic, outcome: applied ? 'processed' : 'duplicate' });
            if (applied) opts.afterCommit?.();
            return;
          } catch (err) {
            if (err instanceof PermanentError || err instanceof ContractError) {
              span.setAttribute('cad110.outcome', 'dead-lettered');
              await deadLetter(message, msg, `${event.type} rejected: ${err.message}`, (err as ContractError).issues ?? []);
              // remembered, so a replay of the partition does not dead-letter it again
              await opts.transaction((tx) => markProcessed(tx, consumerName, event.eventId, msg));
              return;
            }
            if (isConnectivityError(err)) throw err; // let kafkajs retry the batch / restart
            if (attempt >= maxAttempts) {
              span.setAttribute('cad110.outcome', 'dead-lettered');
              await deadLetter(message, msg, `${event.type} failed after ${attempt} attempts: ${(err as Error).message}`);
              await opts.transaction((tx) => markProcessed(tx, consumerName, event.eventId, msg));
              return;
            }
            opts.logger.warn({ err, attempt, topic: msg.topic, offset: msg.offset }, 'handler failed; retrying');
            await sleep(50 * 2 ** attempt);
          }
        }
      });
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      opts.metrics?.consumed.inc({ topic: msg.topic, outcome: 'failed' });
      throw err;
    } finally {
      span.end();
      opts.metrics?.handlingSeconds.observe({ topic: msg.topic }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };

  await consumer.connect();
  for (const topic of opts.topics) await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 1000,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        await processOne(message, {
          topic: batch.topic,
          partition: batch.partition,
          offset: message.offset,
          key: message.key?.toString() ?? null,
        });
        resolveOffset(message.offset);
        await heartbeat();
      }
      opts.metrics?.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    },
  });
  return consumer;
}
