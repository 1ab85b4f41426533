import { z } from 'zod';
import { IsoUtc } from '../envelope';
import { defineEvent } from '../registry';
import { ShiftWindow } from './dispatch';

/**
 * Roster (排班) events of dispatch's unit streams (`unit-<id>`): a supervisor takes a unit out of
 * service or returns it, changes its shift window, or sets its crew. Recommendations and manual
 * assignments honour them at once (services/dispatch/src/units/roster.ts). Officers' names never
 * appear here: they stay in dispatch's `unit_officers` table, written in the same transaction.
 */

/** Why a supervisor took a unit out of service (reason codes; the console words them). */
export const OutOfServiceReason = z.enum(['vehicle-repair', 'training', 'special-duty', 'staff-shortage', 'rest-day', 'other']);
export type OutOfServiceReason = z.infer<typeof OutOfServiceReason>;

/** A supervisor took a unit out of service on the roster: it is no longer recommended nor assignable. */
export const UnitTakenOutOfService = defineEvent({
  type: 'UnitTakenOutOfService',
  topic: 'dispatch',
  schema: z.object({ unitId: z.string().max(64), reason: OutOfServiceReason, at: IsoUtc }),
});

/** A supervisor returned a unit to service on the roster. */
export const UnitReturnedToService = defineEvent({
  type: 'UnitReturnedToService',
  topic: 'dispatch',
  schema: z.object({ unitId: z.string().max(64), at: IsoUtc }),
});

/** A supervisor changed a unit's shift window (local `HH:MM` in the bureau's zone). */
export const UnitShiftChanged = defineEvent({
  type: 'UnitShiftChanged',
  topic: 'dispatch',
  schema: z.object({ unitId: z.string().max(64), from: ShiftWindow, to: ShiftWindow, at: IsoUtc }),
});

/**
 * A supervisor set a unit's crew: its size (officers on board) and how many of them are named on
 * the roster. The names themselves stay in dispatch's store (personal data).
 */
export const UnitCrewChanged = defineEvent({
  type: 'UnitCrewChanged',
  topic: 'dispatch',
  schema: z.object({ unitId: z.string().max(64), crewSize: z.number().int().positive().max(200), namedOfficers: z.number().int().min(0).max(200), at: IsoUtc }),
});

export const ROSTER_EVENTS = [UnitTakenOutOfService, UnitReturnedToService, UnitShiftChanged, UnitCrewChanged] as const;
