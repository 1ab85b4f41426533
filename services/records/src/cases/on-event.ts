import { randomUUID } from 'node:crypto';
import { caseStreamId, IncidentOpened, type EventEnvelope, type EventRegistry } from '@cad110/contracts';
import { appendToStream } from '@cad110/eventstore';
import type { z } from 'zod';
import type { RecordsTx } from '../prisma';
import { nextCaseNumber } from './case-number';

/** The call id an event belongs to (every cad110 event of a call chain carries it). */
export function callIdOf(event: EventEnvelope): string | undefined {
  const d = event.data as { callId?: unknown };
  return typeof d?.callId === 'string' ? d.callId : undefined;
}

/** Writes an event to the audit timeline (insert-only; a redelivered event is ignored). */
export async function recordOnTimeline(tx: RecordsTx, event: EventEnvelope): Promise<void> {
  const callId = callIdOf(event);
  if (!callId) return;
  await tx.timelineEntry.createMany({
    data: [
      {
        eventId: event.eventId,
        callId,
        source: event.source,
        type: event.type,
        streamId: event.streamId,
        version: event.streamVersion,
        occurredAt: new Date(event.occurredAt),
        recordedAt: new Date(event.recordedAt),
        actorId: event.metadata.actor.id,
        actorRole: event.metadata.actor.role ?? null,
        workstation: event.metadata.workstation ?? null,
        data: event.data as object,
      },
    ],
    skipDuplicates: true,
  });
}

/**
 * Consumer handler for call and dispatch events: every event goes on the timeline; an opened
 * incident opens its case file (CaseOpened with a gapless case number).
 */
export async function onEvent(event: EventEnvelope, tx: RecordsTx, registry: EventRegistry, timeZone: string): Promise<void> {
  await recordOnTimeline(tx, event);
  if (event.type !== 'IncidentOpened') return;
  const inc = event.data as z.infer<typeof IncidentOpened.schema>;
  const exists = await tx.case.findUnique({ where: { incidentId: inc.incidentId }, select: { id: true } });
  if (exists) return;
  const caseId = randomUUID();
  const caseNumber = await nextCaseNumber(tx, inc.openedAt, timeZone);
  const stored = await appendToStream(tx, registry, {
    streamId: caseStreamId(caseId),
    streamType: 'case',
    expectedVersion: 0,
    source: 'records',
    partitionKey: inc.callId,
    metadata: { actor: { id: 'system:records' }, correlationId: event.metadata.correlationId, causationId: event.eventId },
    events: [
      {
        type: 'CaseOpened',
        occurredAt: inc.openedAt,
        data: { caseId, caseNumber, incidentId: inc.incidentId, callId: inc.callId, openedAt: inc.openedAt, category: inc.category, subtype: inc.subtype, ...(inc.location.district ? { district: inc.location.district } : {}) },
      },
    ],
  });
  for (const e of stored) await recordOnTimeline(tx, e);
  await tx.case.create({
    data: {
      id: caseId,
      caseNumber,
      incidentId: inc.incidentId,
      callId: inc.callId,
      status: 'open',
      category: inc.category,
      subtype: inc.subtype,
      district: inc.location.district ?? null,
      openedAt: new Date(inc.openedAt),
      version: stored.at(-1)!.streamVersion,
    },
  });
}
