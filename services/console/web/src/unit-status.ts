/**
 * The unit status lifecycle as the dispatcher's buttons need it. A copy of dispatch's decider
 * table (`services/dispatch/src/units/unit.ts` TRANSITIONS, checked equal by the unit test),
 * kept here so the SPA does not bundle server code. Dispatch stays the authority: a refused
 * transition answers 409 and the console shows that answer.
 */

/** Every unit status, in lifecycle order. */
export const UNIT_STATUSES = ['available', 'dispatched', 'en-route', 'on-scene', 'transporting', 'cleared', 'out-of-service'] as const;
export type UnitStatusName = (typeof UNIT_STATUSES)[number];

/** Allowed transitions (from → to), the same table as dispatch's. */
export const TRANSITIONS: Readonly<Record<UnitStatusName, readonly UnitStatusName[]>> = {
  available: ['dispatched', 'out-of-service'],
  dispatched: ['en-route', 'on-scene', 'cleared'],
  'en-route': ['on-scene', 'cleared'],
  'on-scene': ['transporting', 'cleared'],
  transporting: ['cleared'],
  cleared: ['available', 'dispatched', 'out-of-service'],
  'out-of-service': ['available'],
};

/** Statuses a unit can be reassigned (改派) from to another incident. */
export const REASSIGNABLE: readonly UnitStatusName[] = ['dispatched', 'en-route', 'on-scene'];

/** Statuses in which a unit works an incident. */
export const ON_INCIDENT: readonly UnitStatusName[] = ['dispatched', 'en-route', 'on-scene', 'transporting'];

/**
 * The status reports a dispatcher may make for a unit in `status` with one click
 * (`POST /units/{unitId}/status {status}`): the allowed transitions except `dispatched`, which
 * only an assignment enters. Unknown statuses give none.
 */
export function nextStatuses(status: string): UnitStatusName[] {
  const to = TRANSITIONS[status as UnitStatusName];
  return to ? to.filter((s) => s !== 'dispatched') : [];
}

/** Whether a unit in `status` may be taken to another incident with `reassign: true`. */
export function canReassign(status: string): boolean {
  return (REASSIGNABLE as readonly string[]).includes(status);
}
