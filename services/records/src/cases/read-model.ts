import type { EventEnvelope, EventRegistry } from '@cad110/contracts';
import type { RecordsTx } from '../prisma';
import type { CaseEvent } from './case';

/** The call id an event belongs to (every cad110 event of a call chain carries it). */
export function callIdOf(event: EventEnvelope): string | undefined {
  const d = event.data as { callId?: unknown };
  return typeof d?.callId === 'string' ? d.callId : undefined;
}

/**
 * Writes an event to the audit timeline of its call (insert-only; a redelivered event is
 * ignored). The stored data is the event's public form (`publicData`), so the timeline never
 * holds a party's or caller's personal fields. Case events carry no call id: pass the case's.
 */
export async function recordOnTimeline(tx: RecordsTx, registry: EventRegistry, event: EventEnvelope, callId = callIdOf(event)): Promise<void> {
  if (!callId) return;
  const def = registry.get(event.type);
  const data = def?.publicData ? def.publicData(event.data as never) : event.data;
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
        data: data as object,
      },
    ],
    skipDuplicates: true,
  });
}

/** Incident facts the case row keeps besides CaseOpened's data. */
export interface IncidentFacts {
  kind?: string;
  priority?: number;
  beat?: string;
}

/**
 * Applies newly appended case events to the read model (`cases`, `case_parties`) and the
 * timeline, in the transaction that appended them.
 */
export async function projectCase(tx: RecordsTx, registry: EventRegistry, callId: string, events: readonly EventEnvelope[], incident: IncidentFacts = {}): Promise<void> {
  const last = events.at(-1);
  if (!last) return;
  let caseId = '';
  for (const env of events) {
    await recordOnTimeline(tx, registry, env, callId);
    const e = env as unknown as CaseEvent;
    caseId = e.data.caseId;
    switch (e.type) {
      case 'CaseOpened':
        await tx.case.create({
          data: {
            id: e.data.caseId,
            caseNumber: e.data.caseNumber,
            incidentId: e.data.incidentId,
            callId: e.data.callId,
            status: 'open',
            category: e.data.category,
            subtype: e.data.subtype,
            kind: incident.kind ?? null,
            priority: incident.priority ?? null,
            district: e.data.district ?? null,
            beat: incident.beat ?? null,
            openedAt: new Date(e.data.openedAt),
            version: env.streamVersion,
          },
        });
        break;
      case 'CaseNarrativeAdded':
        break;
      case 'PartyAdded':
        await tx.caseParty.create({
          data: {
            id: e.data.partyId,
            caseId: e.data.caseId,
            role: e.data.role,
            name: e.data.name ?? null,
            idNumber: e.data.idNumber ?? null,
            phone: e.data.phone ?? null,
            address: e.data.address ?? null,
            addedAt: new Date(env.occurredAt),
            addedBy: env.metadata.actor.id,
          },
        });
        break;
      case 'DispositionRecorded':
        await tx.case.update({
          where: { id: e.data.caseId },
          data: {
            dispositionCodes: e.data.codes,
            suspectsCaught: e.data.suspectsCaught,
            peopleRescued: e.data.peopleRescued,
            dispositionAt: new Date(e.data.recordedAt),
            dispositionRevision: e.data.revision ?? { increment: 1 },
          },
        });
        break;
      case 'CaseClosed':
        await tx.case.update({ where: { id: e.data.caseId }, data: { status: 'closed', closedAt: new Date(e.data.closedAt) } });
        break;
      case 'CaseReopened':
        await tx.case.update({ where: { id: e.data.caseId }, data: { status: 'open', closedAt: null, reopenCount: { increment: 1 } } });
        break;
      default: {
        const _exhaustive: never = e;
        throw new Error(`unhandled case event ${(_exhaustive as { type: string }).type}`);
      }
    }
  }
  await tx.case.update({ where: { id: caseId }, data: { version: last.streamVersion } });
}
