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
  const year = Number(localParts(at, timeZone).day.slice(0, 4));
  const rows = await tx.query<{ last: number }>(
    `INSERT INTO case_number_counters (year, last) VALUES ($1, 1)
     ON CONFLICT (year) DO UPDATE SET last = case_number_counters.last + 1
     RETURNING last`,
    [year],
  );
  return formatCaseNumber(year, rows[0]!.last);
}
