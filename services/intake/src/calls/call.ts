/**
 * The call aggregate (接警): a 110 call from the moment it is answered until it is handed to
 * dispatch, linked as a duplicate, transferred, cancelled or closed. Pure functions only:
 * `evolve` folds events into state, `decide` turns a command and the current state into new
 * events or a rejection ({@link CallRejected}, HTTP 409).
 *
 * Life cycle (status):
 *
 *   new ─CreateCall─▶ open ─HandOverCall─▶ handed-to-dispatch ─CloseCall─▶ closed
 *                      │ ├─LinkAsDuplicate─▶ duplicate ──────────CloseCall─▶ closed
 *                      │ ├─TransferCall────▶ transferred ────────CloseCall─▶ closed
 *                      │ ├─CancelCall──────▶ cancelled   (final)
 *                      │ └─CloseCall (reason required) ───────────────────▶ closed
 *
 * Caller, location and classification may change while the call is open or handed to dispatch
 * (a reclassification after the handover emits CallClassified again; it needs a reason).
 */
import { CommandRejected } from '@cad110/contracts';
import type { z } from 'zod';
import {
  CallCancelled,
  CallClassified,
  CallClosed,
  CallConfirmedAsNew,
  CallerRecorded,
  CallHandedToDispatch,
  CallLinkedAsDuplicate,
  CallLocated,
  CallNarrativeAppended,
  CallReceived,
  CallTransferred,
  type EventEnvelope,
  type Location,
  type Taxonomy,
} from '@cad110/contracts';
import type { NewEvent } from '@cad110/eventstore';

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;

export type CallEvent =
  | { type: 'CallReceived'; data: Data<typeof CallReceived> }
  | { type: 'CallerRecorded'; data: Data<typeof CallerRecorded> }
  | { type: 'CallLocated'; data: Data<typeof CallLocated> }
  | { type: 'CallClassified'; data: Data<typeof CallClassified> }
  | { type: 'CallNarrativeAppended'; data: Data<typeof CallNarrativeAppended> }
  | { type: 'CallLinkedAsDuplicate'; data: Data<typeof CallLinkedAsDuplicate> }
  | { type: 'CallConfirmedAsNew'; data: Data<typeof CallConfirmedAsNew> }
  | { type: 'CallTransferred'; data: Data<typeof CallTransferred> }
  | { type: 'CallCancelled'; data: Data<typeof CallCancelled> }
  | { type: 'CallHandedToDispatch'; data: Data<typeof CallHandedToDispatch> }
  | { type: 'CallClosed'; data: Data<typeof CallClosed> };

export const CALL_STATUSES = ['open', 'handed-to-dispatch', 'duplicate', 'transferred', 'cancelled', 'closed'] as const;
export type CallStatus = 'new' | (typeof CALL_STATUSES)[number];

export type LocationWithSource = Location & { source: Data<typeof CallLocated>['source'] };

/**
 * The instants the standards measure (UTC ISO-8601), and the two intervals derived from them
 * (seconds). See services/intake/README.md "Timestamps".
 */
export interface CallTimings {
  ringingAt?: string;
  answeredAt?: string;
  createdAt?: string;
  /** first classification */
  classifiedAt?: string;
  handedAt?: string;
  closedAt?: string;
  /** NENA-STA-020 call answer time: answeredAt − ringingAt (only when telephony gave ringingAt) */
  answerSeconds?: number;
  /** NFPA 1225 alarm processing time: handedAt − answeredAt (only once handed to dispatch) */
  processingSeconds?: number;
}

export interface CallState {
  status: CallStatus;
  callId?: string;
  channel?: string;
  timings: CallTimings;
  location?: LocationWithSource;
  classification?: Omit<Data<typeof CallClassified>, 'callId' | 'classifiedAt'>;
  hasCaller: boolean;
  narrativeEntries: number;
  duplicateOf?: { callId?: string; incidentId?: string };
  transferredTo?: Data<typeof CallTransferred>['to'];
  cancelReason?: Data<typeof CallCancelled>['reason'];
  externalRef?: { source: string; id: string };
}

export const initialCallState: CallState = { status: 'new', timings: {}, hasCaller: false, narrativeEntries: 0 };

