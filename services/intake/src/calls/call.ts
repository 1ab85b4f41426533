/**
 * The call aggregate (接警): a 110 call from the moment it is answered until it is handed to
 * dispatch, transferred, cancelled or closed. Pure functions only: `evolve` folds events into
 * state, `decide` turns a command and the current state into new events or a rejection.
 */
import type { z } from 'zod';
import {
  CallClassified,
  CallerRecorded,
  CallHandedToDispatch,
  CallLocated,
  CallNarrativeAppended,
  CallReceived,
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
  | { type: 'CallHandedToDispatch'; data: Data<typeof CallHandedToDispatch> };

export type CallStatus = 'new' | 'open' | 'handed-to-dispatch' | 'transferred' | 'cancelled' | 'closed';

export interface CallState {
  status: CallStatus;
  callId?: string;
  answeredAt?: string;
  location?: Location;
  classification?: Omit<Data<typeof CallClassified>, 'callId' | 'classifiedAt'>;
  handedAt?: string;
  externalRef?: { source: string; id: string };
}

export const initialCallState: CallState = { status: 'new' };

/** Folds one event into the state. Unknown (future) event types leave the state unchanged. */
export function evolve(state: CallState, event: CallEvent): CallState {
  switch (event.type) {
    case 'CallReceived':
      return { ...state, status: 'open', callId: event.data.callId, answeredAt: event.data.answeredAt, externalRef: event.data.externalRef };
    case 'CallLocated': {
      const { callId: _c, source: _s, ...location } = event.data;
      return { ...state, location };
    }
    case 'CallClassified': {
      const { callId: _c, classifiedAt: _t, ...classification } = event.data;
      return { ...state, classification };
    }
    case 'CallHandedToDispatch':
      return { ...state, status: 'handed-to-dispatch', handedAt: event.data.handedAt };
    case 'CallerRecorded':
    case 'CallNarrativeAppended':
      return state;
    default: {
      const _exhaustive: never = event;
      return state;
    }
  }
}

/** Folds stored envelopes (already upcast) into the state. */
export function foldCall(events: readonly EventEnvelope[]): CallState {
  return events.reduce((s, e) => evolve(s, e as unknown as CallEvent), initialCallState);
}

/** The command cannot be applied in the call's current state (HTTP 409). */
export class CallRejected extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CallRejected';
  }
}

export interface CreateCall {
  type: 'CreateCall';
  callId: string;
  now: string;
  channel: Data<typeof CallReceived>['channel'];
  ringingAt?: string;
  answeredAt?: string;
  /** when the record was created in CAD (default now; replays give the source time) */
  createdAt?: string;
  /** when the call went to dispatch (default now; replays give the source time) */
  handedAt?: string;
  caller?: { number?: string; name?: string };
  location?: Location & { source: Data<typeof CallLocated>['source'] };
  classification?: { subtype: string; priority?: number; kind?: 'report' | 'help' | 'complaint'; reason?: string; sourceCode?: string };
  narrative?: string;
  handToDispatch?: boolean;
  externalRef?: { source: string; id: string };
}

export type CallCommand = CreateCall;

export interface DecideContext {
  taxonomy: Taxonomy;
}

/**
 * Decides the events for a command.
 * @throws CallRejected when the command is not allowed in `state`
 */
export function decide(command: CallCommand, state: CallState, ctx: DecideContext): NewEvent[] {
  switch (command.type) {
    case 'CreateCall':
      return decideCreate(command, state, ctx);
    default: {
      const _exhaustive: never = command.type;
      throw new CallRejected('unknown-command', `unknown command ${String(_exhaustive)}`);
    }
  }
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
    events.push({ type: 'CallerRecorded', occurredAt: answeredAt, data: { callId: c.callId, ...c.caller.number ? { callerNumber: c.caller.number } : {}, ...c.caller.name ? { callerName: c.caller.name } : {} } });
  }
  if (c.location) {
    events.push({ type: 'CallLocated', occurredAt: answeredAt, data: { callId: c.callId, ...c.location } });
  }
  let classified: Data<typeof CallClassified> | undefined;
  if (c.classification) {
    const sub = taxonomy.subtype(c.classification.subtype);
    if (!sub) throw new CallRejected('unknown-subtype', `unknown subtype ${c.classification.subtype}`);
    classified = {
      callId: c.callId,
      kind: c.classification.kind ?? sub.kind,
      category: sub.category,
      subtype: sub.code,
      priority: c.classification.priority ?? sub.defaultPriority,
      flags: sub.flags,
      taxonomyVersion: taxonomy.version,
      classifiedAt: c.createdAt ?? c.now,
      ...(c.classification.reason ? { reason: c.classification.reason } : {}),
      ...(c.classification.sourceCode ? { sourceCode: c.classification.sourceCode } : {}),
    };
    events.push({ type: 'CallClassified', occurredAt: answeredAt, data: classified });
  }
  if (c.narrative) events.push({ type: 'CallNarrativeAppended', occurredAt: answeredAt, data: { callId: c.callId, text: c.narrative } });
  if (c.handToDispatch) {
    if (!classified) throw new CallRejected('unclassified', 'a call must be classified before it is handed to dispatch');
    events.push({
      type: 'CallHandedToDispatch',
      occurredAt: answeredAt,
      data: {
        callId: c.callId,
        handedAt: c.handedAt ?? c.now,
        answeredAt,
        kind: classified.kind,
        category: classified.category,
        subtype: classified.subtype,
        priority: classified.priority,
        flags: classified.flags,
        location: c.location ? { ...stripSource(c.location) } : {},
        ...(c.externalRef ? { externalRef: c.externalRef } : {}),
      },
    });
  }
  return events;
}

function stripSource(l: Location & { source?: string }): Location {
  const { source: _s, ...rest } = l;
  return rest;
}
