import { z } from 'zod';
import { IsoUtc } from '../envelope';
import { defineEvent } from '../registry';
import { CallKind, Classification, FilterCode, Location, LocationSource, Priority } from './common';

/** Stream id of a call: `call-<uuid>`. */
export const callStreamId = (callId: string) => `call-${callId}`;

export const CallChannel = z.enum(['110', '911', 'non-emergency', 'alarm', 'officer-initiated', 'text', 'other']);

/** Masks a phone number for display: keeps the first 3 and last 4 digits, e.g. `138****1234`. */
export function maskPhone(number: string): string {
  const digits = number.replace(/\s+/g, '');
  if (digits.length <= 7) return '*'.repeat(digits.length);
  return `${digits.slice(0, 3)}${'*'.repeat(digits.length - 7)}${digits.slice(-4)}`;
}

/** 接警: a call was answered and a call record created. */
export const CallReceived = defineEvent({
  type: 'CallReceived',
  topic: 'calls',
  schema: z.object({
    callId: z.uuid(),
    channel: CallChannel,
    ringingAt: IsoUtc.optional().describe('when the call started ringing, if telephony reports it'),
    answeredAt: IsoUtc.describe('when the call taker answered'),
    createdAt: IsoUtc.describe('when the call record was created in CAD'),
    externalRef: z.object({ source: z.string().max(64), id: z.string().max(64) }).optional()
      .describe('id of the call in the source system for replays, e.g. {source:"minneapolis-mpd", id:"20-184134"}'),
  }),
});

/** The caller's number / name were recorded. Published with the number masked and no name. */
export const CallerRecorded = defineEvent({
  type: 'CallerRecorded',
  topic: 'calls',
  schema: z.object({
    callId: z.uuid(),
    callerNumber: z.string().max(32).optional(),
    callerNumberMasked: z.string().max(32).optional(),
    callerName: z.string().max(120).optional(),
  }),
  publicData: (d) => ({ callId: d.callId, callerNumberMasked: d.callerNumber ? maskPhone(d.callerNumber) : d.callerNumberMasked }),
});

export const CallLocated = defineEvent({
  type: 'CallLocated',
  topic: 'calls',
  schema: Location.extend({ callId: z.uuid(), source: LocationSource }),
});

export const CallClassified = defineEvent({
  type: 'CallClassified',
  topic: 'calls',
  schema: Classification.extend({
    callId: z.uuid(),
    classifiedAt: IsoUtc,
    reason: z.string().max(500).optional().describe('why (re)classified'),
    sourceCode: z.string().max(64).optional().describe('call-type code of the source system for replays'),
    sourceGroup: z.string().max(64).optional().describe("the source system's own group of that call type (replays)"),
    classifiedBy: z.string().max(128).optional().describe('user id of the call taker who classified (also in the event metadata)'),
    previousSubtype: z.string().max(64).optional().describe('subtype before a reclassification'),
    previousPriority: Priority.optional().describe('priority before a reclassification'),
  }),
});

export const NARRATIVE_MAX_CHARS = 4000;

/** One answered SOP question of the subtype's checklist (taxonomy `sop[index]`). */
export const SopAnswer = z.object({
  index: z.number().int().min(0).max(50).describe('position of the question in the subtype\'s sop list'),
  question: z.string().min(1).max(300).describe('the question as asked (the call taker\'s language)'),
  answer: z.string().min(1).max(500),
});

export const CallNarrativeAppended = defineEvent({
  type: 'CallNarrativeAppended',
  topic: 'calls',
  schema: z.object({
    callId: z.uuid(),
    text: z.string().min(1).max(NARRATIVE_MAX_CHARS),
    sopAnswers: z.array(SopAnswer).max(30).optional().describe('the SOP questions answered, as data (the text holds them too)'),
  }),
});

