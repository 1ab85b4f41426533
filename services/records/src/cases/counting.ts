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
import { countingClassification, countingDistrict, countingLocation, replacesClassification, type CallClassified, type CallLocated, type EventEnvelope } from '@cad110/contracts';
import type { Sql } from '@cad110/db';
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
const held = new WeakMap<object, Map<string, { noCase: boolean }>>();

/** Takes the per-call counting lock until the transaction ends (once per transaction and call). */
export async function lockCall(tx: Sql, callId: string): Promise<void> {
  let calls = held.get(tx);
  if (calls?.has(callId)) return;
  await tx.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2::text))', [CALL_LOCK_CLASS, callId]);
  if (!calls) held.set(tx, (calls = new Map()));
  calls.set(callId, { noCase: false });
}

/** Records that this transaction opened the call's case (call under {@link lockCall}). */
export function caseOpenedIn(tx: Sql, callId: string): void {
  const c = held.get(tx)?.get(callId);
  if (c) c.noCase = false;
}

/** The call's case row (id, classified_at), or undefined; call under {@link lockCall}. */
async function caseOfCall(tx: Sql, callId: string): Promise<{ id: string; classified_at: Date | null } | undefined> {
  const memo = held.get(tx)?.get(callId);
  if (memo?.noCase) return undefined;
  const [row] = await tx.query<{ id: string; classified_at: Date | null }>('SELECT id, classified_at FROM cases WHERE call_id = $1::uuid', [callId]);
  if (!row && memo) memo.noCase = true;
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
  handedOver: { category: string; subtype: string; location: { district?: string; beat?: string } },
): Promise<{ counting: CaseClassification; located: { district: string | null; beat: string | null } }> {
  const rows = await tx.query<{ type: string; version: number; category: string | null; subtype: string | null; classified_at: string | null; district: string | null; beat: string | null }>(
    `SELECT type, version, data->>'category' AS category, data->>'subtype' AS subtype, data->>'classifiedAt' AS classified_at,
            data->>'district' AS district, data->>'beat' AS beat
       FROM timeline_entries WHERE call_id = $1::uuid AND type IN ('CallClassified', 'CallLocated') ORDER BY id`,
    [callId],
  );
  const classified = rows.filter((r) => r.type === 'CallClassified').map((r) => ({ category: r.category!, subtype: r.subtype!, classifiedAt: r.classified_at! }));
  const located = rows.filter((r) => r.type === 'CallLocated').map((r) => ({ streamVersion: Number(r.version), district: r.district, beat: r.beat }));
  const latest = countingLocation(located);
  return {
    counting: countingClassification(classified) ?? { category: handedOver.category, subtype: handedOver.subtype, classifiedAt: null },
    located: { district: countingDistrict(located, handedOver.location.district), beat: latest ? latest.beat : (handedOver.location.beat ?? null) },
  };
}

/**
 * A (re)classification of a call: its case, when it has one, now counts under it unless the case
 * already holds a later one (the rule's `replacesClassification`, in SQL: not older).
 */
export async function onCallClassified(tx: Sql, event: EventEnvelope): Promise<void> {
  const d = event.data as z.infer<typeof CallClassified.schema>;
  await lockCall(tx, d.callId);
  const row = await caseOfCall(tx, d.callId);
  if (!row) return; // no case yet: the case takes it from the timeline when it opens
  if (!replacesClassification(d, row.classified_at ? { classifiedAt: new Date(row.classified_at).toISOString() } : null)) return;
  await tx.exec('UPDATE cases SET category = $2, subtype = $3, classified_at = $4, updated_at = now() WHERE id = $1::uuid', [row.id, d.category, d.subtype, new Date(d.classifiedAt)]);
}

/** The CallLocated of a call records has read (its audit timeline holds them), in any order. Call under {@link lockCall}. */
async function locationsOf(tx: Sql, callId: string): Promise<{ streamVersion: number; district: string | null; beat: string | null }[]> {
  const rows = await tx.query<{ version: number; district: string | null; beat: string | null }>(
    `SELECT version, data->>'district' AS district, data->>'beat' AS beat FROM timeline_entries WHERE call_id = $1::uuid AND type = 'CallLocated'`,
    [callId],
  );
  return rows.map((r) => ({ streamVersion: Number(r.version), district: r.district, beat: r.beat }));
}

/**
 * A (re)location of a call: its case, when it has one, now counts under the district (and beat)
 * of the call's latest CallLocated — this one unless the timeline holds a later one. The event's
 * own timeline row may still be queued (written when the consumer's chunk commits), so it is
 * compared explicitly. No address or coordinates leave the event.
 */
export async function onCallLocated(tx: Sql, event: EventEnvelope): Promise<void> {
  const d = event.data as z.infer<typeof CallLocated.schema>;
  await lockCall(tx, d.callId);
  const row = await caseOfCall(tx, d.callId);
  if (!row) return; // no case yet: the case takes it from the timeline when it opens
  const latest = countingLocation([...(await locationsOf(tx, d.callId)), { streamVersion: event.streamVersion, district: d.district ?? null, beat: d.beat ?? null }]);
  if (!latest) return;
  await tx.exec('UPDATE cases SET district = $2, beat = $3, updated_at = now() WHERE id = $1::uuid', [row.id, latest.district, latest.beat]);
}