const seconds = (from?: string, to?: string) => (from && to ? Math.round(Date.parse(to) - Date.parse(from)) / 1000 : undefined);

function withIntervals(t: CallTimings): CallTimings {
  const answerSeconds = seconds(t.ringingAt, t.answeredAt);
  const processingSeconds = seconds(t.answeredAt, t.handedAt);
  return { ...t, ...(answerSeconds !== undefined ? { answerSeconds } : {}), ...(processingSeconds !== undefined ? { processingSeconds } : {}) };
}

/** Folds one event into the state. */
export function evolve(state: CallState, event: CallEvent): CallState {
  switch (event.type) {
    case 'CallReceived': {
      const d = event.data;
      return {
        ...state,
        status: 'open',
        callId: d.callId,
        channel: d.channel,
        externalRef: d.externalRef,
        timings: withIntervals({ ...(d.ringingAt ? { ringingAt: d.ringingAt } : {}), answeredAt: d.answeredAt, createdAt: d.createdAt }),
      };
    }
    case 'CallerRecorded':
      return { ...state, hasCaller: state.hasCaller || !!event.data.callerNumber || !!event.data.callerNumberMasked || !!event.data.callerName };
    case 'CallLocated': {
      const { callId: _c, ...location } = event.data;
      return { ...state, location };
    }
    case 'CallClassified': {
      const { callId: _c, classifiedAt, ...classification } = event.data;
      return { ...state, classification, timings: state.timings.classifiedAt ? state.timings : { ...state.timings, classifiedAt } };
    }
    case 'CallNarrativeAppended':
      return { ...state, narrativeEntries: state.narrativeEntries + 1 };
    case 'CallLinkedAsDuplicate': {
      const d = event.data;
      return {
        ...state,
        status: 'duplicate',
        duplicateOf: { ...(d.duplicateOfCallId ? { callId: d.duplicateOfCallId } : {}), ...(d.duplicateOfIncidentId ? { incidentId: d.duplicateOfIncidentId } : {}) },
      };
    }
    case 'CallConfirmedAsNew':
      return state;
    case 'CallTransferred':
      return { ...state, status: 'transferred', transferredTo: event.data.to };
    case 'CallCancelled':
      return { ...state, status: 'cancelled', cancelReason: event.data.reason };
    case 'CallHandedToDispatch':
      return { ...state, status: 'handed-to-dispatch', timings: withIntervals({ ...state.timings, handedAt: event.data.handedAt }) };
    case 'CallClosed':
      return { ...state, status: 'closed', timings: { ...state.timings, closedAt: event.data.closedAt } };
    default: {
      const _exhaustive: never = event;
      void _exhaustive;
      return state;
    }
  }
}

/** Folds stored envelopes (already upcast) into the state. */
export function foldCall(events: readonly EventEnvelope[]): CallState {
  return events.reduce((s, e) => evolve(s, e as unknown as CallEvent), initialCallState);
}

/** The command cannot be applied in the call's current state (HTTP 409 problem+json with `code`). */
export { CommandRejected as CallRejected };
const CallRejected = CommandRejected;

// ---------------------------------------------------------------------------------------------
// Commands. Each carries the call id and `now` (server time, UTC ISO-8601).

interface CommandBase {
  callId: string;
  now: string;
  /** user id of the acting user (recorded in CallClassified.classifiedBy) */
  by?: string;
}

export interface ClassificationInput {
  subtype: string;
  /** must match the subtype's category when given */
  category?: string;
  /** 1 (most urgent) .. 4; default the subtype's default priority */
  priority?: number;
  kind?: 'report' | 'help' | 'complaint';
  reason?: string;
  sourceCode?: string;
}

export interface CreateCall extends CommandBase {
  type: 'CreateCall';
  channel: Data<typeof CallReceived>['channel'];
  ringingAt?: string;
  answeredAt?: string;
  /** when the record was created in CAD (default now; replays give the source time) */
  createdAt?: string;
  /** when the call went to dispatch (default now; replays give the source time) */
  handedAt?: string;
  caller?: { number?: string; name?: string };
  location?: LocationWithSource;
  classification?: ClassificationInput;
  narrative?: string;
  /** SOP answers kept as data (with the narrative entry) */
  sopAnswers?: { index: number; question: string; answer: string }[];
  handToDispatch?: boolean;
  externalRef?: { source: string; id: string };
}

