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
 * In a transaction that defers its appends ({@link deferAppends}: batches, consumer chunks) the
 * append is kept and written with the others by {@link flushAppends} before the commit.
 *
 * @returns the stored envelopes (versions expectedVersion+1 ..)
 * @throws ConcurrencyError when the stream is not at `expectedVersion`
 * @throws ContractError when an event's data does not match its schema
 */
export async function appendToStream(tx: Sql, registry: EventRegistry, opts: AppendOptions): Promise<EventEnvelope[]> {
  if (opts.events.length === 0) return [];
  const a = prepareAppend(registry, opts);
  const pending = PENDING.get(tx);
  if (pending && (opts.expectedVersion === 0 || pending.streams.has(opts.streamId) || heldVersionOf(tx, opts.streamId) === opts.expectedVersion)) {
    pending.add(a);
    return a.envelopes;
  }
  await writeAppends(tx, [a]);
  return a.envelopes;
}

/** An append validated and stamped, waiting to be written (by itself or with others). */
interface PreparedAppend {
  streamId: string;
  streamType: string;
  expectedVersion: number;
  envelopes: EventEnvelope[];
  metadata: string;
  recordedAt: string;
  /** outbox rows (none when not published) */
  outbox: { eventId: string; topic: string; key: string; payload: string; headers: string }[];
  snapshot?: string;
}

/** Validates the events, stamps their envelopes (ids, versions, trace, times) and builds their outbox rows. */
function prepareAppend(registry: EventRegistry, opts: AppendOptions): PreparedAppend {
  const { streamId, expectedVersion, events } = opts;
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
  const headers = JSON.stringify(trace);
  const key = opts.partitionKey ?? streamId;
  const outbox =
    opts.publish === false
      ? []
      : envelopes.map((env) => {
          const def = registry.get(env.type)!;
          const data = def.publicData ? def.publicData(env.data as never) : env.data;
          return { eventId: env.eventId, topic: topicName(def.topic), key, payload: JSON.stringify({ ...env, data }), headers };
        });
  return {
    streamId,
    streamType: opts.streamType,
    expectedVersion,
    envelopes,
    metadata: JSON.stringify(metadata),
    recordedAt,
    outbox,
    ...(opts.snapshot ? { snapshot: JSON.stringify({ tag: opts.snapshot.tag, state: opts.snapshot.state }) } : {}),
  };
}

/**
 * Writes appends with ONE statement (one round trip), whatever their number: data-modifying CTEs
 * advance (or create) each stream row with its expected version as the condition, insert the
 * events and their outbox rows in the order the appends were made (the relay publishes in
 * outbox order: a key's events stay in order). Two appends to one stream in a row become one.
 * @throws ConcurrencyError when a stream was not at its expected version (nothing is kept: the
 *   caller's transaction fails)
 */
