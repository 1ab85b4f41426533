/**
 * The unit status lifecycle shared by dispatch (its decider enforces it, 409 otherwise) and the
 * console (which offers only the allowed moves). Plain data with no imports, so the browser
 * bundle can import this file alone: `@cad110/contracts/src/unit-lifecycle`.
 */

/** Every unit status, in lifecycle order (same values as the `UnitStatus` event schema). */
export const UNIT_STATUSES = ['available', 'dispatched', 'en-route', 'on-scene', 'transporting', 'cleared', 'out-of-service'] as const;
export type UnitStatusName = (typeof UNIT_STATUSES)[number];

/**
 * Allowed status transitions (from → to). `dispatched` is entered only by an assignment (from
 * available or cleared) or a reassignment (from dispatched, en route or on scene, to another
 * incident). Every other pair is refused.
 */
export const UNIT_TRANSITIONS: Readonly<Record<UnitStatusName, readonly UnitStatusName[]>> = {
  available: ['dispatched', 'out-of-service'],
  dispatched: ['en-route', 'on-scene', 'cleared'],
  'en-route': ['on-scene', 'cleared'],
  'on-scene': ['transporting', 'cleared'],
  transporting: ['cleared'],
  cleared: ['available', 'dispatched', 'out-of-service'],
  'out-of-service': ['available'],
};

/** Statuses a reassignment (改派) may take a unit from. */
export const REASSIGNABLE_STATUSES: readonly UnitStatusName[] = ['dispatched', 'en-route', 'on-scene'];

/** Statuses in which a unit is tied to an incident. */
export const ON_INCIDENT_STATUSES: readonly UnitStatusName[] = ['dispatched', 'en-route', 'on-scene', 'transporting'];
