/**
 * The ONE query builder behind `GET /cases` (paginated list) and `GET /cases/export.csv`
 * (every matching row): both parse the same filters with {@link CaseFilters}, turn them into the
 * same SQL condition with {@link caseWhere} and sort with {@link CASE_ORDER}, so a filtered
 * export and the filtered list always hold the same rows in the same order.
 */
import { z } from 'zod';
import { countingDayRange, DispositionCode } from '@cad110/contracts';
import type { Sql } from '@cad110/db';

const LocalDay = z.iso.date().describe('local calendar day YYYY-MM-DD in the bureau time zone');

/** Search filters (query string). Every filter is optional; together they are ANDed. */
export const CaseFilters = z
  .object({
    caseNumber: z.string().trim().min(1).max(32).optional().describe('exact case number, e.g. JY-2026-000123 (case-insensitive)'),
    callId: z.uuid().optional().describe('the call the case belongs to'),
    from: LocalDay.optional().describe("first counting day (inclusive): the local day the case's call was answered, as statistics counts it"),
    to: LocalDay.optional().describe("last counting day (inclusive): the local day the case's call was answered"),
    category: z.string().trim().min(1).max(64).optional().describe("110 taxonomy category, e.g. criminal: the call's latest classification, also after the hand-over"),
    subtype: z.string().trim().min(1).max(64).optional().describe("110 taxonomy subtype, e.g. robbery: the call's latest classification"),
    district: z.string().trim().min(1).max(64).optional().describe('district / police-station area, exact'),
    disposition: z.union([DispositionCode, z.literal('none')]).optional().describe('a code of the current disposition, or none = no disposition yet'),
    status: z.enum(['open', 'closed']).optional(),
    q: z.string().trim().min(2).max(100).optional().describe('words of the narrative (call narrative or case narratives), case-insensitive substring'),
  })
  .strict();
export type CaseFilters = z.infer<typeof CaseFilters>;

/** Refinement shared by list and export: a range must not end before it starts. */
export function checkRange<T extends { from?: string; to?: string }>(schema: z.ZodType<T>) {
  return schema.refine((f) => !f.from || !f.to || f.from <= f.to, { message: 'to must not be before from', path: ['to'] });
}

/** A SQL condition on `cases` and its parameters ($1..$n in `params` order). */
export interface CaseWhere {
  sql: string;
  params: unknown[];
}

/**
 * Filters → a SQL condition on `cases`. Category, subtype and the day range follow the counting
 * rule of libs/contracts (`counting.ts`), as statistics does: the category is the call's latest
 * classification, and the range selects cases whose call was ANSWERED from local midnight of
 * `from` to local midnight after `to` in `timeZone` (`countingDayRange`: a local day is exactly
 * the bureau's day, DST-safe) — not the day of the hand-over or the case's opening.
 */
export function caseWhere(f: CaseFilters, timeZone: string, textCallIds?: readonly string[]): CaseWhere {
  const params: unknown[] = [];
  const p = (v: unknown) => `$${params.push(v)}`;
  const and: string[] = [];
  if (f.q !== undefined) and.push(`call_id = ANY(${p([...(textCallIds ?? [])])}::uuid[])`);
  if (f.caseNumber) and.push(`lower(case_number) = lower(${p(f.caseNumber)})`);
  if (f.callId) and.push(`call_id = ${p(f.callId)}::uuid`);
  const { start, end } = countingDayRange(f.from, f.to, timeZone);
  if (start) and.push(`answered_at >= ${p(new Date(start))}`);
  if (end) and.push(`answered_at < ${p(new Date(end))}`);
  if (f.category) and.push(`category = ${p(f.category)}`);
  if (f.subtype) and.push(`subtype = ${p(f.subtype)}`);
  if (f.district) and.push(`district = ${p(f.district)}`);
  if (f.disposition === 'none') and.push(`cardinality(disposition_codes) = 0`);
  else if (f.disposition) and.push(`${p(f.disposition)} = ANY(disposition_codes)`);
  if (f.status) and.push(`status = ${p(f.status)}`);
  return { sql: and.length ? and.join(' AND ') : 'TRUE', params };
}

/** Newest opening first; the id breaks ties so pages and export batches never overlap or skip. */
export const CASE_ORDER = 'opened_at DESC, id DESC';

/** `where` AND "after (openedAt, id)" in {@link CASE_ORDER}, for export batches. */
export function afterKey(where: CaseWhere, key: { openedAt: Date; id: string }): CaseWhere {
  const n = where.params.length;
  return { sql: `(${where.sql}) AND (opened_at, id) < ($${n + 1}, $${n + 2}::uuid)`, params: [...where.params, key.openedAt, key.id] };
}

/** Most calls a free-text search selects (a broader query should add filters). */
export const TEXT_SEARCH_MAX_CALLS = 5000;

/**
 * Free text (`q`): the calls whose call narrative (CallNarrativeAppended, from intake) or case
 * narrative (CaseNarrativeAdded) contains `q`, case-insensitive, from the audit timeline (which
 * holds both). At most {@link TEXT_SEARCH_MAX_CALLS}; undefined when there is no `q`.
 */
export async function callIdsWithText(db: Sql, q: string | undefined): Promise<string[] | undefined> {
  if (q === undefined) return undefined;
  const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await db.query<{ call_id: string }>(
    `SELECT DISTINCT call_id::text FROM timeline_entries WHERE type IN ('CallNarrativeAppended', 'CaseNarrativeAdded') AND data->>'text' ILIKE $1 LIMIT ${TEXT_SEARCH_MAX_CALLS}`,
    [like],
  );
  return rows.map((r) => r.call_id);
}
