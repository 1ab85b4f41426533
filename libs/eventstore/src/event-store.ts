import { randomUUID } from 'node:crypto';
import {
  ConcurrencyError,
  ContractError,
  type EventEnvelope,
  type EventMetadata,
  type EventRegistry,
  type SourceService,
  topicName,
} from '@cad110/contracts';
import { isUniqueViolation } from '@cad110/db';
import { currentTraceCarrier } from '@cad110/telemetry';
import type { Sql } from '@cad110/db';

/** An event to append: its type, data (latest schema version) and when it happened (UTC). */
export interface NewEvent<TType extends string = string, TData = unknown> {
  type: TType;
  data: TData;
  /** UTC ISO-8601; default now */
  occurredAt?: string;
}

export { ConcurrencyError };

export interface AppendOptions {
  streamId: string;
  /** kind of stream, e.g. `call`; stored in `streams.type` */
  streamType: string;
  /** version the caller last saw; 0 = the stream must not exist yet */
  expectedVersion: number;
  events: readonly NewEvent[];
  source: SourceService;
  /** actor, workstation, correlation and causation ids; the trace context is added from the active span */
  metadata: Omit<EventMetadata, 'traceparent' | 'tracestate'>;
  /** Kafka message key (default the stream id); one call's events share its call id */
  partitionKey?: string;
  /** default true: also write outbox rows for events whose type has a topic */
  publish?: boolean;
  /**
   * The aggregate's state after these events (JSON), stored on the stream row in the same
   * statement that advances its version, so the next command loads it instead of folding the
   * whole stream (see command-handler.ts `loadStream`).
   */
  snapshot?: { tag: string; state: unknown };
}

/**
 * Appends events to a stream with an expected version and writes their outbox rows, all inside
 * the caller's transaction, so an event is stored if and only if it will be published.
 *
 * Concurrency is enforced by the database: `streams.version` is advanced with a conditional
 * UPDATE (0 rows = someone else moved it), and `events (stream_id, version)` is unique.
 * The stream row, the events and the outbox rows are written by ONE statement (data-modifying
 * CTEs; the inserts run only when the stream row moved): one round trip instead of three — the
 * append was the largest single PostgreSQL cost of intake, dispatch and records in the
 * `npm run bench -- --quick --profile` profiles (issue 17).
 * Each event is validated against its registered schema before it is written.
 *
 * @returns the stored envelopes (versions expectedVersion+1 ..)
 * @throws ConcurrencyError when the stream is not at `expectedVersion`
 * @throws ContractError when an event's data does not match its schema
 */
export async function appendToStream(tx: Sql, registry: EventRegistry, opts: AppendOptions): Promise<EventEnvelope[]> {
  const { streamId, expectedVersion, events } = opts;
  if (events.length === 0) return [];
  const newVersion = expectedVersion + events.length;
  const trace = currentTraceCarrier();
  const metadata: EventMetadata = { ...opts.metadata, ...trace };
  const recordedAt = new Date().toISOString();
  const envelopes: EventEnvelope[] = events.map((e, i) => {
    const def = registry.get(e.type);
    if (!def) throw new ContractError(`unknown event type ${e.type}`);
    const parsed = def.schema.safeParse(e.data);
    if (!parsed.success) {
      throw new ContractError(`invalid ${e.type} data`, parsed.error.issues.map((x) => ({ path: x.path.join('.'), message: x.message })));
    }
    return {
      eventId: randomUUID(),
      type: e.type,
      schemaVersion: def.version,
      streamId,
      streamVersion: expectedVersion + i + 1,
      occurredAt: e.occurredAt ?? recordedAt,
      recordedAt,
      source: opts.source,
      metadata,
      data: parsed.data,
    };
  });

  // ONE statement (one round trip) advances the stream and writes the events and their outbox
  // rows: data-modifying CTEs, the inserts only when the stream row moved (`s` returned a row)
  const params: unknown[] = [];
  const p = (v: unknown, type: string) => `$${params.push(v)}::${type}`;
  const sid = p(streamId, 'text');
  const version = p(newVersion, 'int');
  const snapshot = opts.snapshot ? p(JSON.stringify({ tag: opts.snapshot.tag, state: opts.snapshot.state }), 'jsonb') : undefined;
  const stream =
    expectedVersion === 0
      ? `INSERT INTO streams (stream_id, type, version, updated_at${snapshot ? ', snapshot, snapshot_version' : ''})
         VALUES (${sid}, ${p(opts.streamType, 'text')}, ${version}, now()${snapshot ? `, ${snapshot}, ${version}` : ''})
         ON CONFLICT (stream_id) DO NOTHING RETURNING 1`
      : `UPDATE streams SET version = ${version}, updated_at = now()${snapshot ? `, snapshot = ${snapshot}, snapshot_version = ${version}` : ''}
         WHERE stream_id = ${sid} AND version = ${p(expectedVersion, 'int')} RETURNING 1`;
  const eventRows = `INSERT INTO events (stream_id, version, event_id, type, schema_version, data, metadata, occurred_at, recorded_at)
       SELECT ${sid}, v, id, t, sv, d::jsonb, ${p(JSON.stringify(metadata), 'jsonb')}, o::timestamptz, ${p(recordedAt, 'timestamptz')}
       FROM unnest(${p(envelopes.map((e) => e.streamVersion), 'int[]')}, ${p(envelopes.map((e) => e.eventId), 'uuid[]')}, ${p(envelopes.map((e) => e.type), 'text[]')},
                   ${p(envelopes.map((e) => e.schemaVersion), 'int[]')}, ${p(envelopes.map((e) => JSON.stringify(e.data)), 'text[]')}, ${p(envelopes.map((e) => e.occurredAt), 'text[]')}) AS x(v, id, t, sv, d, o)
       WHERE EXISTS (SELECT 1 FROM s)`;
  let outbox = '';
  if (opts.publish !== false) {
    const rows = envelopes.map((env) => {
      const def = registry.get(env.type)!;
      const data = def.publicData ? def.publicData(env.data as never) : env.data;
      return { env, topic: topicName(def.topic), payload: JSON.stringify({ ...env, data }) };
    });
    outbox = `, o AS (INSERT INTO outbox (event_id, topic, key, payload, headers)
       SELECT id, t, ${p(opts.partitionKey ?? streamId, 'text')}, pl, ${p(JSON.stringify(trace), 'jsonb')}
       FROM unnest(${p(rows.map((r) => r.env.eventId), 'uuid[]')}, ${p(rows.map((r) => r.topic), 'text[]')}, ${p(rows.map((r) => r.payload), 'text[]')}) AS x(id, t, pl)
       WHERE EXISTS (SELECT 1 FROM s))`;
  }
  let moved: { n: number }[];
  try {
    moved = await tx.query<{ n: number }>(`WITH s AS (${stream}), e AS (${eventRows})${outbox} SELECT count(*)::int AS n FROM s`, params);
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConcurrencyError(streamId, expectedVersion);
    throw err;
  }
  if (moved[0]?.n !== 1) throw new ConcurrencyError(streamId, expectedVersion);
  return envelopes;
}

