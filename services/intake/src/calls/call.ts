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
import { withServiceArea } from '@cad110/geo';
import type { EventEnvelope, Taxonomy } from '@cad110/contracts';
import type { NewEvent } from '@cad110/eventstore';
import type { CallCommand, CommandBase, LinkAsDuplicate } from './commands';
import { classify, decideCreate, handOver } from './create';

export * from './state';
import { initialCallState, type CallEvent, type CallState, type CallStatus, type CallTimings } from './state';

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
    case 'CallDuplicateSuspected':
      return { ...state, suspectedDuplicateOf: { callId: event.data.candidateCallId, score: event.data.score } };
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

export type * from './commands';

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
      // every location is checked against the service area (libs/geo): outside it is flagged
      return [{ type: 'CallLocated', occurredAt: command.now, data: { callId: command.callId, ...withServiceArea(command.location) } }];
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
