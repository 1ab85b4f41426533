import type { Writable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { localParts } from '@cad110/contracts';
import type { Sql } from '@cad110/db';
import type { Case } from '../generated/prisma/client';
import { afterKey, CASE_ORDER, callIdsWithText, caseWhere, type CaseFilters } from './case-query';

/** Columns of the CSV export, in order (header row = these names). Times: UTC ISO-8601 and local ISO-8601 with offset. */
export const EXPORT_COLUMNS = [
  'case_number',
  'case_id',
  'call_id',
  'incident_id',
  'status',
  'category',
  'subtype',
  'kind',
  'priority',
  'district',
  'beat',
  'opened_at_utc',
  'opened_at_local',
  'closed_at_utc',
  'closed_at_local',
  'disposition_codes',
  'suspects_caught',
  'people_rescued',
  'disposition_at_utc',
  'reopen_count',
  'answered_at_utc',
  'answered_at_local',
] as const;

/**
 * Free text from source systems (district, beat) starting with `= + - @`, tab or CR is prefixed
 * with `'` so spreadsheet programs do not run it as a formula (OWASP "CSV injection").
 */
export function spreadsheetSafe(v: string | null): string {
  if (v === null) return '';
  return /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

function toRecord(c: Case, timeZone: string): string[] {
  const local = (d: Date | null) => (d ? localParts(d, timeZone).iso : '');
  return [
    c.caseNumber,
    c.id,
    c.callId,
    c.incidentId,
    c.status,
    c.category,
    c.subtype,
    c.kind ?? '',
    c.priority === null ? '' : String(c.priority),
    spreadsheetSafe(c.district),
    spreadsheetSafe(c.beat),
    c.openedAt.toISOString(),
    local(c.openedAt),
    c.closedAt?.toISOString() ?? '',
    local(c.closedAt),
    (c.dispositionCodes ?? []).join(';'),
    String(c.suspectsCaught),
    String(c.peopleRescued),
    c.dispositionAt?.toISOString() ?? '',
    String(c.reopenCount),
    c.answeredAt.toISOString(),
    local(c.answeredAt),
  ];
}

/**
 * Streams every case matching `filters` as CSV (RFC 4180, UTF-8, header row, CRLF line ends)
 * into `out`, in {@link CASE_ORDER}, reading `batchSize` rows at a time by keyset so memory stays
 * flat however many rows match. No personal fields are exported.
 * @returns the number of data rows written
 */
export async function writeCasesCsv(db: Sql, filters: CaseFilters, timeZone: string, out: Writable, batchSize = 1000): Promise<number> {
  const csv = stringify({ header: true, columns: [...EXPORT_COLUMNS], record_delimiter: 'windows' });
  csv.pipe(out);
  const where = caseWhere(filters, timeZone, await callIdsWithText(db, filters.q));
  let rows = 0;
  let key: { openedAt: Date; id: string } | undefined;
  for (;;) {
    const w = key ? afterKey(where, key) : where;
    const batch = await db.select<Case>(`SELECT * FROM cases WHERE ${w.sql} ORDER BY ${CASE_ORDER} LIMIT ${Math.trunc(batchSize)}`, w.params);
    for (const c of batch) {
      if (!csv.write(toRecord(c, timeZone))) await new Promise((r) => csv.once('drain', r));
    }
    rows += batch.length;
    if (batch.length < batchSize) break;
    const last = batch.at(-1)!;
    key = { openedAt: last.openedAt, id: last.id };
  }
  await new Promise<void>((resolve, reject) => {
    out.once('finish', resolve);
    out.once('error', reject);
    csv.end();
  });
  return rows;
}