export interface RecordCaller extends CommandBase {
  type: 'RecordCaller';
  number?: string;
  name?: string;
}

export interface LocateCall extends CommandBase {
  type: 'LocateCall';
  location: LocationWithSource;
}

export interface ClassifyCall extends CommandBase {
  type: 'ClassifyCall';
  classification: ClassificationInput;
}

export interface AppendNarrative extends CommandBase {
  type: 'AppendNarrative';
  text: string;
}

/** What the service knows about the call a duplicate link points to (read in the same transaction). */
export interface DuplicateTarget {
  callId: string;
  status: CallStatus;
  duplicateOf?: string | null;
}

export interface LinkAsDuplicate extends CommandBase {
  type: 'LinkAsDuplicate';
  duplicateOfCallId: string;
  /** the target call as stored, or null when no such call exists */
  target: DuplicateTarget | null;
  reason: string;
  distanceMetres?: number;
  secondsApart?: number;
  score?: number;
  matchedOn?: string[];
}

export interface ConfirmAsNew extends CommandBase {
  type: 'ConfirmAsNew';
  candidateCallIds: string[];
  reason?: string;
}

export interface TransferCall extends CommandBase {
  type: 'TransferCall';
  to: Data<typeof CallTransferred>['to'];
  agency?: string;
  reason?: string;
}

export interface CancelCall extends CommandBase {
  type: 'CancelCall';
  reason: Data<typeof CallCancelled>['reason'];
  note?: string;
}

export interface HandOverCall extends CommandBase {
  type: 'HandOverCall';
}

export interface CloseCall extends CommandBase {
  type: 'CloseCall';
  reason?: string;
}

export type CallCommand =
  | CreateCall
  | RecordCaller
  | LocateCall
  | ClassifyCall
  | AppendNarrative
  | LinkAsDuplicate
  | ConfirmAsNew
  | TransferCall
  | CancelCall
  | HandOverCall
  | CloseCall;

export interface DecideContext {
  taxonomy: Taxonomy;
}

/**
 * Decides the events for a command.
 * @returns the new events (latest schema versions), in order
 * @throws CallRejected when the command is not allowed in `state`; `code` says why
 *   (`no-such-call`, `call-exists`, `call-<status>`, `unclassified`, `already-handed-over`,
 *   `self-link`, `unknown-target`, `target-is-duplicate`, `reason-required`, `agency-required`,
 *   `note-required`, `unknown-subtype`, `category-mismatch`, `ringing-after-answer`)
 */
