/**
 * The case aggregate (案件档案): the record of one incident from the moment dispatch opens it
 * until its disposition is recorded and it is closed (and possibly reopened). Pure functions
 * only: `evolve` folds events into state, `decide` turns a command and the current state into
 * new events or a rejection ({@link CaseRejected}, HTTP 409).
 *
 * Rules:
 * - a case is opened once, by records itself, when dispatch opens the incident (gapless number);
 * - narratives, parties and dispositions are added while the case is open; a closed case must
 *   be reopened (with a reason) first;
 * - a disposition's codes must agree with its counts (`suspects-caught` ⇔ suspectsCaught ≥ 1,
 *   `people-rescued` ⇔ peopleRescued ≥ 1, `unresolved` alone with no positive outcome); a new
 *   disposition replaces the previous one (revision + 1): corrections are new events;
 * - a case closes only with a disposition; times of dispositions, closings and reopenings may
 *   be given (replays of real data) but never precede the case's opening or its last closing.
 */
import { CommandRejected } from '@cad110/contracts';
import type { z } from 'zod';
import type {
  CaseClosed,
  CaseNarrativeAdded,
  CaseOpened,
  CaseReopened,
  DispositionCode,
  DispositionRecorded,
  EventEnvelope,
  PartyAdded,
  PartyRole,
} from '@cad110/contracts';
import type { NewEvent } from '@cad110/eventstore';

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;
export type DispositionCode = z.infer<typeof DispositionCode>;
export type PartyRole = z.infer<typeof PartyRole>;

export type CaseEvent =
  | { type: 'CaseOpened'; data: Data<typeof CaseOpened> }
  | { type: 'CaseNarrativeAdded'; data: Data<typeof CaseNarrativeAdded> }
  | { type: 'PartyAdded'; data: Data<typeof PartyAdded> }
  | { type: 'DispositionRecorded'; data: Data<typeof DispositionRecorded> }
  | { type: 'CaseClosed'; data: Data<typeof CaseClosed> }
  | { type: 'CaseReopened'; data: Data<typeof CaseReopened> };

export type CaseStatus = 'none' | 'open' | 'closed';

export interface CaseState {
  status: CaseStatus;
  caseId?: string;
  callId?: string;
  caseNumber?: string;
  openedAt?: string;
  closedAt?: string;
  partyIds: readonly string[];
  disposition?: { codes: DispositionCode[]; suspectsCaught: number; peopleRescued: number; recordedAt: string; revision: number };
  reopenCount: number;
}

export const initialCaseState: CaseState = { status: 'none', partyIds: [], reopenCount: 0 };

/** Folds one event into the state. */
export function evolve(state: CaseState, event: CaseEvent): CaseState {
  switch (event.type) {
    case 'CaseOpened':
      return { ...state, status: 'open', caseId: event.data.caseId, callId: event.data.callId, caseNumber: event.data.caseNumber, openedAt: event.data.openedAt };
    case 'CaseNarrativeAdded':
      return state;
    case 'PartyAdded':
      return { ...state, partyIds: [...state.partyIds, event.data.partyId] };
    case 'DispositionRecorded': {
      const d = event.data;
      const revision = d.revision ?? (state.disposition?.revision ?? 0) + 1;
      return { ...state, disposition: { codes: d.codes, suspectsCaught: d.suspectsCaught, peopleRescued: d.peopleRescued, recordedAt: d.recordedAt, revision } };
    }
    case 'CaseClosed':
      return { ...state, status: 'closed', closedAt: event.data.closedAt };
    case 'CaseReopened':
      return { ...state, status: 'open', reopenCount: state.reopenCount + 1 };
    default: {
      const _exhaustive: never = event;
      void _exhaustive;
      return state;
    }
  }
}

/** Folds stored envelopes (already upcast) into the state. */
export function foldCase(events: readonly EventEnvelope[]): CaseState {
  return events.reduce((s, e) => evolve(s, e as unknown as CaseEvent), initialCaseState);
}

/** The command cannot be applied in the case's current state (HTTP 409): the one rejection error of libs/contracts. */
export { CommandRejected as CaseRejected };
const CaseRejected = CommandRejected;

/** What a command is told about the world: the time now (UTC ISO-8601). */
export interface CommandContext {
  now: string;
}

export interface OpenCase {
  type: 'OpenCase';
  caseId: string;
  caseNumber: string;
  incidentId: string;
  callId: string;
  openedAt: string;
  category: string;
  subtype: string;
  district?: string;
}
export interface AddNarrative {
  type: 'AddNarrative';
  text: string;
  /** author's user id (from the token) */
  author: string;
}
export interface AddParty {
  type: 'AddParty';
  partyId: string;
  role: PartyRole;
  name?: string;
  idNumber?: string;
  phone?: string;
  address?: string;
}
export interface RecordDisposition {
  type: 'RecordDisposition';
  codes: DispositionCode[];
  suspectsCaught: number;
  peopleRescued: number;
  note?: string;
  sourceCode?: string;
  /** when the outcome was established (UTC); default now. Replays give the source's close time. */
  at?: string;
}
export interface CloseCase {
  type: 'CloseCase';
  /** UTC; default now */
  at?: string;
}
export interface ReopenCase {
  type: 'ReopenCase';
  reason: string;
  /** UTC; default now */
  at?: string;
}

