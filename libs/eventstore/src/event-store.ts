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
import type { SqlTx } from './sql';

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
 * Each event is validated against its registered schema before it is written.
 *
 * @returns the stored envelopes (versions expectedVersion+1 ..)
 * @throws ConcurrencyError when the stream is not at `expectedVersion`
 * @throws ContractError when an event's data does not match its schema
 */
export async function appendToStream(tx: SqlTx, registry: EventRegistry, opts: AppendOptions): Promise<EventEnvelope[]> {
  const { streamId, expectedVersion, events } = opts;
  if (events.length === 0) return [];
  const newVersion = expectedVersion + events.length;
  const snap = opts.snapshot ? [JSON.stringify({ tag: opts.snapshot.tag, state: opts.snapshot.state })] : [];
  if (expectedVersion === 0) {
    const inserted = await tx.$executeRawUnsafe(
      snap.length
        ? `INSERT INTO streams (stream_id, type, version, updated_at, snapshot, snapshot_version) VALUES ($1, $2, $3, now(), $4::jsonb, $3) ON CONFLICT (stream_id) DO NOTHING`
        : `INSERT INTO streams (stream_id, type, version, updated_at) VALUES ($1, $2, $3, now()) ON CONFLICT (stream_id) DO NOTHING`,
      streamId,
      opts.streamType,
      newVersion,
      ...snap,
    );
    if (inserted !== 1) throw new ConcurrencyError(streamId, expectedVersion);
  } else {
    const updated = await tx.$executeRawUnsafe(
      snap.length
        ? `UPDATE streams SET version = $3, updated_at = now(), snapshot = $4::jsonb, snapshot_version = $3 WHERE stream_id = $1 AND version = $2`
        : `UPDATE streams SET version = $3, updated_at = now() WHERE stream_id = $1 AND version = $2`,
      streamId,
      expectedVersion,
      newVersion,
      ...snap,
    );
    if (updated !== 1) throw new ConcurrencyError(streamId, expectedVersion);
  }

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

  try {
    await tx.$executeRawUnsafe(
      `INSERT INTO events (stream_id, version, event_id, type, schema_version, data, metadata, occurred_at, recorded_at)
       SELECT $1, v, id, t, sv, d::jsonb, $2::jsonb, o::timestamptz, $3::timestamptz
       FROM unnest($4::int[], $5::uuid[], $6::text[], $7::int[], $8::text[], $9::text[]) AS x(v, id, t, sv, d, o)`,
      streamId,
      JSON.stringify(metadata),
      recordedAt,
      envelopes.map((e) => e.streamVersion),
      envelopes.map((e) => e.eventId),
      envelopes.map((e) => e.type),
      envelopes.map((e) => e.schemaVersion),
      envelopes.map((e) => JSON.stringify(e.data)),
      envelopes.map((e) => e.occurredAt),
    );
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConcurrencyError(streamId, expectedVersion);
    throw err;
  }

  if (opts.publish !== false) {
    const rows = envelopes.flatMap((env) => {
      const def = registry.get(env.type)!;
      const data = def.publicData ? def.publicData(env.data as never) : env.data;
      return [{ env, topic: topicName(def.topic), payload: JSON.stringify({ ...env, data }) }];
    });
    await tx.$executeRawUnsafe(
      `INSERT INTO outbox (event_id, topic, key, payload, headers)
       SELECT id, t, $1, p, $5::jsonb FROM unnest($2::uuid[], $3::text[], $4::text[]) AS x(id, t, p)`,
      opts.partitionKey ?? streamId,
      rows.map((r) => r.env.eventId),
      rows.map((r) => r.topic),
      rows.map((r) => r.payload),
      JSON.stringify(trace),
    );
  }
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
export async function readStream(tx: SqlTx, registry: EventRegistry, streamId: string, source: SourceService): Promise<{ version: number; events: EventEnvelope[] }> {
  const rows = await tx.$queryRawUnsafe<EventRow[]>(
    `SELECT event_id, stream_id, version, type, schema_version, data, metadata, occurred_at, recorded_at
     FROM events WHERE stream_id = $1 ORDER BY version`,
    streamId,
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
  tx: SqlTx,
  consumer: string,
  eventId: string,
  where: { topic: string; partition: number; offset: string },
): Promise<boolean> {
  const n = await tx.$executeRawUnsafe(
    `INSERT INTO processed_messages (consumer, event_id, topic, partition, "offset", processed_at) VALUES ($1, $2::uuid, $3, $4, $5::bigint, clock_timestamp())
     ON CONFLICT (consumer, event_id) DO NOTHING`,
    consumer,
    eventId,
    where.topic,
    where.partition,
    where.offset,
  );
  return n === 1;
}

/**
 * {@link markProcessed} for several messages in one statement.
 * @returns the event ids recorded now (first deliveries); the others were already processed
 */
export async function markProcessedMany(
  tx: SqlTx,
  consumer: string,
  messages: readonly { eventId: string; topic: string; partition: number; offset: string }[],
): Promise<Set<string>> {
  if (messages.length === 0) return new Set();
  const rows = await tx.$queryRawUnsafe<{ event_id: string }[]>(
    `INSERT INTO processed_messages (consumer, event_id, topic, partition, "offset", processed_at)
     SELECT $1, e, t, p, o, clock_timestamp() FROM unnest($2::uuid[], $3::text[], $4::int[], $5::bigint[]) AS x(e, t, p, o)
     ON CONFLICT (consumer, event_id) DO NOTHING
     RETURNING event_id::text`,
    consumer,
    messages.map((m) => m.eventId),
    messages.map((m) => m.topic),
    messages.map((m) => m.partition),
    messages.map((m) => m.offset),
  );
  return new Set(rows.map((r) => r.event_id));
}
