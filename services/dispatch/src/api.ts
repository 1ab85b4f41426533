/**
 * What every slice's route table shares: roles, the `at` field of commands, path parameters and
 * the command answer. Times are UTC ISO-8601 with `Z`; distances metres; ETAs seconds;
 * coordinates WGS84 degrees.
 */
import { z } from 'zod';
import { IsoUtc } from '@cad110/contracts';

/** Roles that may read dispatch's views (admin may use every route). */
export const READ = ['dispatcher', 'supervisor', 'call_taker', 'analyst'] as const;
/** Roles that may dispatch units and change incidents. */
export const DISPATCH = ['dispatcher', 'supervisor'] as const;

/** `at` of a command: when it happened (late entry / replay); a time more than the clock-skew tolerance ahead of the service clock is refused (400). */
export const AtField = IsoUtc.optional().describe('UTC ISO-8601 time it happened (late entry / replay); default now; future times are refused');

/** `{unitId}` path parameter: a unit id (not a UUID: seed ids look like `OMP-3`). */
export const UnitIdParams = z.object({ unitId: z.string().min(1).max(64).describe('unit id, e.g. OMP-3') });

/** `{district}` path parameter: a district name (key used in events, e.g. `Precinct 3`). */
export const DistrictParams = z.object({ district: z.string().min(1).max(64).describe('district name, e.g. Precinct 3') });

/** Types of the events a command appended, in order. */
export const EventTypes = z.array(z.string()).describe('types of the events appended, in order (empty when nothing changed)');

/** A nullable UTC ISO-8601 instant of a response. */
export const Instant = z.string().describe('UTC ISO-8601 instant');
export const MaybeInstant = Instant.nullable();

/** `Date | null` → UTC ISO-8601 or null. */
export const isoOrNull = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
