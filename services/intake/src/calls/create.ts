/**
 * Deciders shared by the call aggregate's commands (call.ts): creation (CreateCall), the
 * classification under the taxonomy and the hand-over snapshot. Pure functions.
 */
import { CommandRejected as CallRejected, type CallClassified, type Location, type Taxonomy } from '@cad110/contracts';
import type { NewEvent } from '@cad110/eventstore';
import { withServiceArea } from '@cad110/geo';
import type { z } from 'zod';
import type { CallState, LocationWithSource } from './state';
import type { ClassificationInput, CreateCall } from './commands';

type Data<D extends { schema: z.ZodType }> = z.infer<D['schema']>;

/**
 * Events of a new call: CallReceived, then CallerRecorded, CallLocated, CallClassified and
 * CallNarrativeAppended when given, CallDuplicateSuspected when the creation lookup found a
 * high-scoring candidate (live calls only, not replays with `externalRef`), and last
 * CallHandedToDispatch when `handToDispatch` — so the flag is on the call before dispatch has it.
 * @throws CallRejected `call-exists`, `ringing-after-answer`, `handed-before-answer`, `unclassified`, `unknown-subtype`, `category-mismatch`
 */
export function decideCreate(c: CreateCall, state: CallState, { taxonomy }: { taxonomy: Taxonomy }): NewEvent[] {
  if (state.status !== 'new') throw new CallRejected('call-exists', `call ${c.callId} already exists`);
  const answeredAt = c.answeredAt ?? c.now;
  if (c.ringingAt && c.ringingAt > answeredAt) throw new CallRejected('ringing-after-answer', 'ringingAt is later than answeredAt');
  // a hand-over before the answer would put CallHandedToDispatch before CallReceived on every
  // consumer's event-time timeline (records); a given handedAt must not be earlier
  if (c.handedAt && c.handedAt < answeredAt) throw new CallRejected('handed-before-answer', 'handedAt is earlier than answeredAt');
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
    // every location is checked against the service area (libs/geo): outside it is flagged
    events.push({ type: 'CallLocated', occurredAt: answeredAt, data: { callId: c.callId, ...withServiceArea(c.location) } });
  }
  let classified: Data<typeof CallClassified> | undefined;
  if (c.classification) {
    classified = classify(c.callId, c.classification, c.createdAt ?? c.now, taxonomy, c.by);
    events.push({ type: 'CallClassified', occurredAt: answeredAt, data: classified });
  }
  const sop = c.sopAnswers?.length ? c.sopAnswers : undefined;
  const text = c.narrative ?? sop?.map((a) => `${a.question} ${a.answer}`).join('\n');
  if (text) events.push({ type: 'CallNarrativeAppended', occurredAt: answeredAt, data: { callId: c.callId, text, ...(sop ? { sopAnswers: sop } : {}) } });
  if (c.suspectedDuplicate && !c.externalRef) {
    const d = c.suspectedDuplicate;
    events.push({
      type: 'CallDuplicateSuspected',
      occurredAt: answeredAt,
      data: {
        callId: c.callId,
        candidateCallId: d.callId,
        score: d.score,
        matchedOn: d.matchedOn.slice(0, 16),
        ...(d.distanceMetres !== null ? { distanceMetres: d.distanceMetres } : {}),
        secondsApart: d.secondsApart,
        detectedAt: c.now,
      },
    });
  }
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

export function classify(callId: string, c: ClassificationInput, at: string, taxonomy: Taxonomy, by?: string): Data<typeof CallClassified> {
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
    ...(c.sourceGroup ? { sourceGroup: c.sourceGroup } : {}),
    ...(by ? { classifiedBy: by } : {}),
  };
}

/**
 * The CallHandedToDispatch event. `handedAt` is never earlier than `answeredAt`: a defaulted
 * hand-over time (the server's now) that lies before an answer time the client sent within the
 * allowed clock skew is raised to the answer time, so a call's events never go back in event time
 * (records orders its timeline by event time).
 */
export function handOver(
  callId: string,
  handedAtIn: string,
  answeredAt: string,
  cl: NonNullable<CallState['classification']>,
  location: LocationWithSource | undefined,
  externalRef: { source: string; id: string } | undefined,
): NewEvent {
  const handedAt = Date.parse(handedAtIn) < Date.parse(answeredAt) ? answeredAt : handedAtIn;
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
      location: location ? withServiceArea(stripSource(location)) : {},
      ...(externalRef ? { externalRef } : {}),
    },
  };
}

