/**
 * GET /calls: one page of calls, newest answer first, by keyset (`nextCursor` = the answer time
 * and id of the page's last call). Caller numbers, addresses and the grid cell are never read.
 */
import { z } from 'zod';
import { IsoUtc } from '@cad110/contracts';
import type { Sql } from '@cad110/db';
import { ProblemError } from '@cad110/http';
import type { Call } from '../generated/prisma/client';
import { callSummaryOf } from './read-model';
import type { ListCallsQuery } from './schemas';

/**
 * The page of calls matching `q` (status; answered in [since, until), UTC) after `q.cursor`.
 * @returns `{items, nextCursor}`: at most `q.limit` call summaries; `nextCursor` null on the last page
 * @throws ProblemError 400 for a cursor that is not one this function wrote
 */
export async function listCalls(db: Sql, q: z.infer<typeof ListCallsQuery>) {
  const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
  const params: unknown[] = [];
  const p = (v: unknown) => `$${params.push(v)}`;
  const conds = [
    ...(q.status ? [`status = ${p(q.status)}`] : []),
    ...(q.since ? [`answered_at >= ${p(new Date(q.since))}`] : []),
    ...(q.until ? [`answered_at < ${p(new Date(q.until))}`] : []),
    ...(cursor ? [`(answered_at, id) < (${p(cursor.t)}, ${p(cursor.id)}::uuid)`] : []),
  ];
  // caller numbers, addresses and the geo cell are never listed
  const rows = await db.select<Omit<Call, 'callerNumber' | 'address' | 'geoCell'>>(
    `SELECT ${LISTED_CALL_COLUMNS} FROM calls ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY answered_at DESC, id DESC LIMIT ${q.limit + 1}`,
    params,
  );
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return { items: page.map(callSummaryOf), nextCursor: rows.length > q.limit && last ? encodeCursor(last.answeredAt, last.id) : null };
}

/** The columns of `calls` that GET /calls lists (not caller_number, address, geo_cell). */
const LISTED_CALL_COLUMNS = [
  'id', 'version', 'status', 'channel', 'ringing_at', 'answered_at', 'created_at', 'kind', 'category', 'subtype', 'priority', 'classified_at',
  'lat', 'lon', 'district', 'beat', 'external_source', 'external_id', 'handed_at', 'duplicate_of', 'outcome_detail', 'closed_at', 'updated_at',
].join(', ');

function encodeCursor(t: Date, id: string): string {
  return Buffer.from(`${t.toISOString()}|${id}`).toString('base64url');
}

/**
 * The page position in a `nextCursor`: the answer time (UTC ISO-8601) and id of the last call.
 * @throws ProblemError 400 unless it is exactly what {@link encodeCursor} writes (a UTC instant in
 *   the plausible years, `|`, a UUID): anything else would reach the database as a bad value
 */
function decodeCursor(c: string): { t: Date; id: string } {
  const invalid = () => ProblemError.validation([{ field: 'cursor', message: 'invalid cursor: pass nextCursor of the previous page unchanged' }]);
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(c)) throw invalid();
  const parts = Buffer.from(c, 'base64url').toString().split('|');
  if (parts.length !== 2) throw invalid();
  const [t, id] = parts as [string, string];
  if (!IsoUtc.safeParse(t).success || !z.uuid().safeParse(id).success) throw invalid();
  return { t: new Date(t), id };
}
