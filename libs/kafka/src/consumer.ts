import type { Consumer, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { context, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { ContractError, type EventEnvelope, type EventRegistry, topicName } from '@cad110/contracts';
import type { RunInTransaction, Sql } from '@cad110/db';
import { deferAppends, flushAppends, markProcessed, markProcessedMany } from '@cad110/eventstore';
import type { Logger } from '@cad110/logging';
import { tracer, type ServiceMetrics } from '@cad110/telemetry';
import { extractContext } from './trace-headers';
import { isConnectivityError, RestartBudget, sleep } from './consumer-faults';
import { deadLetterWriter, type MessageContext } from './dead-letter';
import { openEventMessage, readMessageJson } from './sealed-messages';
import type { PersonalDataKeyring } from './sealing';

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

export interface IdempotentConsumerOptions<Tx extends Sql> {
  kafka: Kafka;
  groupId: string;
  topics: string[];
  /** name stored in processed_messages (default groupId) */
  consumerName?: string;
  registry: EventRegistry;
  transaction: RunInTransaction<Tx>;
  /** applies one event inside the transaction that also records it as processed */
  handle: (event: EventEnvelope, tx: Tx, msg: MessageContext) => Promise<void>;
  /**
   * The handler's effects are idempotent by themselves: applying a message again (a redelivery
   * after a crash, a relay's second publication, a replay) changes nothing it has not already
   * changed. Then no `processed_messages` row is written or read — one statement and one row per
   * message fewer — and every delivery is handed to `handle` (a message delivered twice within
   * one chunk still once; only such a repeat counts as `duplicate` in the consumed-messages
   * metric). A message dead-lettered is not remembered either: a replay of the
   * partition from its start dead-letters it again. Default false (the markers make the effect
   * exactly-once); set it only with a proof and a test of the handler's idempotence (records:
   * services/records/test chunk-cases.int.spec and redelivery.int.spec).
   */
  effectsIdempotent?: boolean;
  /**
   * Called once per chunk transaction, before `handle`, with the messages of the chunk that will
   * be handled (first deliveries, in order; with `effectsIdempotent` every message of the chunk,
   * a repeat within the chunk once): a place to read or lock in one statement what the
   * handlers would otherwise read one message at a time. It must not change what `handle` does
   * (the one-message retries of a failed chunk run without it).
   */
  prepare?: (items: { event: EventEnvelope; msg: MessageContext }[], tx: Tx) => Promise<void>;
  /** called after a transaction that handled a message committed (e.g. nudge the outbox relay) */
  afterCommit?: () => void;
  /** producer used for dead-letter records */
  producer: Producer;
  logger: Logger;
  metrics?: ServiceMetrics;
  fromBeginning?: boolean;
  /** attempts for one message on a non-connection error before it is dead-lettered (default 5) */
  maxAttempts?: number;
  /** consumer restarts allowed within `restartWindowMs` before `onFatal` (default 10) */
  maxRestarts?: number;
  /** the window restarts are counted in, ms (default 300,000 = 5 min; services pass `CONSUMER_RESTART_WINDOW_MS`, libs/runtime `consumerSettings`) */
  restartWindowMs?: number;
  /** called when restarts are exhausted; services exit non-zero so the supervisor sees it */
  onFatal?: (err: Error) => void;
  /** dead-letter topic (default `topicName('deadLetter')`) */
  deadLetterTopic?: string;
  /**
   * Largest original value copied whole into a dead letter, bytes (default 65,536; services pass
   * `DEAD_LETTER_MAX_VALUE_BYTES`). Larger or non-UTF-8 values are replaced by a
   * reference: size, SHA-256 and the first 256 bytes in base64; the original stays at its
   * topic/partition/offset (topics keep data forever).
   */
  deadLetterMaxValueBytes?: number;
  /** messages applied in one transaction (default 100; services pass `CONSUMER_CHUNK_SIZE`) */
  chunkSize?: number;
  /** Kafka group session timeout, ms (default 10,000; services pass `KAFKA_SESSION_TIMEOUT_MS`) */
  sessionTimeoutMs?: number;
  /**
   * Bytes the broker gathers before it answers a fetch, up to the fetch's 500 ms wait (Kafka
   * `fetch.min.bytes`, per fetch request, i.e. per broker; default 1: answer as soon as one
   * message arrives). A consumer off the call → recommendation path (records, statistics) sets
   * more, so at a province's 20 calls/s a chunk carries several messages and its transaction's
   * fixed cost is shared — each message had its own transaction — for at most 500 ms more latency
   * (issue 17; {@link BACKGROUND_FETCH_MIN_BYTES}).
   */
  fetchMinBytes?: number;
  /**
   * Event types this consumer acts on; others are acknowledged without being opened, validated or
   * touching the database (nothing to apply, so nothing to deduplicate; a bad one is for the
   * consumers that act on it to dead-letter). Default: all.
   */
  accepts?: (type: string) => boolean;
  /**
   * The personal-data key ring (libs/kafka sealing.ts): sealed personal fields are opened before
   * validation, and a message whose fields do not open (unknown key id, failed authentication)
   * is dead-lettered with the reason. Without it (statistics) sealed fields are replaced by
   * `[redacted]` or removed, never opened.
   */
  keyring?: PersonalDataKeyring;
}

/**
 * {@link IdempotentConsumerOptions.fetchMinBytes} of the consumers off the call → recommendation
 * path (records, statistics), bytes: about twenty events (≈ 800 B each on the wire), i.e. about
 * three calls' worth. The count is per fetch request, i.e. per broker, over the partitions this
 * instance holds there, so on the single local broker at 20 calls/s it fills in about 0.1–0.15 s
 * (case opened p99 ≈ 130 ms in the bench); with several brokers and two instances sharing the
 * partitions it fills more slowly and a fetch more often waits its full 500 ms — the bound on the
 * added latency either way (cases then reach statistics up to about a second later).
 */
export const BACKGROUND_FETCH_MIN_BYTES = 16_384;

/** Lifecycle of a consumer run by {@link runIdempotentConsumer}, for readiness. */
export type ConsumerState = 'starting' | 'running' | 'restarting' | 'stopped' | 'failed';
const states = new WeakMap<Consumer, () => ConsumerState>();

/**
 * State of a consumer started by {@link runIdempotentConsumer}: `running` once it has joined its
 * group, `restarting` while kafkajs or this module restarts it, `stopped` after `disconnect()`,
 * `failed` when its restarts are exhausted. `undefined` for other consumers.
 */
export function consumerState(consumer: Consumer): ConsumerState | undefined {
  return states.get(consumer)?.();
}

/**
 * Runs a Kafka consumer whose every message is applied exactly once to the service's database:
 *
 * - the message is parsed, its sealed personal fields opened with `keyring` (or redacted without
 *   one), upcast and validated (`registry`); an unreadable one goes to the
 *   dead-letter topic with the reason and is acknowledged, so the partition never blocks. A dead
 *   letter never carries more than `deadLetterMaxValueBytes` of the original (else a reference,
 *   see {@link deadLetterOriginal}); if the broker still refuses it for good, a bare reference is
 *   sent, and if even that is refused the message is logged with its reference and skipped;
 * - the effect and the `processed_messages` row are written in ONE transaction; a redelivered
 *   message (same event id) finds its row and changes nothing (with `effectsIdempotent` there is
 *   no row: the handler's own effects make a redelivery change nothing). Up to `chunkSize` messages of a
 *   partition share one transaction (one commit; their appends written by one statement at its
 *   end, libs/eventstore `deferAppends`); if it fails, they are retried one by one;
 * - errors: `PermanentError`/`ContractError` → dead letter; database connection errors (a
 *   PostgreSQL restart or failover) → retried in-process with backoff (0.2 s doubling to 5 s,
 *   heartbeating meanwhile) until the database answers; other errors are retried `maxAttempts`
 *   times with backoff, then dead-lettered;
 * - recovery: a consumer kafkajs crashes is restarted, by kafkajs for retriable errors and by this
 *   function for the others (it would otherwise stay stopped for good); at most `maxRestarts`
 *   within `restartWindowMs`, then `onFatal`. {@link consumerState} tells readiness the truth;
 * - group timing (`sessionTimeoutMs`: `KAFKA_SESSION_TIMEOUT_MS`, default 10 s; heartbeat every 1 s; rebalance
 *   timeout 20 s; client retries capped at 2 s apart) keeps recovery after a broker restart within
 *   seconds: a member lost with the broker expires after the session timeout, not a minute;
 * - tracing: one CONSUMER span per message whose parent is the producer span from the message's
 *   `traceparent` header, so the database spans and any events it appends join the call's trace.
 */
export async function runIdempotentConsumer<Tx extends Sql>(opts: IdempotentConsumerOptions<Tx>): Promise<Consumer> {
  const consumerName = opts.consumerName ?? opts.groupId;
  const maxAttempts = opts.maxAttempts ?? 5;
  const budget = new RestartBudget(opts.maxRestarts ?? 10, opts.restartWindowMs ?? 300_000);
  const chunkSize = Math.max(1, opts.chunkSize ?? 100);
  const dlqTopic = opts.deadLetterTopic ?? topicName('deadLetter');
  const maxValueBytes = opts.deadLetterMaxValueBytes ?? 65_536;
  const sessionTimeout = opts.sessionTimeoutMs ?? 10_000;
  let state: ConsumerState = 'starting';
  let disconnecting = false;

  const consumer = opts.kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout,
    rebalanceTimeout: Math.max(20_000, sessionTimeout),
    heartbeatInterval: Math.min(1000, Math.floor(sessionTimeout / 3)),
    // a long poll: with minBytes 1 (the default; dispatch) the broker answers a fetch as soon as a
    // message arrives, so this only bounds how often an idle consumer asks — 100 ms cost the idle
    // broker and services CPU every 100 ms per consumer for no lower latency (issue 17); with
    // fetchMinBytes (records, statistics) it also bounds how long the broker gathers bytes
    maxWaitTimeInMs: 500,
    minBytes: opts.fetchMinBytes ?? 1,
    retry: {
      initialRetryTime: 200,
      maxRetryTime: 2000,
      retries: 10,
      restartOnFailure: async (err) => {
        state = 'restarting';
        const ok = budget.take();
        opts.logger.error({ err, restarts: budget.used, maxRestarts: budget.max, windowMs: budget.windowMs }, 'consumer crashed; kafkajs restarts it');
        if (!ok) fail(err);
        return ok;
      },
    },
  });
  states.set(consumer, () => state);

  const fail = (err: Error) => {
    state = 'failed';
    opts.onFatal?.(err);
  };

  const { GROUP_JOIN, CRASH, STOP } = consumer.events;
  consumer.on(GROUP_JOIN, () => {
    if (state !== 'failed') state = 'running';
  });
  consumer.on(STOP, () => {
    if (disconnecting) state = 'stopped';
  });
  consumer.on(CRASH, ({ payload }) => {
    if (disconnecting || state === 'failed') return;
    if (payload.restart) {
      state = 'restarting';
      return;
    }
    // kafkajs gives up on errors it calls non-retriable: it would stay stopped for good
    state = 'restarting';
    if (!budget.take()) {
      opts.logger.error({ err: payload.error, restarts: budget.used }, 'consumer stopped by kafkajs; restarts exhausted');
      fail(payload.error);
      return;
    }
    opts.logger.error({ err: payload.error, restarts: budget.used, maxRestarts: budget.max }, 'consumer stopped by kafkajs; restarting it');
    void restart(payload.error);
  });

  const restart = async (cause: Error) => {
    for (let attempt = 1; !disconnecting && state !== 'failed'; attempt++) {
      await sleep(Math.min(5000, 250 * 2 ** Math.min(attempt, 5)));
      if (disconnecting) return;
      try {
        await start();
        return;
      } catch (err) {
        opts.logger.error({ err, cause, attempt }, 'consumer restart failed; retrying');
        await consumer.disconnect().catch(() => undefined);
        if (!budget.take()) return fail(err as Error);
      }
    }
  };

  const deadLetter = deadLetterWriter({ producer: opts.producer, logger: opts.logger, metrics: opts.metrics, dlqTopic, consumerName, maxValueBytes });

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

  /**
   * Parses a message; an unreadable one is dead-lettered here (no database work). A message whose
   * `type` the consumer does not accept (`opts.accepts`) is neither opened nor validated (not this
   * consumer's to judge: its own consumers dead-letter it if it is bad) and finishes as ignored.
   * @returns 'ready' (item.event set), 'ignored' or 'dead-lettered'
   */
  const parse = async (item: Item, isRunning: () => boolean): Promise<'ready' | 'ignored' | 'dead-lettered'> => {
    const deadLettered = async (err: unknown) => {
      const e = err as ContractError;
      await context.with(item.ctx, () => deadLetter(item.message, item.msg, e.message, e.issues ?? [], isRunning));
      finish(item, 'dead-lettered');
      return 'dead-lettered' as const;
    };
    let value: unknown;
    try {
      value = readMessageJson(item.message.value);
    } catch (err) {
      return deadLettered(err);
    }
    const head = (typeof value === 'object' && value !== null ? value : {}) as { eventId?: unknown; type?: unknown };
    // outside the try: a fault of `accepts` is the consumer's, not the message's (kafkajs restarts it)
    if (opts.accepts && typeof head.type === 'string' && typeof head.eventId === 'string' && !opts.accepts(head.type)) {
      item.span.setAttributes({ 'messaging.message.id': head.eventId, 'cad110.event.type': head.type });
      finish(item, 'ignored');
      return 'ignored';
    }
    try {
      item.event = openEventMessage(opts.registry, value, opts.keyring);
      item.span.setAttributes({ 'messaging.message.id': item.event.eventId, 'cad110.event.type': item.event.type });
      return 'ready';
    } catch (err) {
      return deadLettered(err);
    }
  };

  const effectsIdempotent = opts.effectsIdempotent ?? false;
  /** Records a message as processed in `tx` (false: it already was); nothing to record when the effects are idempotent. */
  const mark = (tx: Tx, item: Item) => (effectsIdempotent ? Promise.resolve(true) : markProcessed(tx, consumerName, item.event!.eventId, item.msg));

  /** Marks and applies one event in `tx`, inside the message's span. */
  const apply = (item: Item, tx: Tx) =>
    context.with(item.ctx, async () => {
      if (!(await mark(tx, item))) return false;
      await opts.handle(item.event!, tx, item.msg);
      return true;
    });

  /**
   * Fast path: every readable message of the chunk in ONE transaction (one commit, one fsync).
   * @returns false when the transaction failed for a reason other than connectivity, so the
   *   caller retries the messages one by one (and dead-letters the one that keeps failing)
   * @throws connectivity errors (the caller retries the chunk)
   */
  const applyTogether = async (items: Item[]): Promise<boolean> => {
    let outcomes: boolean[];
    try {
      outcomes = await opts.transaction(async (tx) => {
        // the chunk's appends are written together before the commit (one statement, not one per event)
        deferAppends(tx);
        // one statement marks the whole chunk; only first deliveries are applied (with idempotent
        // effects every delivery is, once per chunk)
        const fresh = effectsIdempotent
          ? new Set(items.map((i) => i.event!.eventId))
          : await markProcessedMany(
              tx,
              consumerName,
              items.map((i) => ({ eventId: i.event!.eventId, ...i.msg })),
            );
        const out: boolean[] = [];
        if (opts.prepare) {
          const first = new Set<string>();
          const toApply = items.filter((i) => fresh.has(i.event!.eventId) && !first.has(i.event!.eventId) && first.add(i.event!.eventId));
          if (toApply.length) await opts.prepare(toApply.map((i) => ({ event: i.event!, msg: i.msg })), tx);
        }
        for (const item of items) {
          // a message delivered twice within the chunk (e.g. a producer retry) is applied once
          const isNew = fresh.delete(item.event!.eventId);
          if (isNew) await context.with(item.ctx, () => opts.handle(item.event!, tx, item.msg));
          out.push(isNew);
        }
        await flushAppends(tx);
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

  /**
   * Slow path: one transaction per message, retried, then dead-lettered.
   * @throws connectivity errors (the caller retries from this message on)
   */
  const applyAlone = async (item: Item, isRunning: () => boolean): Promise<void> => {
    const event = item.event!;
    for (let attempt = 1; ; attempt++) {
      try {
        const applied = await opts.transaction((tx) => apply(item, tx));
        finish(item, applied ? 'processed' : 'duplicate');
        if (applied) opts.afterCommit?.();
        return;
      } catch (err) {
        const permanent = err instanceof PermanentError || err instanceof ContractError;
        if (!permanent && isConnectivityError(err)) throw err;
        if (permanent || attempt >= maxAttempts) {
          const reason = permanent ? `${event.type} rejected: ${(err as Error).message}` : `${event.type} failed after ${attempt} attempts: ${(err as Error).message}`;
          await context.with(item.ctx, async () => {
            await deadLetter(item.message, item.msg, reason, (err as ContractError).issues ?? [], isRunning);
            // remembered, so a replay of the partition does not dead-letter it again (not with idempotent effects: nothing reads the markers)
            if (!effectsIdempotent) await opts.transaction((tx) => markProcessed(tx, consumerName, event.eventId, item.msg));
          });
          finish(item, 'dead-lettered', err as Error);
          return;
        }
        opts.logger.warn({ err, attempt, topic: item.msg.topic, offset: item.msg.offset }, 'handler failed; retrying');
        await sleep(50 * 2 ** attempt);
      }
    }
  };

  const start = async () => {
    state = 'starting';
    await consumer.connect();
    for (const topic of opts.topics) await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? true });
    await consumer.run({
      autoCommit: true,
      autoCommitInterval: 1000,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const going = () => isRunning() && !isStale() && !disconnecting;
        for (let i = 0; i < batch.messages.length; i += chunkSize) {
          if (!going()) break;
          const chunk = batch.messages.slice(i, i + chunkSize);
          const items = chunk.map((message) =>
            begin(message, { topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key?.toString() ?? null }),
          );
          const readable: Item[] = [];
          for (const item of items) if ((await parse(item, going)) === 'ready') readable.push(item);
          // the database down (restart, failover): wait here, heartbeating, until it answers again
          let pending = readable;
          for (let attempt = 1; pending.length; attempt++) {
            try {
              if (pending.length > 1 && (await applyTogether(pending))) pending = [];
              while (pending.length) {
                await applyAlone(pending[0]!, going);
                pending = pending.slice(1);
              }
            } catch (err) {
              if (!isConnectivityError(err)) throw err;
              opts.logger.warn({ err, attempt, topic: batch.topic, partition: batch.partition }, 'database unreachable; retrying the chunk');
              await sleep(Math.min(5000, 100 * 2 ** Math.min(attempt, 6)));
              await heartbeat();
              if (!going()) {
                for (const item of pending) finish(item, 'failed', err as Error);
                break;
              }
            }
          }
          if (pending.length) break; // not applied: the next owner of the partition starts here
          resolveOffset(chunk.at(-1)!.offset);
          await heartbeat();
        }
        opts.metrics?.consumerLag.set({ topic: batch.topic, partition: String(batch.partition) }, Number(batch.offsetLag()));
      },
    });
  };

  const disconnect = consumer.disconnect.bind(consumer);
  consumer.disconnect = async () => {
    disconnecting = true;
    state = 'stopped';
    await disconnect();
  };

  await start();
  return consumer;
}
