/**
 * Intake's personal-data sweep (README "Personal data"): for calls whose stream was last appended
 * to before the cutoff (now − `CAD110_PERSONAL_DATA_RETENTION_DAYS`), the caller's number and
 * name, the address, the narrative and SOP answers become unreadable in every place intake keeps
 * them. Run by libs/runtime `startPersonalDataRetention`.
 */
import type { Sql } from '@cad110/db';
import { dropStaleSnapshots, redactPersonalFields } from '@cad110/eventstore';

/**
 * Redacts what was recorded before `cutoff`:
 * - `events`: the personal fields of the call events (libs/contracts `PERSONAL_FIELDS`);
 * - `streams`: the call streams' snapshots (they hold the folded location);
 * - `calls` (read model): address and caller number of calls whose stream is older than the cutoff;
 * - `ringing_lines`: the number of lines that rang before the cutoff;
 * - `idempotency_keys`: the stored responses older than the cutoff (normally purged after 24 h).
 * Flags (重点人员 / 重点地点) are standing data a supervisor retires by hand: not touched.
 * @returns rows changed per place
 */
export async function redactIntakePersonalData(tx: Sql, cutoff: Date): Promise<Record<string, number>> {
  const at = cutoff.toISOString();
  const events = await redactPersonalFields(tx, cutoff);
  const snapshots = await dropStaleSnapshots(tx, cutoff, ['call']);
  const calls = await tx.exec(
    `UPDATE calls c SET address = NULL, caller_number = NULL
     FROM streams s WHERE s.stream_id = 'call-' || c.id::text AND s.updated_at < $1::timestamptz AND (c.address IS NOT NULL OR c.caller_number IS NOT NULL)`,
    [at],
  );
  const ringingLines = await tx.exec(`UPDATE ringing_lines SET number = NULL WHERE received_at < $1::timestamptz AND number IS NOT NULL`, [at]);
  const idempotencyKeys = await tx.exec(`DELETE FROM idempotency_keys WHERE created_at < $1::timestamptz`, [at]);
  return { events, snapshots, calls, ringingLines, idempotencyKeys };
}
