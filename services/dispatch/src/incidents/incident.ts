/**
 * The incident aggregate (警情 in dispatch): opened from a call handed to dispatch, units
 * assigned, reassigned away, closed when all its units have cleared, or cancelled.
 * Pure functions. Which units are still working an incident is the projection of the units'
 * own streams (their status), so commands that depend on it carry `activeUnitIds`, read in the
 * same transaction under the incident's row lock.
 */
import type { z } from 'zod';
import { CommandRejected } from '@cad110/contracts';
import type { IncidentCancelled, IncidentClosed, IncidentOpened, UnitDispatched, UnitReassigned, UnitsRecommended } from '@cad110/contracts';

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;

export type IncidentEvent =
  | { type: 'IncidentOpened'; data: Data<typeof IncidentOpened> }
  | { type: 'UnitsRecommended'; data: Data<typeof UnitsRecommended> }
  | { type: 'UnitDispatched'; data: Data<typeof UnitDispatched> }
  | { type: 'UnitReassigned'; data: Data<typeof UnitReassigned> }
  | { type: 'IncidentClosed'; data: Data<typeof IncidentClosed> }
  | { type: 'IncidentCancelled'; data: Data<typeof IncidentCancelled> };

export type IncidentLifecycle = 'none' | 'open' | 'closed' | 'cancelled';

export interface IncidentState {
  lifecycle: IncidentLifecycle;
  incidentId?: string;
  callId?: string;
  /** every unit ever dispatched to the incident */
  dispatchedUnits: string[];
  /** taxonomy subtype (on-scene limits of the timers) */
  subtype?: string;
  /** UTC ISO-8601 when it closed or was cancelled, and why */
  endedAt?: string;
  endReason?: string | null;
}

export const initialIncidentState: IncidentState = { lifecycle: 'none', dispatchedUnits: [] };

export function evolve(state: IncidentState, event: IncidentEvent): IncidentState {
  switch (event.type) {
    case 'IncidentOpened':
      return { ...state, lifecycle: 'open', incidentId: event.data.incidentId, callId: event.data.callId, subtype: event.data.subtype };
    case 'UnitDispatched':
      return state.dispatchedUnits.includes(event.data.unitId) ? state : { ...state, dispatchedUnits: [...state.dispatchedUnits, event.data.unitId] };
    case 'IncidentClosed':
      return { ...state, lifecycle: 'closed', endedAt: event.data.closedAt, endReason: event.data.reason ?? null };
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
/** Close by hand (e.g. resolved by phone); only when no unit is working it. */
export interface CloseIncident {
  type: 'CloseIncident';
  reason: string;
  at: string;
  activeUnitIds: readonly string[];
}

export type IncidentCommand = OpenIncident | AssignToIncident | ReleaseForReassignment | CloseIfAllCleared | CancelIncident | CloseIncident;

function mustBeOpen(state: IncidentState): void {
  if (state.lifecycle === 'none') throw new IncidentRejected('unknown-incident', 'the incident does not exist');
  if (state.lifecycle !== 'open') throw new IncidentRejected(`incident-${state.lifecycle}`, `incident ${state.incidentId} is ${state.lifecycle}`);
}

/**
 * Decides the events for a command.
 * @throws IncidentRejected when the incident is missing, closed or cancelled, the unit is already
 *   working it, or a manual close finds units still working it
 */
export function decide(command: IncidentCommand, state: IncidentState): IncidentEvent[] {
  switch (command.type) {
    case 'OpenIncident':
      if (state.lifecycle !== 'none') throw new IncidentRejected('incident-exists', `incident ${state.incidentId} exists`);
      return [
        { type: 'IncidentOpened', data: command.opened },
        { type: 'UnitsRecommended', data: command.recommended },
      ];
    case 'AssignToIncident':
      mustBeOpen(state);
      if (command.activeUnitIds.includes(command.unitId)) throw new IncidentRejected('already-assigned', `unit ${command.unitId} is already on incident ${state.incidentId}`);
      return [
        {
          type: 'UnitDispatched',
          data: { incidentId: state.incidentId!, callId: state.callId!, unitId: command.unitId, dispatchedAt: command.at, callSign: command.callSign, unitType: command.unitType },
        },
      ];
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
      return [{ type: 'IncidentClosed', data: { incidentId: state.incidentId!, callId: state.callId!, closedAt: command.at, reason: command.reason } }];
    default: {
      const _exhaustive: never = command;
      throw new IncidentRejected('unknown-command', `unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}
