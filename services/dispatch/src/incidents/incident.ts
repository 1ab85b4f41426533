/**
 * The incident aggregate (警情 in dispatch): opened from a call handed to dispatch, units
 * assigned, reassigned away, closed when all its units have cleared, reopened when a unit is
 * dispatched to it after it closed (IncidentReopened, then UnitDispatched), or cancelled;
 * dispatchers add notes, change its priority with a reason and link it as the duplicate of another
 * incident (a pending one is then closed with disposition `duplicate`).
 * Pure functions. Which units are still working an incident is the projection of the units'
 * own streams (their status), so commands that depend on it carry `activeUnitIds`, read in the
 * same transaction under the incident's row lock.
 */
import type { z } from 'zod';
import { CommandRejected } from '@cad110/contracts';
import type { IncidentCancelled, IncidentClosed, IncidentDisposition, IncidentLinkedAsDuplicate, IncidentNoteAdded, IncidentOpened, IncidentPriorityChanged, IncidentReopened, UnitDispatched, UnitReassigned, UnitsRecommended } from '@cad110/contracts';

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;

export type IncidentEvent =
  | { type: 'IncidentOpened'; data: Data<typeof IncidentOpened> }
  | { type: 'UnitsRecommended'; data: Data<typeof UnitsRecommended> }
  | { type: 'UnitDispatched'; data: Data<typeof UnitDispatched> }
  | { type: 'UnitReassigned'; data: Data<typeof UnitReassigned> }
  | { type: 'IncidentClosed'; data: Data<typeof IncidentClosed> }
  | { type: 'IncidentReopened'; data: Data<typeof IncidentReopened> }
  | { type: 'IncidentCancelled'; data: Data<typeof IncidentCancelled> }
  | { type: 'IncidentNoteAdded'; data: Data<typeof IncidentNoteAdded> }
  | { type: 'IncidentPriorityChanged'; data: Data<typeof IncidentPriorityChanged> }
  | { type: 'IncidentLinkedAsDuplicate'; data: Data<typeof IncidentLinkedAsDuplicate> };

export type IncidentLifecycle = 'none' | 'open' | 'closed' | 'cancelled';

export interface IncidentState {
  lifecycle: IncidentLifecycle;
  incidentId?: string;
  callId?: string;
  /** every unit ever dispatched to the incident */
  dispatchedUnits: string[];
  /** taxonomy subtype (on-scene limits of the timers) */
  subtype?: string;
  /** 1 (most urgent) to 4: from IncidentOpened, then IncidentPriorityChanged */
  priority?: number;
  /** the incident this one duplicates (IncidentLinkedAsDuplicate) */
  duplicateOf?: string;
  /** UTC ISO-8601 when it closed or was cancelled, and why */
  endedAt?: string;
  endReason?: string | null;
}

export const initialIncidentState: IncidentState = { lifecycle: 'none', dispatchedUnits: [] };

