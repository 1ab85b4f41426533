/**
 * Dispatch's personal-data sweep (README "Personal data"): for incidents whose stream was last
 * appended to before the cutoff (now − `CAD110_PERSONAL_DATA_RETENTION_DAYS`), the address and the
 * dispatchers' free text become unreadable everywhere dispatch keeps them. Coordinates, district,
 * classification and times stay (they are what the ops figures and the map need). Run by
 * libs/runtime `startPersonalDataRetention`.
 */
import { REDACTED } from '@cad110/contracts';
import type { Sql } from '@cad110/db';
import { dropStaleSnapshots, redactPersonalFields } from '@cad110/eventstore';

/** Incidents whose stream is older than the cutoff ($1), as a condition on alias `x` with column `col` = the incident id. */
const stale = (col: string) => `EXISTS (SELECT 1 FROM streams s WHERE s.stream_id = 'incident-' || ${col}::text AND s.updated_at < $1::timestamptz)`;

/**
 * Redacts what was recorded before `cutoff`:
 * - `events`: the address of IncidentOpened, the text of IncidentNoteAdded, the note of IncidentClosed;
 * - `streams`: the incident streams' snapshots;
 * - `incidents` (read model): address and close note; `incident_notes`: the text.
 * @returns rows changed per place
 */
export async function redactDispatchPersonalData(tx: Sql, cutoff: Date): Promise<Record<string, number>> {
  const at = cutoff.toISOString();
  const events = await redactPersonalFields(tx, cutoff);
  const snapshots = await dropStaleSnapshots(tx, cutoff, ['incident']);
  const incidents = await tx.exec(
    `UPDATE incidents i SET address = NULL, close_note = CASE WHEN close_note IS NULL THEN NULL ELSE $2 END
     WHERE (i.address IS NOT NULL OR (i.close_note IS NOT NULL AND i.close_note <> $2)) AND ${stale('i.id')}`,
    [at, REDACTED],
  );
  const notes = await tx.exec(`UPDATE incident_notes n SET text = $2 WHERE n.text <> $2 AND ${stale('n.incident_id')}`, [at, REDACTED]);
  return { events, snapshots, incidents, notes };
}
