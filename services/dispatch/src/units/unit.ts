/**
 * The unit aggregate: a patrol unit's status lifecycle (available → dispatched → en route →
 * on scene → transporting → cleared, out of service), its AVL position and its overdue alerts.
 * Pure functions: `evolve` folds events into state, `decide` turns a command into events or
 * throws {@link UnitRejected} (HTTP 409).
 */
import type { z } from 'zod';
import { CommandRejected, ON_INCIDENT_STATUSES, REASSIGNABLE_STATUSES, UNIT_STATUSES as CONTRACT_UNIT_STATUSES, UNIT_TRANSITIONS } from '@cad110/contracts';
import type {
  OutOfServiceReason,
  UnitCrewChanged,
  UnitOverdueAcknowledged,
  UnitOverdueAlerted,
  UnitReturnedToService,
  UnitShiftChanged,
  UnitTakenOutOfService,
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
  | { type: 'UnitOverdueAlerted'; data: Data<typeof UnitOverdueAlerted> }
  | { type: 'UnitOverdueAcknowledged'; data: Data<typeof UnitOverdueAcknowledged> }
  | RosterEvent;

/** The roster's events on a unit stream (libs/contracts/src/events/roster.ts). */
export type RosterEvent =
  | { type: 'UnitTakenOutOfService'; data: Data<typeof UnitTakenOutOfService> }
  | { type: 'UnitReturnedToService'; data: Data<typeof UnitReturnedToService> }
  | { type: 'UnitShiftChanged'; data: Data<typeof UnitShiftChanged> }
  | { type: 'UnitCrewChanged'; data: Data<typeof UnitCrewChanged> };

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
  /** on the roster (排班): false after UnitTakenOutOfService until UnitReturnedToService */
  inService: boolean;
  outOfServiceReason?: OutOfServiceReason;
  /** the shift window in force (UnitRegistered, then UnitShiftChanged) */
  shift?: { name: string; start: string; end: string };
  crewSize?: number;
}

export const initialUnitState: UnitState = { registered: false, status: 'available', statusSince: null, incidentId: null, callId: null, alertsInStatus: 0, position: null, inService: true };

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
      return { ...state, registered: true, unitId: event.data.unitId, callSign: event.data.callSign, unitType: event.data.type, shift: event.data.shift, crewSize: event.data.crewSize };
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
    case 'UnitOverdueAcknowledged':
      return state;
    case 'UnitTakenOutOfService':
      return { ...state, inService: false, outOfServiceReason: event.data.reason };
    case 'UnitReturnedToService': {
      const { outOfServiceReason: _gone, ...rest } = state;
      return { ...rest, inService: true };
    }
    case 'UnitShiftChanged':
      return { ...state, shift: event.data.to };
    case 'UnitCrewChanged':
      return { ...state, crewSize: event.data.crewSize };
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

/**
 * A dispatcher acknowledges one of the unit's overdue alerts (as the alert list shows it, read
 * in the command's transaction); an alert already acknowledged decides nothing (idempotent).
 */
export interface AcknowledgeOverdue {
  type: 'AcknowledgeOverdue';
  alert: { alertId: string; kind: 'not-en-route' | 'check-in-due'; since: string; sequence: number; incidentId?: string | null; callId?: string | null; acknowledged: boolean };
  at: string;
}

/** Roster (排班): take the unit out of service with a reason code (supervisors). */
export interface TakeOutOfService {
  type: 'TakeOutOfService';
  reason: OutOfServiceReason;
  at: string;
}
/** Roster: return the unit to service. */
export interface ReturnToService {
  type: 'ReturnToService';
  at: string;
}
/** Roster: a new shift window (local HH:MM). */
export interface ChangeShift {
  type: 'ChangeShift';
  shift: { name: string; start: string; end: string };
  at: string;
}
/** Roster: the crew size and how many officers are named (the names are not in the event). */
export interface SetCrew {
  type: 'SetCrew';
  crewSize: number;
  namedOfficers: number;
  at: string;
}
export type RosterCommand = TakeOutOfService | ReturnToService | ChangeShift | SetCrew;

export type UnitCommand = RegisterUnit | AssignUnit | ReassignUnit | ChangeUnitStatus | UpdatePosition | RaiseOverdue | AcknowledgeOverdue | RosterCommand;

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
      if (!state.inService) throw new UnitRejected('not-in-service', `unit ${state.unitId} was taken out of service on the roster (${state.outOfServiceReason ?? 'other'})`);
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
    case 'AcknowledgeOverdue': {
      const a = command.alert;
      if (a.acknowledged) return [];
      return [
        {
          type: 'UnitOverdueAcknowledged',
          data: { unitId: state.unitId!, alertId: a.alertId, ...(a.incidentId ? { incidentId: a.incidentId } : {}), ...(a.callId ? { callId: a.callId } : {}), kind: a.kind, since: a.since, sequence: a.sequence, acknowledgedAt: command.at },
        },
      ];
    }
    case 'TakeOutOfService':
    case 'ReturnToService':
    case 'ChangeShift':
    case 'SetCrew':
      return decideRoster(command, state);
    default: {
      const _exhaustive: never = command;
      throw new UnitRejected('unknown-command', `unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}

/**
 * The roster's commands. A unit on an incident may be taken out of service: it finishes that
 * incident but is neither recommended nor assignable afterwards.
 * @throws UnitRejected `already-out-of-service`, `already-in-service`, `same-shift` (409); a crew
 *   change is always recorded (the names may change while the size stays)
 */
function decideRoster(command: RosterCommand, state: UnitState): UnitEvent[] {
  const unitId = state.unitId!;
  switch (command.type) {
    case 'TakeOutOfService':
      if (!state.inService) throw new UnitRejected('already-out-of-service', `unit ${unitId} is already out of service`);
      return [{ type: 'UnitTakenOutOfService', data: { unitId, reason: command.reason, at: command.at } }];
    case 'ReturnToService':
      if (state.inService) throw new UnitRejected('already-in-service', `unit ${unitId} is in service`);
      return [{ type: 'UnitReturnedToService', data: { unitId, at: command.at } }];
    case 'ChangeShift': {
      const from = state.shift ?? { name: '24h', start: '00:00', end: '24:00' };
      const to = command.shift;
      if (from.name === to.name && from.start === to.start && from.end === to.end) throw new UnitRejected('same-shift', `unit ${unitId} already works ${to.start}–${to.end}`);
      return [{ type: 'UnitShiftChanged', data: { unitId, from, to, at: command.at } }];
    }
    case 'SetCrew':
      return [{ type: 'UnitCrewChanged', data: { unitId, crewSize: command.crewSize, namedOfficers: command.namedOfficers, at: command.at } }];
  }
}