export function evolve(state: IncidentState, event: IncidentEvent): IncidentState {
  switch (event.type) {
    case 'IncidentOpened':
      return { ...state, lifecycle: 'open', incidentId: event.data.incidentId, callId: event.data.callId, subtype: event.data.subtype, priority: event.data.priority };
    case 'IncidentPriorityChanged':
      return { ...state, priority: event.data.to };
    case 'IncidentNoteAdded':
      return state;
    case 'IncidentLinkedAsDuplicate':
      return { ...state, duplicateOf: event.data.duplicateOf };
    case 'UnitDispatched':
      return state.dispatchedUnits.includes(event.data.unitId) ? state : { ...state, dispatchedUnits: [...state.dispatchedUnits, event.data.unitId] };
    case 'IncidentClosed':
      return { ...state, lifecycle: 'closed', endedAt: event.data.closedAt, endReason: event.data.reason ?? null };
    case 'IncidentReopened':
      return { ...state, lifecycle: 'open', endedAt: undefined, endReason: undefined };
    case 'IncidentCancelled':
      return { ...state, lifecycle: 'cancelled', endedAt: event.data.cancelledAt, endReason: event.data.reason };
    case 'UnitsRecommended':
    case 'UnitReassigned':
      return state;
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

/** The command cannot be applied to the incident in its current state (HTTP 409): the one rejection error of libs/contracts. */
export { CommandRejected as IncidentRejected };
const IncidentRejected = CommandRejected;

export interface OpenIncident {
  type: 'OpenIncident';
  opened: Data<typeof IncidentOpened>;
  recommended: Data<typeof UnitsRecommended>;
}
export interface AssignToIncident {
  type: 'AssignToIncident';
  unitId: string;
  callSign: string;
  unitType: string;
  at: string;
  activeUnitIds: readonly string[];
}
/** The unit leaves this incident for another one (reassignment). */
export interface ReleaseForReassignment {
  type: 'ReleaseForReassignment';
  unitId: string;
  toIncidentId: string;
  toCallId: string;
  at: string;
}
/** After a unit cleared: close when no unit is still working the incident. */
export interface CloseIfAllCleared {
  type: 'CloseIfAllCleared';
  at: string;
  activeUnitIds: readonly string[];
}
export interface CancelIncident {
  type: 'CancelIncident';
  reason: string;
  at: string;
}
/**
 * Close by hand (e.g. 电话处置 resolved by phone); only when no unit is working it. With a
 * disposition the event's `reason` is the disposition code unless a reason is given.
 */
export interface CloseIncident {
  type: 'CloseIncident';
  reason?: string;
  disposition?: IncidentDisposition;
  note?: string;
  at: string;
  activeUnitIds: readonly string[];
}

/** A dispatcher's note: on an open, closed or cancelled incident (a call-back after the close is noted too). */
export interface AddNote {
  type: 'AddNote';
  text: string;
  at: string;
}
/** A priority change with its reason: only while the incident is open, to another priority. */
export interface ChangePriority {
  type: 'ChangePriority';
  priority: number;
  reason: string;
  at: string;
}

/**
 * Link as the duplicate of another (existing, other) incident: only while open and not yet
 * linked; with no unit working it (pending) the incident is also closed (disposition `duplicate`).
 */
export interface LinkAsDuplicate {
  type: 'LinkAsDuplicate';
  duplicateOf: string;
  duplicateOfCallId: string;
  reason?: string;
  at: string;
  activeUnitIds: readonly string[];
}

export type IncidentCommand = OpenIncident | AssignToIncident | ReleaseForReassignment | CloseIfAllCleared | CancelIncident | CloseIncident | AddNote | ChangePriority | LinkAsDuplicate;

function mustBeOpen(state: IncidentState): void {
  if (state.lifecycle === 'none') throw new IncidentRejected('unknown-incident', 'the incident does not exist');
  if (state.lifecycle !== 'open') throw new IncidentRejected(`incident-${state.lifecycle}`, `incident ${state.incidentId} is ${state.lifecycle}`);
}

/**
 * Decides the events for a command.
 * A unit assigned to a closed incident reopens it (IncidentReopened before the UnitDispatched).
 * A note is taken in every lifecycle but `none` (a call-back after the close is noted too).
 * @throws IncidentRejected when the incident is missing or cancelled (or closed, for every
 *   command but an assignment or a note), the unit is already working it, a manual close finds
 *   units still working it, a priority change names the current priority (`same-priority`), or
 *   a link names the incident itself (`self-link`) or the incident is already linked (`already-linked`)
 */
export function decide(command: IncidentCommand, state: IncidentState): IncidentEvent[] {
  switch (command.type) {
    case 'OpenIncident':
      if (state.lifecycle !== 'none') throw new IncidentRejected('incident-exists', `incident ${state.incidentId} exists`);
      return [
        { type: 'IncidentOpened', data: command.opened },
        { type: 'UnitsRecommended', data: command.recommended },
      ];
    case 'AssignToIncident': {
      const reopen = state.lifecycle === 'closed';
      if (!reopen) mustBeOpen(state);
      if (command.activeUnitIds.includes(command.unitId)) throw new IncidentRejected('already-assigned', `unit ${command.unitId} is already on incident ${state.incidentId}`);
      const reopened: IncidentEvent[] = reopen
        ? [{ type: 'IncidentReopened', data: { incidentId: state.incidentId!, callId: state.callId!, reopenedAt: command.at, reason: `unit ${command.callSign} dispatched after the incident closed`, unitId: command.unitId } }]
        : [];
      return [
        ...reopened,
        {
          type: 'UnitDispatched',
          data: { incidentId: state.incidentId!, callId: state.callId!, unitId: command.unitId, dispatchedAt: command.at, callSign: command.callSign, unitType: command.unitType },
        },
      ];
    }
    case 'ReleaseForReassignment':
      mustBeOpen(state);
      return [{ type: 'UnitReassigned', data: { unitId: command.unitId, callId: state.callId!, fromIncidentId: state.incidentId!, fromCallId: state.callId!, toIncidentId: command.toIncidentId, toCallId: command.toCallId, at: command.at } }];
    case 'CloseIfAllCleared':
      if (state.lifecycle !== 'open' || command.activeUnitIds.length > 0 || state.dispatchedUnits.length === 0) return [];
      return [{ type: 'IncidentClosed', data: { incidentId: state.incidentId!, callId: state.callId!, closedAt: command.at, reason: 'all units cleared' } }];
    case 'CancelIncident':
      mustBeOpen(state);
      return [{ type: 'IncidentCancelled', data: { incidentId: state.incidentId!, callId: state.callId!, cancelledAt: command.at, reason: command.reason } }];
    case 'CloseIncident':
      mustBeOpen(state);
      if (command.activeUnitIds.length) throw new IncidentRejected('units-working', `units still on the incident: ${command.activeUnitIds.join(', ')}; clear them first`);
      return [
        {
          type: 'IncidentClosed',
          data: {
            incidentId: state.incidentId!,
            callId: state.callId!,
            closedAt: command.at,
            reason: command.reason ?? command.disposition ?? 'closed by hand',
            ...(command.disposition ? { disposition: command.disposition } : {}),
            ...(command.note ? { note: command.note } : {}),
          },
        },
      ];
    case 'AddNote':
      if (state.lifecycle === 'none') throw new IncidentRejected('unknown-incident', 'the incident does not exist');
      return [{ type: 'IncidentNoteAdded', data: { incidentId: state.incidentId!, callId: state.callId!, text: command.text, addedAt: command.at } }];
    case 'ChangePriority':
      mustBeOpen(state);
      if (state.priority === command.priority) throw new IncidentRejected('same-priority', `incident ${state.incidentId} is already priority ${command.priority}`);
      return [{ type: 'IncidentPriorityChanged', data: { incidentId: state.incidentId!, callId: state.callId!, from: state.priority!, to: command.priority, reason: command.reason, changedAt: command.at } }];
    case 'LinkAsDuplicate': {
      mustBeOpen(state);
      if (command.duplicateOf === state.incidentId) throw new IncidentRejected('self-link', 'an incident cannot duplicate itself');
      if (state.duplicateOf) throw new IncidentRejected('already-linked', `incident ${state.incidentId} is already linked as the duplicate of ${state.duplicateOf}`);
      const base = { incidentId: state.incidentId!, callId: state.callId! };
      const linked: IncidentEvent = { type: 'IncidentLinkedAsDuplicate', data: { ...base, duplicateOf: command.duplicateOf, duplicateOfCallId: command.duplicateOfCallId, reason: command.reason ?? null, linkedAt: command.at } };
      if (command.activeUnitIds.length) return [linked];
      return [linked, { type: 'IncidentClosed', data: { ...base, closedAt: command.at, reason: 'duplicate', disposition: 'duplicate', note: `duplicate of incident ${command.duplicateOf}` } }];
    }
    default: {
      const _exhaustive: never = command;
      throw new IncidentRejected('unknown-command', `unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}
