import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Logger } from '@cad110/logging';
import { tracer, type ServiceMetrics } from '@cad110/telemetry';
import { sealMessageValue } from './sealed-messages';
import type { PersonalDataKeyring } from './sealing';

export interface OutboxRelayOptions {
  pool: Pool;
  producer: Producer;
  /**
   * the client, for the topics' partition counts: with it every partition's messages go in their
   * own `send` (see {@link OutboxRelay}); without it one `sendBatch` (tests of one partition)
   */
  kafka?: Kafka;
  logger: Logger;
  metrics?: ServiceMetrics;
  /** rows claimed per round (default 500) */
  batchSize?: number;
  /**
   * how long the loop sleeps when nobody nudges it, milliseconds (default 1000; the services:
   * `OUTBOX_IDLE_INTERVAL_MS`): the longest a row waits that no running relay was nudged for
   * (see {@link OutboxRelay}: a writer that died before nudging, a commit after its relay stopped,
   * a round that gave up on the relay lock)
   */
  idleIntervalMs?: number;
  /** advisory lock key: only one relay per database publishes at a time, keeping per-key order */
  lockKey?: number;
  /**
   * The personal-data key ring: with it every message's personal fields (libs/contracts
   * `PERSONAL_FIELDS`) are sealed on the wire (sealing.ts); the outbox rows and the event store
   * keep clear values. Without it messages leave as stored (tests of one service).
   */
  keyring?: PersonalDataKeyring;
}

/**
 * The longest a round waits for another instance's round to release the relay lock, ms
 * (PostgreSQL `lock_timeout`): a round normally holds it for a send of milliseconds; one stuck
 * in Kafka's retries must not hold this relay's pool connection and its `stop()` for minutes.
 */
export const LOCK_WAIT_MS = 2000;
/** PostgreSQL's SQLSTATE when `lock_timeout` ran out (lock_not_available). */
const LOCK_NOT_AVAILABLE = '55P03';

interface OutboxRow {
  id: string;
  event_id: string;
  topic: string;
  key: string;
  payload: string;
  headers: { traceparent?: string; tracestate?: string };
}

/**
 * Publishes the transactional outbox to Kafka.
 *
 * Each round, in one transaction: take the relay's advisory lock (one active relay per database,
 * so messages of one key leave in commit order) and claim and delete up to `batchSize` rows with
 * `FOR UPDATE SKIP LOCKED` in id order — one round trip with `BEGIN` — then send them (acks=all,
 * one request in flight so order holds) and commit; a failed send rolls the delete back. Two
 * round trips per round (there were five: BEGIN, lock, SELECT, DELETE, COMMIT).
 *
 * Several instances of a service share its database and so its outbox: a round waits for the lock
 * while another instance's round holds it (up to {@link LOCK_WAIT_MS}), then claims what that
 * round left. (It used to give up at once when the lock was taken, and a row its own instance had
 * just committed and nudged for then waited for the idle interval: outbox-nudge.int.spec.ts.) So a
 * committed row is published by a nudged round, and the idle interval bounds only how long rows
 * wait whose writer did not nudge a running relay: a process that died between its commit and its
 * nudge, a commit that landed after its instance's relay stopped (then another instance's idle
 * poll publishes it), or a round that gave up on a lock held longer than {@link LOCK_WAIT_MS}.
 * `cad110_outbox_idle_poll_rows_total` counts such rows.
 *
 * A crash between send and commit re-sends the rows: delivery is at-least-once and consumers are
 * idempotent by event id. Rows are never selected by "id > last seen", which skips
 * rows whose transactions commit out of order.
 *
 * One `send` per partition (partition from the key with the default murmur2 partitioner, as the
 * producer would pick it): kafkajs's `sendBatch` retries skip every broker that has already
 * answered, so when a partition's leader dies and the partition moves to a broker that answered
 * for other partitions of the batch, its messages are never re-sent and the batch still resolves
 * — the rows were deleted and the events lost (seen by the fault suite: 3 of 3,000 calls after a
 * leader kill -9). A send of one partition retries to its new leader.
 *
 * Personal data: with a `keyring`, each message's personal fields are sealed (AES-256-GCM) as it
 * is sent; the rows themselves hold clear values (the service's own store).
 *
 * Tracing: every message gets a PRODUCER span whose parent is the trace context stored in its
 * outbox row (the span that appended the event), and that span's context goes into the message
 * headers, so consumers continue the same trace. The polling queries themselves are not traced.
 */