export type CaseCommand = OpenCase | AddNarrative | AddParty | RecordDisposition | CloseCase | ReopenCase;

/**
 * Problems of a disposition's codes and counts, as `{field, message}` (empty when consistent).
 * Shared by the HTTP validation (400) and the decider (defence in depth).
 */
export function dispositionProblems(d: { codes: readonly DispositionCode[]; suspectsCaught: number; peopleRescued: number }): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const has = (c: DispositionCode) => d.codes.includes(c);
  if (new Set(d.codes).size !== d.codes.length) out.push({ field: 'codes', message: 'codes must not repeat' });
  if (has('suspects-caught') !== d.suspectsCaught > 0) out.push({ field: 'suspectsCaught', message: 'suspects-caught requires suspectsCaught ≥ 1, and suspectsCaught ≥ 1 requires the code suspects-caught' });
  if (has('people-rescued') !== d.peopleRescued > 0) out.push({ field: 'peopleRescued', message: 'people-rescued requires peopleRescued ≥ 1, and peopleRescued ≥ 1 requires the code people-rescued' });
  if (has('unresolved') && d.codes.length > 1) out.push({ field: 'codes', message: 'unresolved cannot be combined with other outcomes' });
  return out;
}

/**
 * Decides the events for a command.
 * @throws CaseRejected when the command is not allowed in `state`
 */
export function decide(command: CaseCommand, state: CaseState, ctx: CommandContext): NewEvent[] {
  if (command.type === 'OpenCase') return decideOpen(command, state);
  if (state.status === 'none') throw new CaseRejected('no-case', 'the case does not exist');
  const caseId = state.caseId!;
  switch (command.type) {
    case 'AddNarrative':
      mustBeOpen(state, 'add a narrative to');
      return [{ type: 'CaseNarrativeAdded', occurredAt: ctx.now, data: { caseId, text: command.text, author: command.author } }];
    case 'AddParty': {
      mustBeOpen(state, 'add a party to');
      if (state.partyIds.includes(command.partyId)) throw new CaseRejected('party-exists', `party ${command.partyId} is already on the case`);
      const { type: _t, ...party } = command;
      return [{ type: 'PartyAdded', occurredAt: ctx.now, data: { caseId, ...party } }];
    }
    case 'RecordDisposition': {
      mustBeOpen(state, 'record a disposition on');
      const problems = dispositionProblems(command);
      if (problems.length) throw new CaseRejected('inconsistent-disposition', problems.map((p) => `${p.field}: ${p.message}`).join('; '));
      const at = command.at ?? ctx.now;
      notBefore(at, state.openedAt!, 'the case was opened');
      return [
        {
          type: 'DispositionRecorded',
          occurredAt: at,
          data: {
            caseId,
            codes: command.codes,
            suspectsCaught: command.suspectsCaught,
            peopleRescued: command.peopleRescued,
            recordedAt: at,
            revision: (state.disposition?.revision ?? 0) + 1,
            ...(command.note ? { note: command.note } : {}),
            ...(command.sourceCode ? { sourceCode: command.sourceCode } : {}),
          },
        },
      ];
    }
    case 'CloseCase': {
      if (state.status === 'closed') throw new CaseRejected('case-closed', 'the case is already closed');
      if (!state.disposition) throw new CaseRejected('no-disposition', 'record a disposition before closing the case');
      const at = command.at ?? ctx.now;
      notBefore(at, state.openedAt!, 'the case was opened');
      notBefore(at, state.disposition.recordedAt, 'its disposition was recorded');
      return [{ type: 'CaseClosed', occurredAt: at, data: { caseId, closedAt: at } }];
    }
    case 'ReopenCase': {
      if (state.status !== 'closed') throw new CaseRejected('case-open', 'only a closed case can be reopened');
      const at = command.at ?? ctx.now;
      notBefore(at, state.closedAt!, 'the case was closed');
      return [{ type: 'CaseReopened', occurredAt: at, data: { caseId, reopenedAt: at, reason: command.reason } }];
    }
    default: {
      const _exhaustive: never = command;
      throw new CaseRejected('unknown-command', `unknown command ${String((_exhaustive as { type: string }).type)}`);
    }
  }
}

function decideOpen(c: OpenCase, state: CaseState): NewEvent[] {
  if (state.status !== 'none') throw new CaseRejected('case-exists', `case ${state.caseNumber} already exists`);
  const { type: _t, district, ...rest } = c;
  return [{ type: 'CaseOpened', occurredAt: c.openedAt, data: { ...rest, ...(district ? { district } : {}) } }];
}

function mustBeOpen(state: CaseState, what: string): void {
  if (state.status === 'closed') throw new CaseRejected('case-closed', `cannot ${what} a closed case; reopen it first`);
}

function notBefore(at: string, earliest: string, what: string): void {
  if (Date.parse(at) < Date.parse(earliest)) throw new CaseRejected('time-before', `${at} is earlier than when ${what} (${earliest})`);
}