export function decide(command: CallCommand, state: CallState, ctx: DecideContext): NewEvent[] {
  switch (command.type) {
    case 'CreateCall':
      return decideCreate(command, state, ctx);
    case 'RecordCaller':
      requireStatus(state, command, ['open', 'handed-to-dispatch'], 'record the caller of');
      return [{ type: 'CallerRecorded', occurredAt: command.now, data: { callId: command.callId, ...(command.number ? { callerNumber: command.number } : {}), ...(command.name ? { callerName: command.name } : {}) } }];
    case 'LocateCall':
      requireStatus(state, command, ['open', 'handed-to-dispatch'], 'locate');
      return [{ type: 'CallLocated', occurredAt: command.now, data: { callId: command.callId, ...command.location } }];
    case 'ClassifyCall': {
      requireStatus(state, command, ['open', 'handed-to-dispatch'], 'classify');
      if (state.classification && !command.classification.reason) {
        throw new CallRejected('reason-required', `call ${command.callId} is already classified as ${state.classification.subtype}: a reclassification needs a reason`);
      }
      const data = classify(command.callId, command.classification, command.now, ctx.taxonomy, command.by);
      const prev = state.classification;
      return [{ type: 'CallClassified', occurredAt: command.now, data: { ...data, ...(prev ? { previousSubtype: prev.subtype, previousPriority: prev.priority } : {}) } }];
    }
    case 'AppendNarrative':
      requireStatus(state, command, ['open', 'handed-to-dispatch', 'duplicate', 'transferred'], 'add a narrative to');
      return [{ type: 'CallNarrativeAppended', occurredAt: command.now, data: { callId: command.callId, text: command.text } }];
    case 'LinkAsDuplicate':
      return decideLink(command, state);
    case 'ConfirmAsNew':
      requireStatus(state, command, ['open', 'handed-to-dispatch'], 'confirm as new');
      if (command.candidateCallIds.includes(command.callId)) throw new CallRejected('self-link', 'a call is not a candidate duplicate of itself');
      return [
        {
          type: 'CallConfirmedAsNew',
          occurredAt: command.now,
          data: { callId: command.callId, candidateCallIds: command.candidateCallIds, ...(command.reason ? { reason: command.reason } : {}), confirmedAt: command.now },
        },
      ];
    case 'TransferCall':
      requireOpen(state, command, 'transfer');
      if (command.to === 'other-agency' && !command.agency) throw new CallRejected('agency-required', 'a transfer to another agency must name the agency');
      return [
        {
          type: 'CallTransferred',
          occurredAt: command.now,
          data: { callId: command.callId, to: command.to, ...(command.agency ? { agency: command.agency } : {}), ...(command.reason ? { reason: command.reason } : {}), transferredAt: command.now },
        },
      ];
    case 'CancelCall':
      requireOpen(state, command, 'cancel');
      if (command.reason === 'other' && !command.note) throw new CallRejected('note-required', 'a cancellation for reason "other" needs a note');
      return [{ type: 'CallCancelled', occurredAt: command.now, data: { callId: command.callId, reason: command.reason, ...(command.note ? { note: command.note } : {}), cancelledAt: command.now } }];
    case 'HandOverCall': {
      requireOpen(state, command, 'hand over');
      if (!state.classification) throw new CallRejected('unclassified', 'a call must be classified before it is handed to dispatch');
      return [handOver(command.callId, command.now, state.timings.answeredAt ?? command.now, state.classification, state.location, state.externalRef)];
    }
    case 'CloseCall': {
      requireStatus(state, command, ['open', 'handed-to-dispatch', 'duplicate', 'transferred'], 'close');
      if (state.status === 'open' && !command.reason) {
        throw new CallRejected('reason-required', 'closing a call that was never handed to dispatch needs a reason');
      }
      return [{ type: 'CallClosed', occurredAt: command.now, data: { callId: command.callId, closedAt: command.now, ...(command.reason ? { reason: command.reason } : {}) } }];
    }
    default: {
      const _exhaustive: never = command;
      throw new CallRejected('unknown-command', `unknown command ${JSON.stringify(_exhaustive)}`);
    }
  }
}

function requireStatus(state: CallState, c: CommandBase, allowed: CallStatus[], verb: string): void {
  if (state.status === 'new') throw new CallRejected('no-such-call', `call ${c.callId} does not exist`);
  if (!allowed.includes(state.status)) {
    throw new CallRejected(`call-${state.status}`, `call ${c.callId} is ${state.status}: cannot ${verb} it`);
  }
}

function requireOpen(state: CallState, c: CommandBase, verb: string): void {
  if (state.status === 'handed-to-dispatch') throw new CallRejected('already-handed-over', `call ${c.callId} was already handed to dispatch: dispatch owns it now (${verb} refused)`);
  requireStatus(state, c, ['open'], verb);
}

function classify(callId: string, c: ClassificationInput, at: string, taxonomy: Taxonomy, by?: string): Data<typeof CallClassified> {
  const sub = taxonomy.subtype(c.subtype);
  if (!sub) throw new CallRejected('unknown-subtype', `unknown subtype ${c.subtype}`);
  if (c.category && c.category !== sub.category) throw new CallRejected('category-mismatch', `subtype ${sub.code} belongs to category ${sub.category}, not ${c.category}`);
  return {
    callId,
    kind: c.kind ?? sub.kind,
    category: sub.category,
    subtype: sub.code,
    priority: c.priority ?? sub.defaultPriority,
    flags: sub.flags,
    taxonomyVersion: taxonomy.version,
    classifiedAt: at,
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.sourceCode ? { sourceCode: c.sourceCode } : {}),
    ...(by ? { classifiedBy: by } : {}),
  };
}

