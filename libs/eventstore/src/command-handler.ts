/**
 * The one command pipeline of cad110, in the manner of emmett's `CommandHandler`: load the
 * stream (from its snapshot when it has one), check the expected version, `decide`, append
 * with the loaded version as expected version, and project the read model, all inside the
 * caller's transaction. {@link runCommand} runs such a transaction with the stale-write rule
 * (libs/contracts/src/commands.ts, docs/architecture.md):
 * - `expectedVersion` (from `If-Match`) other than the current version → {@link StaleVersionError} (412);
 * - an append that loses a race ({@link ConcurrencyError}) → the whole transaction is run again
 *   on the new state, at most {@link COMMAND_ATTEMPTS} times; with `If-Match` the rerun finds the
 *   new version and ends in 412, without it the command applies to the new state.
 *
 * Cost per command: one statement loads and locks the stream (its `streams` row `FOR UPDATE`,
 * its snapshot and the events after it; none when this transaction already holds it), then the append's one (streams, events and outbox rows in one statement) and
 * the projection's own; the snapshot travels in the append's `UPDATE streams`. In a transaction
 * that defers its appends (a batch, a consumer chunk: event-store.ts `deferAppends`) all its
 * appends share one statement at the end.
 */
import {
  ConcurrencyError,
  NotFoundError,
  StaleVersionError,
  commandMetadata,
  type ActingUser,
  type EventEnvelope,
  type EventRegistry,
  type SourceService,
} from '@cad110/contracts';
import { appendToStream, envelopeOfRow, flushAppends, hasPendingAppend, readStream, setHeldVersionLookup, type EventRow, type NewEvent } from './event-store';
import type { RunInTransaction, Sql } from '@cad110/db';

/** An event as a decider emits it: type and data (the envelope's other fields are the store's). */
export interface DecidedEvent {
  type: string;
  data: unknown;
  /** UTC ISO-8601 when it happened; default the command's `occurredAt`, else now */
  occurredAt?: string;
}

/** What one stream's append changed, for its read-model writer. */
export interface StreamChange<State, Event extends DecidedEvent> {
  streamId: string;
  /** state before the command (the fold of the stream as loaded) */
  before: State;
  /** state after the new events */
  after: State;
  /** the new events as decided */
  events: Event[];
  /** the new events as stored (ids, versions, times) */
  envelopes: EventEnvelope[];
  /** stream version after the append */
  version: number;
}

/**
 * An event-sourced stream type: how its state is folded from its events, how its events are
 * keyed and correlated, and its read-model writer.
 */
export interface StreamType<State, Event extends DecidedEvent> {
  /** stored in `streams.type`, e.g. `unit` */
  streamType: string;
  source: SourceService;
  initialState: () => State;
  /**
   * The pure fold. It reads only `type` and `data`: on load it is given the stored envelopes,
   * after a decision the decided events (the snapshot is written with the append).
   */
  evolve: (state: State, event: Event) => State;
  /**
   * Tag of the state's JSON shape: set it to keep a snapshot of the state on the stream row
   * (`streams.snapshot`), change it whenever the state's shape or the fold changes (older
   * snapshots are then ignored and the stream folded from its start). Unset: no snapshots.
   */
  snapshotTag?: string;
  /** Kafka key and correlation id of the new events (a call's events share its call id). */
  routing: (streamId: string, before: State, after: State) => { partitionKey: string; correlationId: string };
  /** The read-model writer: runs in the same transaction after the append. */
  project?: (tx: Sql, change: StreamChange<State, Event>) => Promise<void>;
}

/** A stream as loaded in a transaction (its `streams` row locked). */
export interface LoadedStream<State> {
  streamId: string;
  state: State;
  /** 0 when the stream does not exist */
  version: number;
}

interface LoadRow extends EventRow {
  stream_version: number;
  snapshot: { tag: string; state: unknown } | null;
}

const COLS = 'e.event_id, e.stream_id, e.version, e.type, e.schema_version, e.data, e.metadata, e.occurred_at, e.recorded_at';

