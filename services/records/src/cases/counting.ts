/**
 * The counting rule of libs/contracts (`counting.ts`) applied to the case read model: a case
 * is listed, filtered and exported under its call's latest classification (also one made after
 * the hand-over), under the district of its call's latest location (also a relocation after the
 * hand-over) and on the local day its call was answered — as statistics counts the call.
 *
 * A reclassification or relocation (CallClassified / CallLocated on the calls topic) and the incident that opens the case
 * (IncidentOpened on the dispatch topic) are consumed concurrently in separate transactions, so
 * both take a transaction-scoped advisory lock on the call first: whichever commits second sees
 * the other's rows (READ COMMITTED reads after the lock is granted), and no reclassification is
 * lost between "no case yet" and "case opened with the hand-over's classification".
 */
import { countingClassification, countingDistrict, countingLocation, type CallClassified, type CallLocated, type EventEnvelope } from '@cad110/contracts';
import type { DeferringTx, Sql } from '@cad110/db';
import type { z } from 'zod';

/** Advisory lock class of records' per-call counting lock (second key: hash of the call id). */
const CALL_LOCK_CLASS = 110_013;

/** The classification a case counts under. */
export interface CaseClassification {
  category: string;
  subtype: string;
  /** null: the hand-over's snapshot (no CallClassified read yet) */
  classifiedAt: string | null;
}

/**
 * Per transaction (the tx object a consumer passes to every message of a chunk): the calls whose
 * counting lock it holds, and whether it found the call without a case. Under the lock no other
 * transaction can open the call's case, so "no case" holds until this one opens it: a chunk with
 * a call's CallLocated and CallClassified locks and looks once (two round trips instead of four).
 */
const held = new WeakMap<object, Map<string, { noCase: boolean; case?: CaseRow }>>();

/** A case row as the counting handlers read it. */
interface CaseRow {
  id: string;
}

/** Takes the per-call counting lock until the transaction ends (once per transaction and call). */
export async function lockCall(tx: Sql, callId: string): Promise<void> {
  let calls = held.get(tx);
  if (calls?.has(callId)) return;
  await tx.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2::text))', [CALL_LOCK_CLASS, callId]);
  if (!calls) held.set(tx, (calls = new Map()));
  calls.set(callId, { noCase: false });
}

/** The event types whose handlers take a call's counting lock (CallClassified, CallLocated, IncidentOpened). */
const LOCKING_TYPES = new Set(['CallClassified', 'CallLocated', 'IncidentOpened']);

/**
 * A consumer chunk's counting locks and case look-ups in two statements instead of two per event
 * (the consumer's `prepare`, libs/kafka): takes the counting lock of every call that one of
 * `events` will lock ({@link lockCall}; in the order of the lock keys, so two chunks that share
 * calls queue instead of deadlocking) and reads which of them have a case, so that the handlers'
 * {@link lockCall} and case look-ups find both in this transaction's memo. A call without a case
 * keeps none until this transaction opens it (the lock is held), so the memo stays true.
 * Changes nothing the handlers decide: without it they lock and look one event at a time.
 * @returns the number of calls locked here (0 when every one was already held)
 */
export async function lockCallsOf(tx: Sql, events: readonly EventEnvelope[]): Promise<number> {
  const memo = held.get(tx);
  const ids = [...new Set(events.filter((e) => LOCKING_TYPES.has(e.type)).map((e) => (e.data as { callId?: unknown }).callId))].filter(
    (id): id is string => typeof id === 'string' && !memo?.has(id),
  );
  if (ids.length === 0) return 0;
  await tx.query(
    `SELECT pg_advisory_xact_lock($1::int, k) FROM (SELECT DISTINCT hashtext(c) AS k FROM unnest($2::text[]) AS c ORDER BY k) AS keys`,
    [CALL_LOCK_CLASS, ids],
  );
  const cases = new Map<string, CaseRow[]>();
  for (const r of await tx.query<CaseRow & { call_id: string }>('SELECT call_id::text, id::text FROM cases WHERE call_id = ANY($1::uuid[])', [ids])) {
    cases.set(r.call_id, [...(cases.get(r.call_id) ?? []), { id: r.id }]);
  }
  let calls = held.get(tx);
  if (!calls) held.set(tx, (calls = new Map()));
  // a call's one case is kept for its handlers (no look-up per event); with several, they look
  for (const id of ids) {
    const rows = cases.get(id);
    calls.set(id, { noCase: !rows, ...(rows?.length === 1 ? { case: rows[0] } : {}) });
  }
  return ids.length;
}