async function writeAppends(tx: Sql, appends: readonly PreparedAppend[]): Promise<void> {
  // one entry per stream: its first expected version, its last version and snapshot
  const streams = new Map<string, { type: string; expected: number; version: number; snapshot: string | null }>();
  for (const a of appends) {
    const s = streams.get(a.streamId);
    const version = a.expectedVersion + a.envelopes.length;
    if (!s) streams.set(a.streamId, { type: a.streamType, expected: a.expectedVersion, version, snapshot: a.snapshot ?? null });
    else {
      if (s.version !== a.expectedVersion) throw new ConcurrencyError(a.streamId, a.expectedVersion);
      s.version = version;
      if (a.snapshot) s.snapshot = a.snapshot;
    }
  }
  const ids = [...streams.keys()];
  const ss = [...streams.values()];
  const evs = appends.flatMap((a) => a.envelopes.map((e) => ({ e, a })));
  const obs = appends.flatMap((a) => a.outbox);
  const params: unknown[] = [
    ids,
    ss.map((s) => s.type),
    ss.map((s) => s.expected),
    ss.map((s) => s.version),
    ss.map((s) => s.snapshot),
    evs.map(({ e }) => e.streamId),
    evs.map(({ e }) => e.streamVersion),
    evs.map(({ e }) => e.eventId),
    evs.map(({ e }) => e.type),
    evs.map(({ e }) => e.schemaVersion),
    evs.map(({ e }) => JSON.stringify(e.data)),
    evs.map(({ a }) => a.metadata),
    evs.map(({ e }) => e.occurredAt),
    evs.map(({ a }) => a.recordedAt),
  ];
  let outbox = '';
  if (obs.length) {
    params.push(
      obs.map((o) => o.eventId),
      obs.map((o) => o.topic),
      obs.map((o) => o.key),
      obs.map((o) => o.payload),
      obs.map((o) => o.headers),
    );
    outbox = `,
     o AS (INSERT INTO outbox (event_id, topic, key, payload, headers)
       SELECT id, t, k, pl, h::jsonb FROM unnest($15::uuid[], $16::text[], $17::text[], $18::text[], $19::text[]) WITH ORDINALITY AS x(id, t, k, pl, h, n)
       WHERE (SELECT count(*) FROM moved) = (SELECT count(*) FROM x0) ORDER BY n)`;
  }
  const sql = `WITH x0 AS (SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[]) AS x(id, type, expected, v, snap)),
     u AS (UPDATE streams s SET version = x0.v, updated_at = now(),
             snapshot = CASE WHEN x0.snap IS NULL THEN s.snapshot ELSE x0.snap::jsonb END,
             snapshot_version = CASE WHEN x0.snap IS NULL THEN s.snapshot_version ELSE x0.v END
           FROM x0 WHERE x0.expected > 0 AND s.stream_id = x0.id AND s.version = x0.expected RETURNING 1),
     c AS (INSERT INTO streams (stream_id, type, version, updated_at, snapshot, snapshot_version)
           SELECT id, type, v, now(), snap::jsonb, CASE WHEN snap IS NULL THEN NULL ELSE v END FROM x0 WHERE expected = 0
           ON CONFLICT (stream_id) DO NOTHING RETURNING 1),
     moved AS (SELECT 1 FROM u UNION ALL SELECT 1 FROM c),
     e AS (INSERT INTO events (stream_id, version, event_id, type, schema_version, data, metadata, occurred_at, recorded_at)
           SELECT sid, v, id, t, sv, d::jsonb, m::jsonb, o::timestamptz, r::timestamptz
           FROM unnest($6::text[], $7::int[], $8::uuid[], $9::text[], $10::int[], $11::text[], $12::text[], $13::text[], $14::text[]) WITH ORDINALITY AS x(sid, v, id, t, sv, d, m, o, r, n)
           WHERE (SELECT count(*) FROM moved) = (SELECT count(*) FROM x0) ORDER BY n)${outbox}
     SELECT (SELECT count(*) FROM moved)::int AS n`;
  let moved: { n: number }[];
  try {
    moved = await tx.query<{ n: number }>(sql, params);
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConcurrencyError(ids.length === 1 ? ids[0]! : ids.join(', '), ss[0]!.expected);
    throw err;
  }
  if (moved[0]?.n !== ids.length) throw new ConcurrencyError(ids.length === 1 ? ids[0]! : `one of ${ids.length} streams`, ss[0]!.expected);
}

/** The appends a transaction has deferred ({@link deferAppends}) and the streams they touch. */
class PendingAppends {
  readonly appends: PreparedAppend[] = [];
  readonly streams = new Set<string>();
  add(a: PreparedAppend): void {
    this.appends.push(a);
    this.streams.add(a.streamId);
  }
}

const PENDING = new WeakMap<Sql, PendingAppends>();

/** The version of a stream this transaction holds locked (command-handler.ts registers it). */
let heldVersionOf: (tx: Sql, streamId: string) => number | undefined = () => undefined;

/** @internal command-handler.ts tells the store which streams a transaction holds. */
export function setHeldVersionLookup(f: (tx: Sql, streamId: string) => number | undefined): void {
  heldVersionOf = f;
}

/**
 * From now until {@link flushAppends}, appends in `tx` to a stream it holds locked (loaded by a
 * command of this transaction), to a new stream (expected version 0) or to a stream with an
 * append waiting are kept in memory and written together by {@link flushAppends}: one statement
 * for all of them instead of one per append. For transactions that run many commands (a batch,
 * a consumer's chunk): per command the append was one of its two or three round trips.
 *
 * Safe because nothing else can move a locked stream, nothing in a command transaction reads
 * `events` or `outbox` except the store itself (a load of a stream with waiting appends writes
 * them first), and the waiting appends go with the transaction: a rollback drops them.
 * A conflict on a new stream (its id taken meanwhile) is reported by the flush as
 * ConcurrencyError, failing the whole transaction.
 */
export function deferAppends(tx: Sql): void {
  if (!PENDING.has(tx)) PENDING.set(tx, new PendingAppends());
}

/**
 * Writes the appends {@link deferAppends} kept for `tx` (one statement) and stops deferring.
 * Call it before the transaction commits. @throws ConcurrencyError, or what the database throws
 */
export async function flushAppends(tx: Sql, opts: { keepDeferring?: boolean } = {}): Promise<void> {
  const pending = PENDING.get(tx);
  if (!pending) return;
  if (!opts.keepDeferring) PENDING.delete(tx);
  else PENDING.set(tx, new PendingAppends());
  if (pending.appends.length) await writeAppends(tx, pending.appends);
}

/** True when `tx` has an append of `streamId` waiting to be written. */
export function hasPendingAppend(tx: Sql, streamId: string): boolean {
  return PENDING.get(tx)?.streams.has(streamId) ?? false;
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
  if (hasPendingAppend(tx, streamId)) await flushAppends(tx, { keepDeferring: true });
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
