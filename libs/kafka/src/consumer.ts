import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { context, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { ContractError, type EventEnvelope, type EventRegistry, topicName } from '@cad110/contracts';
import { markProcessed, markProcessedMany, type RunInTransaction, type SqlTx } from '@cad110/eventstore';
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
  /** messages applied in one transaction (default `CONSUMER_CHUNK_SIZE` or 100) */
  chunkSize?: number;
  /**
   * Event types this consumer acts on; others are acknowledged without touching the database
   * (nothing to apply, so nothing to deduplicate). Default: all.
   */
  accepts?: (type: string) => boolean;
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
 *   message (same event id) finds its row and changes nothing. Up to `chunkSize` messages of a
 *   partition share one transaction (one commit); if it fails, they are retried one by one;
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
  const chunkSize = Math.max(1, opts.chunkSize ?? Number(process.env.CONSUMER_CHUNK_SIZE ?? 100));
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

  /** One message on its way through: its CONSUMER span (child of the producer span) and parsed event. */
  interface Item {
    message: KafkaMessage;
    msg: MessageContext;
    span: Span;
    ctx: Context;
    event?: EventEnvelope;
    started: bigint;
  }

  const begin = (message: KafkaMessage, msg: MessageContext): Item => {
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
    return { message, msg, span, ctx: trace.setSpan(parent, span), started: process.hrtime.bigint() };
  };

  const finish = (item: Item, outcome: 'processed' | 'duplicate' | 'ignored' | 'dead-lettered' | 'failed', err?: Error) => {
    item.span.setAttribute('cad110.outcome', outcome);
    if (err) {
      item.span.recordException(err);
      item.span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    }
    item.span.end();
    if (outcome !== 'dead-lettered') opts.metrics?.consumed.inc({ topic: item.msg.topic, outcome });
    opts.metrics?.handlingSeconds.observe({ topic: item.msg.topic }, Number(process.hrtime.bigint() - item.started) / 1e9);
  };

  /** Parses a message; an unreadable one is dead-lettered here (no database work). */
  const parse = async (item: Item): Promise<boolean> => {
    try {
      item.event = opts.registry.parse(item.message.value ?? '');
      item.span.setAttributes({ 'messaging.message.id': item.event.eventId, 'cad110.event.type': item.event.type });
      return true;
    } catch (err) {
      const e = err as ContractError;
      await context.with(item.ctx, () => deadLetter(item.message, item.msg, e.message, e.issues ?? []));
      finish(item, 'dead-lettered');
      return false;
    }
  };

  /** Marks and applies one event in `tx`, inside the message's span. */
  const apply = (item: Item, tx: Tx) =>
    context.with(item.ctx, async () => {
      if (!(await markProcessed(tx, consumerName, item.event!.eventId, item.msg))) return false;
      await opts.handle(item.event!, tx, item.msg);
      return true;
    });

  /**
   * Fast path: every readable message of the chunk in ONE transaction (one commit, one fsync).
   * @returns false when the transaction failed for a reason other than connectivity, so the
   *   caller retries the messages one by one (and dead-letters the one that keeps failing)
   */
  const applyTogether = async (items: Item[]): Promise<boolean> => {
    let outcomes: boolean[];
    try {
      outcomes = await opts.transaction(async (tx) => {
        // one statement marks the whole chunk; only first deliveries are applied
        const fresh = await markProcessedMany(
          tx,
          consumerName,
          items.map((i) => ({ eventId: i.event!.eventId, ...i.msg })),
        );
        const out: boolean[] = [];
        for (const item of items) {
          // a message delivered twice within the chunk (e.g. a producer retry) is applied once
          const isNew = fresh.delete(item.event!.eventId);
          if (isNew) await context.with(item.ctx, () => opts.handle(item.event!, tx, item.msg));
          out.push(isNew);
        }
        return out;
      });
    } catch (err) {
      if (isConnectivityError(err)) throw err;
      opts.logger.debug({ err, topic: items[0]!.msg.topic, partition: items[0]!.msg.partition, messages: items.length }, 'chunk transaction failed; applying its messages one by one');
      return false;
    }
    items.forEach((item, i) => finish(item, outcomes[i] ? 'processed' : 'duplicate'));
    if (outcomes.some(Boolean)) opts.afterCommit?.();
    return true;
  };

  /** Slow path: one transaction per message, retried, then dead-lettered. */
  const applyAlone = async (item: Item): Promise<void> => {
    const event = item.event!;
    for (let attempt = 1; ; attempt++) {
      try {
        const applied = await opts.transaction((tx) => apply(item, tx));
        finish(item, applied ? 'processed' : 'duplicate');
        if (applied) opts.afterCommit?.();
        return;
      } catch (err) {
        const permanent = err instanceof PermanentError || err instanceof ContractError;
        if (!permanent && isConnectivityError(err)) {
          finish(item, 'failed', err as Error);
          throw err; // let kafkajs retry the batch / restart the consumer
        }
        if (permanent || attempt >= maxAttempts) {
          const reason = permanent ? `${event.type} rejected: ${(err as Error).message}` : `${event.type} failed after ${attempt} attempts: ${(err as Error).message}`;
          await context.with(item.ctx, async () => {
            await deadLetter(item.message, item.msg, reason, (err as ContractError).issues ?? []);
            // remembered, so a replay of the partition does not dead-letter it again
            await opts.transaction((tx) => markProcessed(tx, consumerName, event.eventId, item.msg));
          });
          finish(item, 'dead-lettered', err as Error);
          return;
        }
        opts.logger.warn({ err, attempt, topic: item.msg.topic, offset: item.msg.offset }, 'handler failed; retrying');
        await sleep(50 * 2 ** attempt);
      }
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
      for (let i = 0; i < batch.messages.length; i += chunkSize) {
        if (!isRunning() || isStale()) break;
        const chunk = batch.messages.slice(i, i + chunkSize);
        const items = chunk.map((message) =>
          begin(message, { topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key?.toString() ?? null }),
        );
        const readable: Item[] = [];
        for (const item of items) {
          if (!(await parse(item))) continue;
          if (opts.accepts && !opts.accepts(item.event!.type)) finish(item, 'ignored');
          else readable.push(item);
        }
        if (readable.length && !(readable.length > 1 && (await applyTogether(readable)))) {
          for (const item of readable) await applyAlone(item);
        }
        resolveOffset(chunk.at(-1)!.offset);
        await heartbeat();
      }
      opts.metrics?.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
    },
  });
  return consumer;
}