/** True when this transaction holds the call's counting lock and found the call without a case. */
export function knownWithoutCase(tx: Sql, callId: string): boolean {
  return held.get(tx)?.get(callId)?.noCase ?? false;
}

/** Records that this transaction opened the call's case (call under {@link lockCall}). */
export function caseOpenedIn(tx: Sql, callId: string): void {
  const c = held.get(tx)?.get(callId);
  if (c) {
    c.noCase = false;
    delete c.case;
  }
}

/** The call's case row (its id), or undefined; call under {@link lockCall}. From the memo of {@link lockCallsOf} when it found the call with one case (no statement). */
async function caseOfCall(tx: Sql, callId: string): Promise<CaseRow | undefined> {
  const memo = held.get(tx)?.get(callId);
  if (memo?.noCase) return undefined;
  if (memo?.case) return memo.case;
  const [row] = await tx.query<CaseRow>('SELECT id::text FROM cases WHERE call_id = $1::uuid', [callId]);
  // kept under the lock: a later event of the call in this transaction reads it (and its changes) here
  if (memo) {
    if (row) memo.case = row;
    else memo.noCase = true;
  }
  return row;
}

/**
 * What a call being opened as a case counts under, from one read of its audit timeline (the
 * CallClassified and CallLocated records has read): the latest classification (the rule's
 * `countingClassification`), else `handedOver`'s (the incident's, `classifiedAt` null); the
 * district of the latest location (the rule's `countingDistrict`) and its beat, else
 * `handedOver.location`'s. Call under {@link lockCall}.
 */
export async function countingOfCall(
  tx: Sql,
  callId: string,
  handedOver: HandedOver,
): Promise<CallCounting> {
  return (await countingOfCalls(tx, [{ callId, handedOver }]))[0]!;
}

/** What an incident hands over about its call (IncidentOpened's classification and location). */
export interface HandedOver {
  category: string;
  subtype: string;
  location: { district?: string; beat?: string };
}

/** What a case being opened counts under ({@link countingOfCall}). */
export interface CallCounting {
  counting: CaseClassification;
  located: { district: string | null; beat: string | null };
}

/**
 * {@link countingOfCall} for several calls with one read of the timeline.
 * @returns one result per entry of `calls`, in their order
 */
export async function countingOfCalls(tx: Sql, calls: readonly { callId: string; handedOver: HandedOver }[]): Promise<CallCounting[]> {
  if (calls.length === 0) return [];
  type Row = { call_id: string; type: string; version: number; category: string | null; subtype: string | null; classified_at: string | null; district: string | null; beat: string | null };
  const rows = await tx.query<Row>(
    `SELECT call_id, type, version, data->>'category' AS category, data->>'subtype' AS subtype, data->>'classifiedAt' AS classified_at,
            data->>'district' AS district, data->>'beat' AS beat
       FROM timeline_entries WHERE call_id = ANY($1::uuid[]) AND type IN ('CallClassified', 'CallLocated') ORDER BY id`,
    [[...new Set(calls.map((c) => c.callId))]],
  );
  const byCall = new Map<string, Row[]>();
  for (const r of rows) {
    const list = byCall.get(r.call_id);
    if (list) list.push(r);
    else byCall.set(r.call_id, [r]);
  }
  return calls.map(({ callId, handedOver }) => countingFromTimeline(byCall.get(callId) ?? [], handedOver));
}

