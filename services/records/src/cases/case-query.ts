/**
 * The ONE query builder behind `GET /cases` (paginated list) and `GET /cases/export.csv`
 * (every matching row): both parse the same filters with {@link CaseFilters}, turn them into the
 * same Prisma `where` with {@link caseWhere} and sort with {@link CASE_ORDER}, so a filtered
 * export and the filtered list always hold the same rows in the same order.
 */
import { z } from 'zod';
import { DispositionCode, localDayStartUtc } from '@cad110/contracts';
import type { Prisma } from '../generated/prisma/client';

const LocalDay = z.iso.date().describe('local calendar day YYYY-MM-DD in the bureau time zone');

/** Search filters (query string). Every filter is optional; together they are ANDed. */
export const CaseFilters = z
  .object({
    caseNumber: z.string().trim().min(1).max(32).optional().describe('exact case number, e.g. JY-2026-000123 (case-insensitive)'),
    callId: z.uuid().optional().describe('the call the case belongs to'),
    from: LocalDay.optional().describe('first local day of the opening date range (inclusive)'),
    to: LocalDay.optional().describe('last local day of the opening date range (inclusive)'),
    category: z.string().trim().min(1).max(64).optional().describe('110 taxonomy category, e.g. criminal'),
    subtype: z.string().trim().min(1).max(64).optional().describe('110 taxonomy subtype, e.g. robbery'),
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

/** The day after `day` (YYYY-MM-DD), calendar arithmetic. */
function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

/**
 * Filters → Prisma `where`. The date range selects cases OPENED from local midnight of `from` to
 * local midnight after `to` in `timeZone` (so a local day is exactly the bureau's day, DST-safe).
 */
export function caseWhere(f: CaseFilters, timeZone: string, textCallIds?: readonly string[]): Prisma.CaseWhereInput {
  const and: Prisma.CaseWhereInput[] = [];
  if (f.q !== undefined) and.push({ callId: { in: [...(textCallIds ?? [])] } });
  if (f.caseNumber) and.push({ caseNumber: { equals: f.caseNumber, mode: 'insensitive' } });
  if (f.callId) and.push({ callId: f.callId });
  if (f.from) and.push({ openedAt: { gte: new Date(localDayStartUtc(f.from, timeZone)) } });
  if (f.to) and.push({ openedAt: { lt: new Date(localDayStartUtc(nextDay(f.to), timeZone)) } });
  if (f.category) and.push({ category: f.category });
  if (f.subtype) and.push({ subtype: f.subtype });
  if (f.district) and.push({ district: f.district });
  if (f.disposition === 'none') and.push({ dispositionCodes: { isEmpty: true } });
  else if (f.disposition) and.push({ dispositionCodes: { has: f.disposition } });
  if (f.status) and.push({ status: f.status });
  return and.length ? { AND: and } : {};
}

/** Newest opening first; the id breaks ties so pages and export batches never overlap or skip. */
export const CASE_ORDER: Prisma.CaseOrderByWithRelationInput[] = [{ openedAt: 'desc' }, { id: 'desc' }];

/** Keyset condition "after (openedAt, id)" in {@link CASE_ORDER}, for export batches. */
export function afterKey(key: { openedAt: Date; id: string }): Prisma.CaseWhereInput {
  return { OR: [{ openedAt: { lt: key.openedAt } }, { openedAt: key.openedAt, id: { lt: key.id } }] };
}

/** Most calls a free-text search selects (a broader query should add filters). */
export const TEXT_SEARCH_MAX_CALLS = 5000;

/**
 * Free text (`q`): the calls whose call narrative (CallNarrativeAppended, from intake) or case
 * narrative (CaseNarrativeAdded) contains `q`, case-insensitive, from the audit timeline (which
 * holds both). At most {@link TEXT_SEARCH_MAX_CALLS}; undefined when there is no `q`.
 */
export async function callIdsWithText(prisma: { $queryRawUnsafe<T>(q: string, ...v: unknown[]): Promise<T> }, q: string | undefined): Promise<string[] | undefined> {
  if (q === undefined) return undefined;
  const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await prisma.$queryRawUnsafe<{ call_id: string }[]>(
    `SELECT DISTINCT call_id::text FROM timeline_entries WHERE type IN ('CallNarrativeAppended', 'CaseNarrativeAdded') AND data->>'text' ILIKE $1 LIMIT ${TEXT_SEARCH_MAX_CALLS}`,
    like,
  );
  return rows.map((r) => r.call_id);
}
