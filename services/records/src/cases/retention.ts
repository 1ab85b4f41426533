/**
 * Records' personal-data sweep (README "Personal data"): the audit timeline holds a copy of every
 * call and dispatch event of a call, so the personal fields of those copies recorded before the
 * cutoff (now − `CAD110_PERSONAL_DATA_RETENTION_DAYS`) are redacted like the producers' own
 * events. The case file itself (case narratives, parties) is a police record kept under the
 * bureau's archive rules and is not touched. Run by libs/runtime `startPersonalDataRetention`.
 */
import type { Sql } from '@cad110/db';
import { redactPersonalFields } from '@cad110/eventstore';

/**
 * Redacts the personal fields (libs/contracts `PERSONAL_FIELDS`) of `timeline_entries` recorded
 * (by their producer) before `cutoff`. After it, the EIDO export of such a call shows "[redacted]"
 * as its address and call narrative; the narrative search no longer finds it. A sweep that
 * redacted something leaves a row in `personal_data_redactions` (cutoff and count only).
 * @returns rows changed per place
 */
export async function redactRecordsPersonalData(tx: Sql, cutoff: Date): Promise<Record<string, number>> {
  // the timeline is insert-only; its trigger lets this transaction (and only `data`) through
  await tx.query(`SELECT set_config('cad110.personal_data_redaction', 'on', true)`);
  const timeline = await redactPersonalFields(tx, cutoff, { table: 'timeline_entries' });
  if (timeline > 0) await tx.exec(`INSERT INTO personal_data_redactions (cutoff, timeline) VALUES ($1::timestamptz, $2)`, [cutoff.toISOString(), timeline]);
  return { timeline };
}
