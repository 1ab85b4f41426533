/**
 * The unit status lifecycle as the dispatcher's buttons need it, from the shared contract
 * (libs/contracts/src/unit-lifecycle.ts, a file with no imports, so the bundle takes only it).
 * Dispatch stays the authority: a refused transition answers 409 and the console shows that answer.
 */

import { ON_INCIDENT_STATUSES, REASSIGNABLE_STATUSES, UNIT_STATUSES, UNIT_TRANSITIONS, type UnitStatusName } from '@cad110/contracts/src/unit-lifecycle';

export { UNIT_STATUSES, type UnitStatusName };
/** Allowed transitions (from → to): the contract dispatch's decider enforces. */
export const TRANSITIONS = UNIT_TRANSITIONS;
/** Statuses a unit can be reassigned (改派) from to another incident. */
export const REASSIGNABLE = REASSIGNABLE_STATUSES;
/** Statuses in which a unit works an incident. */
export const ON_INCIDENT = ON_INCIDENT_STATUSES;

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