/** A row of `events` as the readers select it. */
export interface EventRow {
  event_id: string;
  stream_id: string;
  version: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: EventMetadata;
  occurred_at: Date;
  recorded_at: Date;
  source?: SourceService;
}

/**
 * Reads a stream in version order, upcasting old schema versions to the current ones.
 * @returns the envelopes and the stream's current version (0 when it does not exist)
 */
export async function readStream(tx: Sql, registry: EventRegistry, streamId: string, source: SourceService): Promise<{ version: number; events: EventEnvelope[] }> {
  const rows = await tx.query<EventRow>(
    `SELECT event_id, stream_id, version, type, schema_version, data, metadata, occurred_at, recorded_at
     FROM events WHERE stream_id = $1 ORDER BY version`,
    [streamId],
  );
  const events = rows.map((r) => envelopeOfRow(registry, r, source));
  return { version: events.at(-1)?.streamVersion ?? 0, events };
}

/** A stored event row as its envelope, upcast to the current schema version and validated. */
export function envelopeOfRow(registry: EventRegistry, r: EventRow, source: SourceService): EventEnvelope {
  const env: EventEnvelope = {
    eventId: r.event_id,
    type: r.type,
    schemaVersion: r.schema_version,
    streamId: r.stream_id,
    streamVersion: r.version,
    occurredAt: new Date(r.occurred_at).toISOString(),
    recordedAt: new Date(r.recorded_at).toISOString(),
    source,
    metadata: r.metadata,
    data: r.data,
  };
  const def = registry.get(r.type);
  if (!def) throw new ContractError(`stored event ${r.event_id} has unknown type ${r.type}`);
  return registry.upcastAndValidate(def, env);
}

/**
 * Records that `consumer` applied the message with `eventId`, in the caller's transaction,
 * stamped with the clock time (not the transaction start: several messages share a transaction).
 * @returns false when it was already recorded (a redelivery: skip the effect)
 */
export async function markProcessed(
  tx: Sql,
  consumer: string,
  eventId: string,
  where: { topic: string; partition: number; offset: string },
): Promise<boolean> {
  const n = await tx.exec(
    `INSERT INTO processed_messages (consumer, event_id, topic, partition, "offset", processed_at) VALUES ($1, $2::uuid, $3, $4, $5::bigint, clock_timestamp())
     ON CONFLICT (consumer, event_id) DO NOTHING`,
    [consumer, eventId, where.topic, where.partition, where.offset],
  );
  return n === 1;
}

/**
 * {@link markProcessed} for several messages in one statement.
 * @returns the event ids recorded now (first deliveries); the others were already processed
 */
export async function markProcessedMany(
  tx: Sql,
  consumer: string,
  messages: readonly { eventId: string; topic: string; partition: number; offset: string }[],
): Promise<Set<string>> {
  if (messages.length === 0) return new Set();
  const rows = await tx.query<{ event_id: string }>(
    `INSERT INTO processed_messages (consumer, event_id, topic, partition, "offset", processed_at)
     SELECT $1, e, t, p, o, clock_timestamp() FROM unnest($2::uuid[], $3::text[], $4::int[], $5::bigint[]) AS x(e, t, p, o)
     ON CONFLICT (consumer, event_id) DO NOTHING
     RETURNING event_id::text`,
    [
      consumer,
      messages.map((m) => m.eventId),
      messages.map((m) => m.topic),
      messages.map((m) => m.partition),
      messages.map((m) => m.offset),
    ],
  );
  return new Set(rows.map((r) => r.event_id));
}
