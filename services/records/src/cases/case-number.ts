import { localParts } from '@cad110/contracts';
import type { Sql } from '@cad110/db';

/**
 * Format of case numbers: `CASE_NUMBER_PREFIX` (default `JY`), the local year and a 6-digit
 * sequence, e.g. `JY-2026-000123`.
 */
export function formatCaseNumber(year: number, seq: number, prefix = process.env.CASE_NUMBER_PREFIX ?? 'JY'): string {
  return `${prefix}-${year}-${String(seq).padStart(6, '0')}`;
}

/**
 * Takes the next case number of the local year of `at` (bureau time zone) inside the caller's
 * transaction. The counter row stays locked until the transaction ends, so concurrent openings
 * queue; a rollback returns the number. Result: gapless and unique per year.
 */
export async function nextCaseNumber(tx: Sql, at: string, timeZone: string): Promise<string> {
  const year = caseNumberYear(at, timeZone);
  const rows = await tx.query<{ last: number }>(
    `INSERT INTO case_number_counters (year, last) VALUES ($1, 1)
     ON CONFLICT (year) DO UPDATE SET last = case_number_counters.last + 1
     RETURNING last`,
    [year],
  );
  return formatCaseNumber(year, rows[0]!.last);
}

/**
 * Takes `count` consecutive case numbers of local year `year` in one statement, inside the
 * caller's transaction (as {@link nextCaseNumber}: the counter row stays locked until the
 * transaction ends; a rollback returns them all).
 * @returns the numbers in order, e.g. `['JY-2026-000124', 'JY-2026-000125']`; `[]` for `count` 0
 */
export async function nextCaseNumbers(tx: Sql, year: number, count: number): Promise<string[]> {
  if (count <= 0) return [];
  const rows = await tx.query<{ last: number }>(
    `INSERT INTO case_number_counters (year, last) VALUES ($1, $2)
     ON CONFLICT (year) DO UPDATE SET last = case_number_counters.last + $2
     RETURNING last`,
    [year, count],
  );
  const last = Number(rows[0]!.last);
  return Array.from({ length: count }, (_, i) => formatCaseNumber(year, last - count + 1 + i));
}

/** The local year (bureau zone) a case opened at `at` (UTC ISO-8601) is numbered in. */
export function caseNumberYear(at: string, timeZone: string): number {
  return Number(localParts(at, timeZone).day.slice(0, 4));
}
