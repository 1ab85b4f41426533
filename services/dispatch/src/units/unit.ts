/**
 * The unit aggregate: a patrol unit's status lifecycle (available → dispatched → en route →
 * on scene → transporting → cleared, out of service), its AVL position and its overdue alerts.
 * Pure functions: `evolve` folds events into state, `decide` turns a command into events or
 * throws {@link UnitRejected} (HTTP 409).
 */
import type { z } from 'zod';
import { CommandRejected, ON_INCIDENT_STATUSES, REASSIGNABLE_STATUSES, UNIT_STATUSES as CONTRACT_UNIT_STATUSES, UNIT_TRANSITIONS } from '@cad110/contracts';
import type {
  UnitOverdueAlerted,
  UnitPositionUpdated,
  UnitRegistered,
  UnitStatus,
  UnitStatusChanged,
} from '@cad110/contracts';

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;

export type UnitEvent =
  | { type: 'UnitRegistered'; data: Data<typeof UnitRegistered> }
  | { type: 'UnitStatusChanged'; data: Data<typeof UnitStatusChanged> }
  | { type: 'UnitPositionUpdated'; data: Data<typeof UnitPositionUpdated> }
  | { type: 'UnitOverdueAlerted'; data: Data<typeof UnitOverdueAlerted> };

export interface UnitState {
  registered: boolean;
  unitId?: string;
  /** from UnitRegistered: what the read models copy onto assignments */
  callSign?: string;
  unitType?: string;
  status: UnitStatus;
  /** UTC ISO time the current status began (null until the first status change) */
  statusSince: string | null;
  incidentId: string | null;
  callId: string | null;
  /** alerts raised in the current status episode */
  alertsInStatus: number;
  position: { lat: number; lon: number; at: string } | null;
}

export const initialUnitState: UnitState = { registered: false, status: 'available', statusSince: null, incidentId: null, callId: null, alertsInStatus: 0, position: null };

/** Every status. */
/** The lifecycle table is a contract shared with the console (libs/contracts/src/unit-lifecycle.ts). */
export const UNIT_STATUSES: readonly UnitStatus[] = CONTRACT_UNIT_STATUSES;

/**
 * Allowed status transitions (from → to). `dispatched` is entered only by an assignment
 * ({@link AssignUnit}, from available or cleared) or a reassignment ({@link ReassignUnit}, from
 * dispatched, en route or on scene, to another incident). Every other pair is rejected with 409.
 */
export const TRANSITIONS: Readonly<Record<UnitStatus, readonly UnitStatus[]>> = UNIT_TRANSITIONS;

/** Statuses a reassignment may take a unit from. */
export const REASSIGNABLE: readonly UnitStatus[] = REASSIGNABLE_STATUSES;
/** Statuses in which a unit is tied to an incident. */
export const ON_INCIDENT: readonly UnitStatus[] = ON_INCIDENT_STATUSES;