export class OutboxRelay {
  private running = false;
  private wake?: () => void;
  /** a nudge came while a round was running (no one was waiting to be woken) */
  private nudged = false;
  private loop?: Promise<void>;
  private readonly batchSize: number;
  private readonly idleMs: number;
  private readonly lockKey: number;
  private readonly partitions = new Map<string, number>();
  private readonly partitioner = Partitioners.DefaultPartitioner();

  constructor(private readonly opts: OutboxRelayOptions) {
    this.batchSize = opts.batchSize ?? 500;
    this.idleMs = opts.idleIntervalMs ?? 1000;
    this.lockKey = opts.lockKey ?? 0x0cad110;
  }

  /** Starts the background loop. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /**
   * Asks the loop to run a round now (call after committing an append). A nudge that arrives
   * while a round is running is remembered and starts the next round as soon as this one ends
   * (unless that round failed: then the retry back-off comes first):
   * the running round may have claimed its rows before the nudging transaction committed, and
   * those rows must not wait (they did: until the next commit's nudge, or the idle interval of
   * 250 ms when none came — a quiet night's call; outbox-nudge.int.spec.ts).
   */
  nudge(): void {
    if (this.wake) this.wake();
    else this.nudged = true;
  }

  /** Stops after the current round. */
  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    await this.loop;
  }

  /** Rows not yet published. */
  async backlog(): Promise<number> {
    const { rows } = await this.opts.pool.query<{ n: string }>('SELECT count(*)::text AS n FROM outbox');
    return Number(rows[0]?.n ?? 0);
  }

  private async run(): Promise<void> {
    let failures = 0;
    /** this round follows a sleep that ran out (nobody nudged; not the first round, not a retry), or continues one that did */
    let idlePoll = false;
    while (this.running) {
      let sent = 0;
      this.nudged = false; // this round claims whatever was committed before it starts
      try {
        sent = await this.relayOnce();
        // rows whose writer did not nudge: a process that died between commit and nudge, or an
        // append path that forgot to (then every such row waited up to the idle interval); a
        // round a nudge came during may hold nudged rows too and is not counted
        if (idlePoll && sent > 0 && !this.nudged) {
          this.opts.metrics?.outboxIdlePollRows.inc(sent);
          this.opts.logger.debug({ rows: sent }, 'outbox rows found by the idle poll');
        }
        failures = 0;
      } catch (err) {
        failures++;
        this.opts.logger.error({ err, failures }, 'outbox relay round failed; will retry');
      }
      if (!this.running) break; // stop() came during the round: stop after it, not after a sleep
      idlePoll &&= !this.nudged && !failures;
      if (sent === this.batchSize) continue; // more waiting
      idlePoll = false;
      if (this.nudged && !failures) continue; // committed during the round
      const delay = failures ? Math.min(5000, 100 * 2 ** failures) : this.idleMs;
      idlePoll = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(!failures), delay);
        this.wake = () => {
          clearTimeout(t);
          resolve(false);
        };
      });
      this.wake = undefined;
    }
  }

  /**
   * One round: claim, send, delete.
   * @returns number of messages published (0 also when another instance's round held the relay
   *   lock for longer than {@link LOCK_WAIT_MS}: the rows wait for the next nudge or idle poll)
   */
  async relayOnce(): Promise<number> {
    return context.with(suppressTracing(ROOT_CONTEXT), async () => {
      const client = await this.opts.pool.connect();
      try {
        // one round trip opens the transaction, waits for the relay lock (another instance's
        // round holds it until that round commits; at most LOCK_WAIT_MS) and claims + deletes
        // the rows: separate statements at READ COMMITTED, so the DELETE's snapshot is taken
        // after the lock and sees every row committed before it (the numbers are integers of
        // this process, not input); a failed send rolls the delete back
        const [, , , claimed] = (await client.query(
          `BEGIN ISOLATION LEVEL READ COMMITTED;
           SET LOCAL lock_timeout = ${Math.trunc(LOCK_WAIT_MS)};
           SELECT pg_advisory_xact_lock(${Math.trunc(this.lockKey)});
           DELETE FROM outbox
            WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT ${Math.trunc(this.batchSize)} FOR UPDATE SKIP LOCKED)
           RETURNING id::text, event_id::text, topic, key, payload, headers`,
        )) as unknown as [unknown, unknown, unknown, { rows: OutboxRow[] }];
        // numeric id order (RETURNING has none; ids are text here, and a text sort would put
        // '1000' before '999', publishing a call's later events first — outbox-order.int.spec.ts)
        const rows = claimed.rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
        if (rows.length > 0) await this.send(rows);
        await client.query('COMMIT');
        return rows.length;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        // the other instance's round is slow (Kafka retrying a send): this one does not queue
        // behind it holding a connection; its rows wait for the next nudge or idle poll
        if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE) return 0;
        throw err;
      } finally {
        client.release();
      }
    });
  }

  /** Partition count of a topic (cached; topics are never shrunk). */
  private async partitionCount(kafka: Kafka, topic: string): Promise<number> {
    const known = this.partitions.get(topic);
    if (known) return known;
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const n = topics[0]?.partitions.length ?? 0;
      if (n < 1) throw new Error(`topic ${topic} has no partitions`);
      this.partitions.set(topic, n);
      return n;
    } finally {
      await admin.disconnect();
    }
  }

  private async send(rows: OutboxRow[]): Promise<void> {
    const spans: Span[] = [];
    const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
    // sealed before any span starts (a failure leaves no span open; the round is retried)
    const keyring = this.opts.keyring;
    const values = rows.map((row) => (keyring ? sealMessageValue(row.payload, keyring) : row.payload));
    for (const [i, row] of rows.entries()) {
      const parent = propagation.extract(ROOT_CONTEXT, row.headers ?? {});
      const span = tracer().startSpan(
        `${row.topic} publish`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'send',
            'messaging.destination.name': row.topic,
            'messaging.message.id': row.event_id,
          },
        },
        parent,
      );
      spans.push(span);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'event-id': row.event_id };
      propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers);
      const list = byTopic.get(row.topic) ?? [];
      list.push({ key: row.key, value: values[i]!, headers });
      byTopic.set(row.topic, list);
    }
    try {
      const kafka = this.opts.kafka;
      if (!kafka) {
        await this.opts.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      } else {
        const sends: { topic: string; messages: { key: string; value: string; headers: Record<string, string>; partition: number }[] }[] = [];
        for (const [topic, messages] of byTopic) {
          const n = await this.partitionCount(kafka, topic);
          const meta = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [], isr: [] }));
          const byPartition = new Map<number, (typeof sends)[number]['messages']>();
          for (const m of messages) {
            const partition = this.partitioner({ topic, partitionMetadata: meta, message: m });
            byPartition.set(partition, [...(byPartition.get(partition) ?? []), { ...m, partition }]);
          }
          for (const list of byPartition.values()) sends.push({ topic, messages: list });
        }
        // every partition's messages in order, partitions in parallel; all must be acknowledged
        await Promise.all(sends.map((x) => this.opts.producer.send({ topic: x.topic, acks: -1, messages: x.messages })));
      }
      for (const [topic, messages] of byTopic) this.opts.metrics?.produced.inc({ topic }, messages.length);
    } catch (err) {
      for (const s of spans) s.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      for (const s of spans) s.end();
    }
  }
}
