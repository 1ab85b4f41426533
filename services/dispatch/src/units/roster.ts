/**
 * The roster (排班) of a unit, by supervisors: take it out of service / return it, change its
 * shift window, set its crew (size and officers' names). Each is an event on the unit's stream
 * through the one command pipeline (libs/eventstore/src/command-handler.ts); the `units` row
 * changes in the same transaction, so the recommender (recommend/candidates.ts: only units
 * `in_service`, on shift at the district's duty level) and assignments (unit.ts `AssignUnit`:
 * 409 `not-in-service`) honour it at once.
 *
 * Officers' names are personal data: they are written to `unit_officers` in the command's
 * transaction and never put into an event (UnitCrewChanged carries only counts), a span or a log.
 * They are therefore dispatch's own record, not a projection: rebuilding read models from the
 * events keeps the table as it is.
 */
import type { ActingUser, OutOfServiceReason } from '@cad110/contracts';
import type { Sql } from '@cad110/db';
import { handleCommand, runCommand } from '@cad110/eventstore';
import { atOf, type DispatchContext } from '../context';
import { unitStream, unitStreamId } from './stream';
import { decide, type RosterCommand } from './unit';

/** What a roster change answers: the unit's new stream version and the events it appended. */
export interface RosterResult {
  unitId: string;
  version: number;
  events: string[];
}

/** A roster change as the API takes it (`at` optional: UTC ISO-8601, default now). */
export type RosterInput =
  | { type: 'TakeOutOfService'; reason: OutOfServiceReason; at?: string }
  | { type: 'ReturnToService'; at?: string }
  | { type: 'ChangeShift'; shift: { name: string; start: string; end: string }; at?: string }
  | { type: 'SetCrew'; crewSize: number; officers: string[]; at?: string };

/**
 * Applies one roster change to a unit.
 * @param ifMatch expected unit version (If-Match)
 * @throws NotFoundError (404), StaleVersionError (412), CommandRejected (409:
 *   `already-out-of-service`, `already-in-service`, `same-shift`), FutureTimeError (400)
 */
export async function changeRoster(ctx: DispatchContext, unitId: string, input: RosterInput, by: ActingUser, ifMatch?: number): Promise<RosterResult> {
  const at = atOf(ctx, input.at);
  const command: RosterCommand =
    input.type === 'SetCrew'
      ? { type: 'SetCrew', crewSize: input.crewSize, namedOfficers: input.officers.length, at }
      : input.type === 'ChangeShift'
        ? { type: 'ChangeShift', shift: input.shift, at }
        : input.type === 'TakeOutOfService'
          ? { type: 'TakeOutOfService', reason: input.reason, at }
          : { type: 'ReturnToService', at };
  const out = await runCommand(ctx.transaction, async (tx) => {
    const r = await handleCommand(tx, ctx.registry, unitStream(ctx), unitStreamId(unitId), (s) => decide(command, s), {
      by,
      occurredAt: at,
      what: `unit ${unitId}`,
      mustExist: true,
      ...(ifMatch !== undefined ? { expectedVersion: ifMatch } : {}),
    });
    if (input.type === 'SetCrew') await writeOfficers(tx, unitId, input.officers);
    return { unitId, version: r.version, events: r.envelopes.map((e) => e.type) };
  });
  ctx.published();
  return out;
}

/** Replaces a unit's named officers (in roster order) in the caller's transaction. */
async function writeOfficers(tx: Sql, unitId: string, officers: readonly string[]): Promise<void> {
  await tx.exec('DELETE FROM unit_officers WHERE unit_id = $1', [unitId]);
  if (officers.length === 0) return;
  await tx.exec('INSERT INTO unit_officers (unit_id, position, name) SELECT $1, o.ord::int, o.name FROM unnest($2::text[]) WITH ORDINALITY AS o(name, ord)', [unitId, officers]);
}

/** Every unit's officers' names in roster order (personal data: for supervisors and dispatchers only). */
export async function officersOf(tx: Sql): Promise<Map<string, string[]>> {
  const rows = await tx.query<{ unit_id: string; name: string }>('SELECT unit_id, name FROM unit_officers ORDER BY unit_id, position');
  const m = new Map<string, string[]>();
  for (const r of rows) m.set(r.unit_id, [...(m.get(r.unit_id) ?? []), r.name]);
  return m;
}