function countingFromTimeline(
  rows: readonly { type: string; version: number; category: string | null; subtype: string | null; classified_at: string | null; district: string | null; beat: string | null }[],
  handedOver: HandedOver,
): CallCounting {
  const classified = rows.filter((r) => r.type === 'CallClassified').map((r) => ({ category: r.category!, subtype: r.subtype!, classifiedAt: r.classified_at! }));
  const located = rows.filter((r) => r.type === 'CallLocated').map((r) => ({ streamVersion: Number(r.version), district: r.district, beat: r.beat }));
  const latest = countingLocation(located);
  return {
    counting: countingClassification(classified) ?? { category: handedOver.category, subtype: handedOver.subtype, classifiedAt: null },
    located: { district: countingDistrict(located, handedOver.location.district), beat: latest ? latest.beat : (handedOver.location.beat ?? null) },
  };
}

/**
 * A case's counting changes that a chunk transaction holds until its commit: the chunk's
 * classifications and locations of the call, compared with the stored ones when written.
 */
interface CaseChange {
  id: string;
  callId: string;
  classified: { streamVersion: number; category: string; subtype: string; classifiedAt: string }[];
  located: { streamVersion: number; district: string | null; beat: string | null }[];
}

/** The queued {@link CaseChange}s of each open chunk transaction (keyed by its DeferredRows), by case id. */
const queuedChanges = new WeakMap<object, Map<string, CaseChange>>();

/**
 * Queues a case's change in the consumer's chunk transaction (written by {@link writeCaseChanges}
 * once for the chunk, just before its deferred rows and COMMIT); outside one (tests, tools) it is
 * written at once. The counting lock of the call is held either way, so no other transaction
 * changes the case's counting meanwhile.
 */
async function changeCase(tx: Sql, row: CaseRow, callId: string, change: (c: CaseChange) => void): Promise<void> {
  const chunk = tx as Partial<DeferringTx>;
  if (!chunk.beforeCommit || !chunk.deferred) {
    const c: CaseChange = { id: row.id, callId, classified: [], located: [] };
    change(c);
    return writeCaseChanges(tx, [c]);
  }
  let queued = queuedChanges.get(chunk.deferred);
  if (!queued) {
    const map = new Map<string, CaseChange>();
    queuedChanges.set(chunk.deferred, map);
    chunk.beforeCommit(async () => {
      queuedChanges.delete(chunk.deferred!);
      await writeCaseChanges(tx, [...map.values()]);
    });
    queued = map;
  }
  const c = queued.get(row.id) ?? queued.set(row.id, { id: row.id, callId, classified: [], located: [] }).get(row.id)!;
  change(c);
}

/** `items` without a second entry of one stream version, in stream order. */
function inStreamOrder<T extends { streamVersion: number }>(items: readonly T[]): T[] {
  return [...new Map(items.map((i) => [i.streamVersion, i])).values()].sort((a, b) => a.streamVersion - b.streamVersion);
}

/**
 * Writes cases' counting changes with one read of their calls' stored CallClassified and
 * CallLocated (the audit timeline) and one UPDATE for all of them. A case takes the counting
 * classification (the rule's `countingClassification`: the latest `classifiedAt`, a tie to the
 * later in the stream) and the district and beat of the latest location (`countingLocation`) of
 * all the call's stored events and the change's own (whose timeline rows may still be queued).
 * So the result depends on the events, not on the order or the number of times they arrive: a
 * redelivered or replayed event finds the case as it left it, and a case already counting so is
 * not written (nor its `updated_at` moved). The UPDATE takes each row's lock under its call's
 * counting lock, which this transaction holds, so the order it locks them in cannot deadlock.
 */