export function canTransition(from: UnitStatus, to: UnitStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function evolve(state: UnitState, event: UnitEvent): UnitState {
  switch (event.type) {
    case 'UnitRegistered':
      return { ...state, registered: true, unitId: event.data.unitId, callSign: event.data.callSign, unitType: event.data.type };
    case 'UnitStatusChanged': {
      const d = event.data;
      const onIncident = ON_INCIDENT.includes(d.to);
      return {
        ...state,
        status: d.to,
        statusSince: d.at,
        incidentId: onIncident ? (d.incidentId ?? state.incidentId) : null,
        callId: onIncident ? (d.callId ?? state.callId) : null,
        alertsInStatus: 0,
      };
    }
    case 'UnitPositionUpdated':
      return { ...state, position: { lat: event.data.lat, lon: event.data.lon, at: event.data.at } };
    case 'UnitOverdueAlerted':
      return { ...state, alertsInStatus: Math.max(state.alertsInStatus, event.data.sequence) };
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

/** The command cannot be applied in the unit's current state (HTTP 409): the one rejection error of libs/contracts. */
export { CommandRejected as UnitRejected };
const UnitRejected = CommandRejected;

export interface RegisterUnit {
  type: 'RegisterUnit';
  unit: Data<typeof UnitRegistered>;
}
/** Dispatch the unit to an incident (from available or cleared; the unit must be on duty). */
export interface AssignUnit {
  type: 'AssignUnit';
  incidentId: string;
  callId: string;
  at: string;
  onDuty: { onDuty: boolean; reason: string };
}
/** Take a busy unit to another incident (改派). */
export interface ReassignUnit {
  type: 'ReassignUnit';
  incidentId: string;
  callId: string;
  at: string;
}
/** A status report: en-route, on-scene, transporting, cleared, available, out-of-service. */
export interface ChangeUnitStatus {
  type: 'ChangeUnitStatus';
  to: UnitStatus;
  at: string;
  /** when given, the unit must be on this incident */
  incidentId?: string;
}
export interface UpdatePosition {
  type: 'UpdatePosition';
  lat: number;
  lon: number;
  at: string;
}
/** Raise an overdue alert for the current status episode (from the timers). */
export interface RaiseOverdue {
  type: 'RaiseOverdue';
  kind: 'not-en-route' | 'check-in-due';
  limitSeconds: number;
  sequence: number;
}

export type UnitCommand = RegisterUnit | AssignUnit | ReassignUnit | ChangeUnitStatus | UpdatePosition | RaiseOverdue;

function notBefore(state: UnitState, at: string): void {
  if (state.statusSince && at < state.statusSince) {
    throw new UnitRejected('time-before-last-change', `at ${at} is before the unit's last status change (${state.statusSince})`);
  }
}

function statusEvent(state: UnitState, to: UnitStatus, at: string, incident?: { incidentId: string; callId: string }): UnitEvent {
  const incidentId = incident?.incidentId ?? state.incidentId;
  const callId = incident?.callId ?? state.callId;
  return {
    type: 'UnitStatusChanged',
    data: { unitId: state.unitId!, from: state.status, to, at, ...(incidentId ? { incidentId } : {}), ...(callId ? { callId } : {}) },
  };
}

/**
 * Decides the events for a command.
 * @throws UnitRejected when the unit is unknown, the transition is not allowed, `at` is before
 *   the current status began, the unit is off duty, or it is on another incident than named
 */
export function decide(command: UnitCommand, state: UnitState): UnitEvent[] {
  if (command.type === 'RegisterUnit') {
    if (state.registered) throw new UnitRejected('unit-exists', `unit ${command.unit.unitId} is already registered`);
    return [{ type: 'UnitRegistered', data: command.unit }];
  }
  if (!state.registered) throw new UnitRejected('unknown-unit', 'the unit is not registered');
  switch (command.type) {
    case 'AssignUnit': {
      if (!canTransition(state.status, 'dispatched')) {
        throw new UnitRejected('not-free', `unit ${state.unitId} is ${state.status}${state.incidentId ? ` on incident ${state.incidentId}` : ''}; only available or cleared units can be dispatched (reassign busy units)`);
      }
      if (!command.onDuty.onDuty) throw new UnitRejected('off-duty', `unit ${state.unitId} is not on duty: ${command.onDuty.reason}`);
      notBefore(state, command.at);
      return [statusEvent(state, 'dispatched', command.at, command)];
    }
    case 'ReassignUnit': {
      if (!REASSIGNABLE.includes(state.status)) {
        throw new UnitRejected('not-reassignable', `unit ${state.unitId} is ${state.status}; only dispatched, en-route or on-scene units can be reassigned`);
      }
      if (state.incidentId === command.incidentId) throw new UnitRejected('same-incident', `unit ${state.unitId} is already on incident ${command.incidentId}`);
      notBefore(state, command.at);
      return [statusEvent(state, 'dispatched', command.at, command)];
    }
    case 'ChangeUnitStatus': {
      if (command.to === 'dispatched') throw new UnitRejected('use-assignment', 'dispatch a unit with POST /incidents/{id}/assignments');
      if (command.incidentId && command.incidentId !== state.incidentId) {
        throw new UnitRejected('other-incident', `unit ${state.unitId} is not on incident ${command.incidentId}`);
      }
      if (!canTransition(state.status, command.to)) {
        throw new UnitRejected('transition-not-allowed', `unit ${state.unitId} cannot go from ${state.status} to ${command.to}; allowed: ${TRANSITIONS[state.status].filter((s) => s !== 'dispatched').join(', ') || 'none'}`);
      }
      notBefore(state, command.at);
      return [statusEvent(state, command.to, command.at)];
    }
    case 'UpdatePosition':
      if (state.position && command.at < state.position.at) return []; // an older fix arriving late changes nothing
      return [{ type: 'UnitPositionUpdated', data: { unitId: state.unitId!, lat: command.lat, lon: command.lon, at: command.at } }];
    case 'RaiseOverdue': {
      const expected = command.kind === 'not-en-route' ? 'dispatched' : 'on-scene';
      if (state.status !== expected || !state.statusSince) throw new UnitRejected('not-overdue', `unit ${state.unitId} is ${state.status}, not ${expected}`);
      if (command.sequence <= state.alertsInStatus) throw new UnitRejected('already-alerted', `alert ${command.sequence} was already raised`);
      const dueAt = new Date(Date.parse(state.statusSince) + command.limitSeconds * 1000 * command.sequence).toISOString();
      return [
        {
          type: 'UnitOverdueAlerted',
          data: {
            unitId: state.unitId!,
            ...(state.incidentId ? { incidentId: state.incidentId } : {}),
            ...(state.callId ? { callId: state.callId } : {}),
            kind: command.kind,
            status: state.status,
            since: state.statusSince,
            dueAt,
            limitSeconds: command.limitSeconds,
            sequence: command.sequence,
          },
        },
      ];
    }
    default: {
      const _exhaustive: never = command;
      throw new UnitRejected('unknown-command', `unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}