export const CallLinkedAsDuplicate = defineEvent({
  type: 'CallLinkedAsDuplicate',
  topic: 'calls',
  schema: z.object({
    callId: z.uuid(),
    duplicateOfCallId: z.uuid().optional(),
    duplicateOfIncidentId: z.uuid().optional(),
    distanceMetres: z.number().nonnegative().optional(),
    secondsApart: z.number().nonnegative().optional(),
    reason: z.string().max(500),
    score: z.number().min(0).max(1).optional().describe('duplicate score of the candidate when the link was made (0..1)'),
    matchedOn: z.array(z.string().max(64)).max(16).optional().describe('what matched: near, close-in-time, same-caller-number, same-subtype, ...'),
    linkedAt: IsoUtc.optional(),
  }),
});

/**
 * The call taker reviewed the proposed duplicate candidates and confirmed the call as a new
 * incident (nothing is merged silently: either this or CallLinkedAsDuplicate).
 */
export const CallConfirmedAsNew = defineEvent({
  type: 'CallConfirmedAsNew',
  topic: 'calls',
  schema: z.object({
    callId: z.uuid(),
    candidateCallIds: z.array(z.uuid()).max(50).default([]).describe('candidates shown and rejected'),
    reason: z.string().max(500).optional(),
    confirmedAt: IsoUtc,
  }),
});

/**
 * At creation the duplicate lookup found a candidate scoring at or above the flag threshold
 * (intake `DUPLICATE_FLAG_SCORE`, default 0.8): the call is linked to that candidate and flagged
 * for the call taker, who links it (CallLinkedAsDuplicate) or confirms it as new. Recorded before
 * any CallHandedToDispatch of the same request.
 */
export const CallDuplicateSuspected = defineEvent({
  type: 'CallDuplicateSuspected',
  topic: 'calls',
  schema: z.object({
    callId: z.uuid(),
    candidateCallId: z.uuid().describe('the best-scoring candidate'),
    score: z.number().min(0).max(1).describe('duplicate score 0..1 (intake README "Duplicate detection")'),
    matchedOn: z.array(z.string().max(64)).max(16).default([]).describe('near, same-caller-number, close-in-time, same-subtype, ...'),
    distanceMetres: z.number().nonnegative().optional(),
    secondsApart: z.number().nonnegative(),
    detectedAt: IsoUtc,
  }),
});

export const TransferTarget = z.enum(['fire-119', 'medical-120', 'traffic-122', 'other-agency']);

export const CallTransferred = defineEvent({
  type: 'CallTransferred',
  topic: 'calls',
  schema: z.object({
    callId: z.uuid(),
    to: TransferTarget,
    agency: z.string().max(120).optional(),
    reason: z.string().max(500).optional(),
    transferredAt: IsoUtc.optional(),
  }),
});

export const CancelReason = z.enum(['silent', 'misdial', 'prank', 'caller-hung-up', 'other']);

export const CallCancelled = defineEvent({
  type: 'CallCancelled',
  topic: 'calls',
  schema: z.object({ callId: z.uuid(), reason: CancelReason, note: z.string().max(500).optional(), cancelledAt: IsoUtc.optional() }),
});

/** 出警 request: the call goes to dispatch with the snapshot dispatch needs. */
export const CallHandedToDispatch = defineEvent({
  type: 'CallHandedToDispatch',
  topic: 'calls',
  schema: z.object({
    callId: z.uuid(),
    handedAt: IsoUtc,
    answeredAt: IsoUtc,
    kind: CallKind,
    category: FilterCode(),
    subtype: FilterCode(),
    priority: Priority,
    flags: z.array(z.string().max(64)).default([]),
    location: Location,
    externalRef: z.object({ source: z.string().max(64), id: z.string().max(64) }).optional(),
  }),
});

export const CallClosed = defineEvent({
  type: 'CallClosed',
  topic: 'calls',
  schema: z.object({ callId: z.uuid(), closedAt: IsoUtc, reason: z.string().max(500).optional() }),
});

export const CALL_EVENTS = [
  CallReceived,
  CallerRecorded,
  CallLocated,
  CallClassified,
  CallNarrativeAppended,
  CallLinkedAsDuplicate,
  CallConfirmedAsNew,
  CallDuplicateSuspected,
  CallTransferred,
  CallCancelled,
  CallHandedToDispatch,
  CallClosed,
] as const;