function handOver(
  callId: string,
  handedAt: string,
  answeredAt: string,
  cl: NonNullable<CallState['classification']>,
  location: LocationWithSource | undefined,
  externalRef: { source: string; id: string } | undefined,
): NewEvent {
  return {
    type: 'CallHandedToDispatch',
    occurredAt: handedAt,
    data: {
      callId,
      handedAt,
      answeredAt,
      kind: cl.kind,
      category: cl.category,
      subtype: cl.subtype,
      priority: cl.priority,
      flags: cl.flags,
      location: location ? stripSource(location) : {},
      ...(externalRef ? { externalRef } : {}),
    },
  };
}

function decideLink(c: LinkAsDuplicate, state: CallState): NewEvent[] {
  if (c.duplicateOfCallId === c.callId) throw new CallRejected('self-link', 'a call cannot be linked as a duplicate of itself');
  requireOpen(state, c, 'link as duplicate');
  if (!c.target) throw new CallRejected('unknown-target', `call ${c.duplicateOfCallId} does not exist`);
  if (c.target.status === 'duplicate' || c.target.duplicateOf) {
    throw new CallRejected('target-is-duplicate', `call ${c.duplicateOfCallId} is itself a duplicate of ${c.target.duplicateOf ?? 'another call'}: link to that call instead`);
  }
  if (c.target.status === 'cancelled') throw new CallRejected('target-cancelled', `call ${c.duplicateOfCallId} was cancelled`);
  return [
    {
      type: 'CallLinkedAsDuplicate',
      occurredAt: c.now,
      data: {
        callId: c.callId,
        duplicateOfCallId: c.duplicateOfCallId,
        reason: c.reason,
        ...(c.distanceMetres !== undefined ? { distanceMetres: c.distanceMetres } : {}),
        ...(c.secondsApart !== undefined ? { secondsApart: c.secondsApart } : {}),
        ...(c.score !== undefined ? { score: c.score } : {}),
        ...(c.matchedOn?.length ? { matchedOn: c.matchedOn } : {}),
        linkedAt: c.now,
      },
    },
  ];
}

function decideCreate(c: CreateCall, state: CallState, { taxonomy }: DecideContext): NewEvent[] {
  if (state.status !== 'new') throw new CallRejected('call-exists', `call ${c.callId} already exists`);
  const answeredAt = c.answeredAt ?? c.now;
  if (c.ringingAt && c.ringingAt > answeredAt) throw new CallRejected('ringing-after-answer', 'ringingAt is later than answeredAt');
  const events: NewEvent[] = [
    {
      type: 'CallReceived',
      occurredAt: answeredAt,
      data: { callId: c.callId, channel: c.channel, ...(c.ringingAt ? { ringingAt: c.ringingAt } : {}), answeredAt, createdAt: c.createdAt ?? c.now, ...(c.externalRef ? { externalRef: c.externalRef } : {}) },
    },
  ];
  if (c.caller && (c.caller.number || c.caller.name)) {
    events.push({ type: 'CallerRecorded', occurredAt: answeredAt, data: { callId: c.callId, ...(c.caller.number ? { callerNumber: c.caller.number } : {}), ...(c.caller.name ? { callerName: c.caller.name } : {}) } });
  }
  if (c.location) {
    events.push({ type: 'CallLocated', occurredAt: answeredAt, data: { callId: c.callId, ...c.location } });
  }
  let classified: Data<typeof CallClassified> | undefined;
  if (c.classification) {
    classified = classify(c.callId, c.classification, c.createdAt ?? c.now, taxonomy, c.by);
    events.push({ type: 'CallClassified', occurredAt: answeredAt, data: classified });
  }
  const sop = c.sopAnswers?.length ? c.sopAnswers : undefined;
  const text = c.narrative ?? sop?.map((a) => `${a.question} ${a.answer}`).join('\n');
  if (text) events.push({ type: 'CallNarrativeAppended', occurredAt: answeredAt, data: { callId: c.callId, text, ...(sop ? { sopAnswers: sop } : {}) } });
  if (c.handToDispatch) {
    if (!classified) throw new CallRejected('unclassified', 'a call must be classified before it is handed to dispatch');
    const { callId: _c, classifiedAt: _t, ...cl } = classified;
    events.push(handOver(c.callId, c.handedAt ?? c.now, answeredAt, cl, c.location, c.externalRef));
  }
  return events;
}

function stripSource(l: Location & { source?: string }): Location {
  const { source: _s, ...rest } = l;
  return rest;
}