/**
 * Loads a stream's state in one statement: its `streams` row (locked `FOR UPDATE` unless
 * `lock: false`, so commands on one stream run one after the other), its snapshot and the
 * events after the snapshot, folded with `evolve`. A snapshot with another tag is ignored and
 * the whole stream read.
 * @returns version 0 and the initial state when the stream does not exist
 */
export async function loadStream<S, E extends DecidedEvent>(tx: Sql, registry: EventRegistry, type: StreamType<S, E>, streamId: string, opts: { lock?: boolean } = {}): Promise<LoadedStream<S>> {
  const held = LOCKED.get(tx)?.get(streamId);
  if (held && held.streamType === type.streamType) return held.loaded as LoadedStream<S>;
  // a stream appended to in this transaction without being held (e.g. created by a bare append): its appends first
  if (hasPendingAppend(tx, streamId)) await flushAppends(tx, { keepDeferring: true });
  const snap = type.snapshotTag !== undefined;
  const rows = await tx.query<LoadRow>(
    `SELECT s.version AS stream_version, ${snap ? 's.snapshot' : 'NULL::jsonb AS snapshot'}, ${COLS}
       FROM streams s
       LEFT JOIN LATERAL (SELECT * FROM events ev WHERE ev.stream_id = s.stream_id${snap ? ' AND ev.version > coalesce(s.snapshot_version, 0)' : ''}) e ON true
      WHERE s.stream_id = $1
      ORDER BY e.version${opts.lock === false ? '' : '\n      FOR UPDATE OF s'}`,
    [streamId],
  );
  const first = rows[0];
  if (!first) return { streamId, state: type.initialState(), version: 0 };
  let state: S;
  let tail: EventEnvelope[];
  if (!snap || (first.snapshot && first.snapshot.tag === type.snapshotTag)) {
    state = first.snapshot ? (first.snapshot.state as S) : type.initialState();
    tail = rows.filter((r) => r.event_id !== null).map((r) => envelopeOfRow(registry, r, type.source));
  } else {
    state = type.initialState();
    tail = (await readStream(tx, registry, streamId, type.source)).events;
  }
  for (const e of tail) state = type.evolve(state, e as unknown as E);
  const loaded = { streamId, state, version: first.stream_version };
  if (opts.lock !== false) holdStream(tx, type.streamType, loaded);
  return loaded;
}

/**
 * The streams a transaction has locked, as loaded and kept current by {@link handleCommand}:
 * a later command of the same transaction (a batch, a consumer's chunk) that loads one of them
 * gets it without a statement — the row lock is already held, and nothing but this
 * transaction's own appends can change it. Keyed by the transaction's `Sql` (one per
 * transaction: `pgTransaction`), so it goes with the transaction; cad110 uses no savepoints,
 * so a transaction's state never rolls back partly.
 */
const LOCKED = new WeakMap<Sql, Map<string, { streamType: string; loaded: LoadedStream<unknown> }>>();

/**
 * A stream this transaction has already loaded and locked (and kept current), without a
 * statement; undefined when it has not (then {@link loadStream} it). For a command that needs a
 * read-model fact only to choose its lock order (which incident a unit is on): when both
 * streams are held there is no lock to order and the stream's own state is the current fact.
 */
export function heldStream<S>(tx: Sql, streamType: string, streamId: string): LoadedStream<S> | undefined {
  const held = LOCKED.get(tx)?.get(streamId);
  return held && held.streamType === streamType ? (held.loaded as LoadedStream<S>) : undefined;
}

setHeldVersionLookup((tx, streamId) => LOCKED.get(tx)?.get(streamId)?.loaded.version);

function holdStream(tx: Sql, streamType: string, loaded: LoadedStream<unknown>): void {
  let m = LOCKED.get(tx);
  if (!m) LOCKED.set(tx, (m = new Map()));
  m.set(loaded.streamId, { streamType, loaded });
}

/** The outcome of {@link handleCommand}. */
export interface CommandResult<State, Event extends DecidedEvent> extends StreamChange<State, Event> {}

