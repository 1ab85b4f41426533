/**
 * Redaction of personal fields in stored events after the retention period (issue 19 item 6,
 * README "Personal data"): the "forgettable payload" of the event store. The event rows stay
 * (streams keep their versions, statistics and counts keep their inputs); only the fields that
 * libs/contracts `PERSONAL_FIELDS` names are overwritten in `data`.
 */
import { PERSONAL_FIELDS, REDACTED } from '@cad110/contracts';
import type { Sql } from '@cad110/db';

/** Where a table keeps event copies: its name and the columns of the type, data and record time. */
export interface EventTable {
  /** `events` (the event store) or a copy such as records' `timeline_entries` */
  table: string;
  /** column with the event type (default `type`) */
  typeColumn?: string;
  /** jsonb column with the event's data (default `data`) */
  dataColumn?: string;
  /** timestamptz column with when the event was recorded (default `recorded_at`) */
  timeColumn?: string;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
const ident = (s: string): string => {
  if (!IDENT.test(s)) throw new Error(`not a plain SQL identifier: ${s}`);
  return s;
};

/**
 * Overwrites the personal fields of every event in `where.table` recorded before `cutoff`: a
 * string becomes `"[redacted]"`, any other value (e.g. the SOP answers' array) is removed.
 * Idempotent (already redacted fields are not touched again); runs in the caller's transaction.
 * @returns the number of fields redacted now (one per event and path)
 * @throws Error when a table or column name is not a plain SQL identifier
 */
export async function redactPersonalFields(tx: Sql, cutoff: Date, where: EventTable = { table: 'events' }): Promise<number> {
  const t = ident(where.table);
  const type = ident(where.typeColumn ?? 'type');
  const data = ident(where.dataColumn ?? 'data');
  const time = ident(where.timeColumn ?? 'recorded_at');
  let n = 0;
  for (const [eventType, paths] of Object.entries(PERSONAL_FIELDS)) {
    for (const path of paths) {
      n += await tx.exec(
        `UPDATE ${t} SET ${data} = CASE WHEN jsonb_typeof(${data} #> $3::text[]) = 'string' THEN jsonb_set(${data}, $3::text[], to_jsonb($4::text)) ELSE ${data} #- $3::text[] END
         WHERE ${type} = $1 AND ${time} < $2::timestamptz AND ${data} #> $3::text[] IS NOT NULL AND ${data} #> $3::text[] <> to_jsonb($4::text)`,
        [eventType, cutoff.toISOString(), [...path], REDACTED],
      );
    }
  }
  return n;
}

/**
 * Drops the stored snapshots (`streams.snapshot`, which hold the folded state with its personal
 * fields) of the streams of `streamTypes` whose last append was before `cutoff`; the next command
 * on such a stream folds its (redacted) events from the start.
 * @returns the number of snapshots dropped
 */
export async function dropStaleSnapshots(tx: Sql, cutoff: Date, streamTypes: readonly string[]): Promise<number> {
  return tx.exec(
    `UPDATE streams SET snapshot = NULL, snapshot_version = NULL WHERE type = ANY($1::text[]) AND updated_at < $2::timestamptz AND snapshot IS NOT NULL`,
    [[...streamTypes], cutoff.toISOString()],
  );
}