export async function writeCaseChanges(tx: Sql, changes: readonly CaseChange[]): Promise<void> {
  if (changes.length === 0) return;
  type Stored = { call_id: string; type: string; version: number; category: string | null; subtype: string | null; classified_at: string | null; district: string | null; beat: string | null };
  const stored = new Map<string, Stored[]>();
  const rows = await tx.query<Stored>(
    `SELECT call_id::text, type, version, data->>'category' AS category, data->>'subtype' AS subtype, data->>'classifiedAt' AS classified_at,
            data->>'district' AS district, data->>'beat' AS beat
       FROM timeline_entries WHERE call_id = ANY($1::uuid[]) AND type IN ('CallClassified', 'CallLocated')`,
    [[...new Set(changes.map((c) => c.callId))]],
  );
  for (const r of rows) stored.set(r.call_id, [...(stored.get(r.call_id) ?? []), r]);
  const updates = changes.map((c) => {
    const own = stored.get(c.callId) ?? [];
    const classified = c.classified.length
      ? countingClassification(
          inStreamOrder([
            ...own.filter((r) => r.type === 'CallClassified').map((r) => ({ streamVersion: Number(r.version), category: r.category!, subtype: r.subtype!, classifiedAt: r.classified_at! })),
            ...c.classified,
          ]),
        )
      : null;
    const located = c.located.length ? countingLocation([...own.filter((r) => r.type === 'CallLocated').map((r) => ({ streamVersion: Number(r.version), district: r.district, beat: r.beat })), ...c.located]) : null;
    return { id: c.id, classified, located };
  });
  await tx.exec(
    `UPDATE cases AS c SET
        category = CASE WHEN v.cls THEN v.category ELSE c.category END,
        subtype = CASE WHEN v.cls THEN v.subtype ELSE c.subtype END,
        classified_at = CASE WHEN v.cls THEN v.classified_at ELSE c.classified_at END,
        district = CASE WHEN v.loc THEN v.district ELSE c.district END,
        beat = CASE WHEN v.loc THEN v.beat ELSE c.beat END,
        updated_at = now()
       FROM unnest($1::uuid[], $2::bool[], $3::text[], $4::text[], $5::timestamptz[], $6::bool[], $7::text[], $8::text[])
            AS v(id, cls, category, subtype, classified_at, loc, district, beat)
      WHERE c.id = v.id
        AND ((v.cls AND (c.category, c.subtype, c.classified_at) IS DISTINCT FROM (v.category, v.subtype, v.classified_at))
          OR (v.loc AND (c.district, c.beat) IS DISTINCT FROM (v.district, v.beat)))`,
    [
      updates.map((u) => u.id),
      updates.map((u) => u.classified !== null),
      updates.map((u) => u.classified?.category ?? null),
      updates.map((u) => u.classified?.subtype ?? null),
      updates.map((u) => (u.classified ? new Date(u.classified.classifiedAt) : null)),
      updates.map((u) => u.located !== null),
      updates.map((u) => u.located?.district ?? null),
      updates.map((u) => u.located?.beat ?? null),
    ],
  );
}

/**
 * A (re)classification of a call: its case, when it has one, counts under the call's counting
 * classification of all its CallClassified known now, this one included ({@link writeCaseChanges};
 * in the consumer's chunk written with the chunk's other changes before COMMIT).
 */
export async function onCallClassified(tx: Sql, event: EventEnvelope): Promise<void> {
  const d = event.data as z.infer<typeof CallClassified.schema>;
  await lockCall(tx, d.callId);
  const row = await caseOfCall(tx, d.callId);
  if (!row) return; // no case yet: the case takes it from the timeline when it opens
  await changeCase(tx, row, d.callId, (c) => void c.classified.push({ streamVersion: event.streamVersion, category: d.category, subtype: d.subtype, classifiedAt: d.classifiedAt }));
}

/**
 * A (re)location of a call: its case, when it has one, now counts under the district (and beat)
 * of the call's latest CallLocated — this one unless the timeline or an earlier event of the same
 * chunk holds a later one ({@link writeCaseChanges}). No address or coordinates leave the event.
 */
export async function onCallLocated(tx: Sql, event: EventEnvelope): Promise<void> {
  const d = event.data as z.infer<typeof CallLocated.schema>;
  await lockCall(tx, d.callId);
  const row = await caseOfCall(tx, d.callId);
  if (!row) return; // no case yet: the case takes it from the timeline when it opens
  await changeCase(tx, row, d.callId, (c) => void c.located.push({ streamVersion: event.streamVersion, district: d.district ?? null, beat: d.beat ?? null }));
}