export interface HandleOptions<State> {
  by: ActingUser;
  /** the version the client last saw (`If-Match`); undefined = no precondition */
  expectedVersion?: number;
  /** default: the acting user's request id */
  causationId?: string | null;
  /** UTC ISO-8601 for events that carry none; default now */
  occurredAt?: string;
  /** the stream as already loaded (and locked) in this transaction */
  loaded?: LoadedStream<State>;
  /** the stream id was just made (e.g. a new UUID): skip the load, the append refuses an existing stream */
  isNew?: boolean;
  /** what the stream is, for error messages (`incident 7f…`); default the stream id */
  what?: string;
  /** a stream that does not exist is {@link NotFoundError} (404) */
  mustExist?: boolean;
}

/**
 * Runs one command on one stream inside the caller's transaction: load (or take `loaded`),
 * check `expectedVersion`, `decide`, append with the loaded version, project.
 * No events decided → nothing is written and `version` is the current one.
 * @throws NotFoundError when `mustExist` and the stream does not exist
 * @throws StaleVersionError when `expectedVersion` is not the current version
 * @throws ConcurrencyError when the append loses a race (run in {@link runCommand} to retry)
 * @throws whatever `decide` throws (CommandRejected → 409)
 */
export async function handleCommand<S, E extends DecidedEvent>(
  tx: Sql,
  registry: EventRegistry,
  type: StreamType<S, E>,
  streamId: string,
  decide: (state: S, version: number) => E[] | Promise<E[]>,
  opts: HandleOptions<S>,
): Promise<CommandResult<S, E>> {
  const loaded = opts.loaded ?? (opts.isNew ? { streamId, state: type.initialState(), version: 0 } : await loadStream(tx, registry, type, streamId));
  const { state: before, version } = loaded;
  const what = opts.what ?? streamId;
  if (version === 0 && opts.mustExist) throw new NotFoundError(what);
  if (opts.expectedVersion !== undefined && opts.expectedVersion !== version) throw new StaleVersionError(what, opts.expectedVersion, version);
  const events = await decide(before, version);
  if (events.length === 0) return { streamId, before, after: before, events, envelopes: [], version };
  const occurredAt = opts.occurredAt;
  // fold the decided events first: the snapshot goes with the append
  let after = before;
  for (const e of events) after = type.evolve(after, e);
  const { partitionKey, correlationId } = type.routing(streamId, before, after);
  const envelopes = await appendToStream(tx, registry, {
    streamId,
    streamType: type.streamType,
    expectedVersion: version,
    events: events.map((e): NewEvent => ({ type: e.type, data: e.data, ...((e.occurredAt ?? occurredAt) ? { occurredAt: e.occurredAt ?? occurredAt } : {}) })),
    source: type.source,
    partitionKey,
    metadata: commandMetadata(opts.by, correlationId, opts.causationId),
    ...(type.snapshotTag !== undefined ? { snapshot: { tag: type.snapshotTag, state: after } } : {}),
  });
  // the state returned and projected is the fold of the events as stored (schema defaults applied)
  after = before;
  for (const e of envelopes) after = type.evolve(after, e as unknown as E);
  const change: StreamChange<S, E> = { streamId, before, after, events, envelopes, version: envelopes.at(-1)!.streamVersion };
  if (type.project) await type.project(tx, change);
  // the caller (and later commands of this transaction, through loadStream) may go on with this stream
  const current = opts.loaded ?? (LOCKED.get(tx)?.get(streamId)?.loaded as LoadedStream<S> | undefined);
  if (current) Object.assign(current, { state: after, version: change.version });
  holdStream(tx, type.streamType, current ?? { streamId, state: after, version: change.version });
  return change;
}

/** How many times {@link runCommand} runs a transaction whose append lost a race. */
export const COMMAND_ATTEMPTS = 3;

/**
 * Runs a command's transaction; when an append in it loses a race ({@link ConcurrencyError})
 * the whole transaction runs again on the new state, at most `attempts` times in all.
 * @throws ConcurrencyError when every attempt lost (HTTP 409 `concurrent-change`)
 */
export async function runCommand<T, Tx extends Sql>(run: RunInTransaction<Tx>, fn: (tx: Tx) => Promise<T>, attempts = COMMAND_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(fn);
    } catch (err) {
      if (err instanceof ConcurrencyError && attempt < attempts) continue;
      throw err;
    }
  }
}
