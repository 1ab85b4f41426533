import type { Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { Logger } from '@cad110/logging';
import { tracer, type ServiceMetrics } from '@cad110/telemetry';

export interface OutboxRelayOptions {
  pool: Pool;
  producer: Producer;
  logger: Logger;
  metrics?: ServiceMetrics;
  /** rows claimed per round (default 500) */
  batchSize?: number;
  /** idle poll interval when nobody nudges, ms (default 250) */
  idleIntervalMs?: number;
  /** advisory lock key: only one relay per database publishes at a time, keeping per-key order */
  lockKey?: number;
}

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
 * so messages of one key leave in commit order), claim up to `batchSize` rows with
 * `FOR UPDATE SKIP LOCKED` in id order, send them (acks=all, one request in flight so order holds), delete
 * them, commit. A crash between send and commit re-sends the rows: delivery is at-least-once and
 * consumers are idempotent by event id. Rows are never selected by "id > last seen", which skips
 * rows whose transactions commit out of order.
 *
 * Tracing: every message gets a PRODUCER span whose parent is the trace context stored in its
 * outbox row (the span that appended the event), and that span's context goes into the message
 * headers, so consumers continue the same trace. The polling queries themselves are not traced.
 */
export class OutboxRelay {
  private running = false;
  private wake?: () => void;
  private loop?: Promise<void>;
  private readonly batchSize: number;
  private readonly idleMs: number;
  private readonly lockKey: number;

  constructor(private readonly opts: OutboxRelayOptions) {
    this.batchSize = opts.batchSize ?? 500;
    this.idleMs = opts.idleIntervalMs ?? 250;
    this.lockKey = opts.lockKey ?? 0x0cad110;
  }

  /** Starts the background loop. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Asks the loop to run a round now (call after committing an append). */
  nudge(): void {
    this.wake?.();
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
    while (this.running) {
      let sent = 0;
      try {
        sent = await this.relayOnce();
        failures = 0;
      } catch (err) {
        failures++;
        this.opts.logger.error({ err, failures }, 'outbox relay round failed; will retry');
      }
      if (sent === this.batchSize) continue; // more waiting
      const delay = failures ? Math.min(5000, 100 * 2 ** failures) : this.idleMs;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /**
   * One round: claim, send, delete.
   * @returns number of messages published
   */
  async relayOnce(): Promise<number> {
    return context.with(suppressTracing(ROOT_CONTEXT), async () => {
      const client = await this.opts.pool.connect();
      try {
        await client.query('BEGIN');
        const { rows: lock } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [this.lockKey]);
        if (!lock[0]?.ok) {
          await client.query('ROLLBACK');
          return 0;
        }
        const { rows } = await client.query<OutboxRow>(
          `SELECT id::text, event_id::text, topic, key, payload, headers FROM outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [this.batchSize],
        );
        if (rows.length === 0) {
          await client.query('COMMIT');
          return 0;
        }
        await this.send(rows);
        await client.query('DELETE FROM outbox WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
        await client.query('COMMIT');
        return rows.length;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    });
  }

  private async send(rows: OutboxRow[]): Promise<void> {
    const spans: Span[] = [];
    const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
    for (const row of rows) {
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
      list.push({ key: row.key, value: row.payload, headers });
      byTopic.set(row.topic, list);
    }
    try {
      await this.opts.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      for (const [topic, messages] of byTopic) this.opts.metrics?.produced.inc({ topic }, messages.length);
    } catch (err) {
      for (const s of spans) s.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      throw err;
    } finally {
      for (const s of spans) s.end();
    }
  }
}
