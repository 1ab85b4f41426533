import type { EventEnvelope, EventRegistry } from '@cad110/contracts';
import { insertRow, updateRows, type DeferringTx, type Sql } from '@cad110/db';
import type { CaseEvent } from './case';
import type { CaseClassification } from './counting';

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
export async function recordOnTimeline(tx: Sql, registry: EventRegistry, event: EventEnvelope, callId = callIdOf(event)): Promise<void> {
  if (!callId) return;
  const def = registry.get(event.type);
  const data = def?.publicData ? def.publicData(event.data as never) : event.data;
  const row = {
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
    data: JSON.stringify(data),
  };
  // the consumer's transactions queue timeline rows and write a chunk's with one statement
  const deferred = (tx as Partial<DeferringTx>).deferred;
  if (deferred) deferred.add('timeline_entries', row, { onConflictDoNothing: true });
  else await insertRow(tx, 'timeline_entries', row, { onConflictDoNothing: true });
}

/** Incident facts the case row keeps besides CaseOpened's data. */
export interface IncidentFacts {
  kind?: string;
  priority?: number;
  beat?: string;
  /** the call's answer time (IncidentOpened): the case counts on its local day */
  answeredAt?: string;
  /** the call's counting classification when the case opens (counting.ts) */
  counting?: CaseClassification;
}

/**
 * Applies newly appended case events to the read model (`cases`, `case_parties`) and the
 * timeline, in the transaction that appended them.
 */
export async function projectCase(tx: Sql, registry: EventRegistry, callId: string, events: readonly EventEnvelope[], incident: IncidentFacts = {}): Promise<void> {
  const last = events.at(-1);
  if (!last) return;
  let caseId = '';
  for (const env of events) {
    await recordOnTimeline(tx, registry, env, callId);
    const e = env as unknown as CaseEvent;
    caseId = e.data.caseId;
    switch (e.type) {
      case 'CaseOpened': {
        const row = {
            id: e.data.caseId,
            caseNumber: e.data.caseNumber,
            incidentId: e.data.incidentId,
            callId: e.data.callId,
            status: 'open',
            category: incident.counting?.category ?? e.data.category,
            subtype: incident.counting?.subtype ?? e.data.subtype,
            classifiedAt: incident.counting?.classifiedAt ? new Date(incident.counting.classifiedAt) : null,
            answeredAt: new Date(incident.answeredAt ?? e.data.openedAt),
            kind: incident.kind ?? null,
            priority: incident.priority ?? null,
            district: e.data.district ?? null,
            beat: incident.beat ?? null,
            openedAt: new Date(e.data.openedAt),
            version: env.streamVersion,
            updatedAt: new Date(),
        };
        // a case that only opens (records' consumer): its row goes with the chunk's deferred rows,
        // written in one statement before COMMIT (nothing in the transaction reads it back)
        const deferred = (tx as Partial<DeferringTx>).deferred;
        if (deferred && events.length === 1) {
          deferred.add('cases', row);
          return;
        }
        await insertRow(tx, 'cases', row);
        break;
      }
      case 'CaseNarrativeAdded':
        break;
      case 'PartyAdded':
        await insertRow(tx, 'case_parties', {
            id: e.data.partyId,
            caseId: e.data.caseId,
            role: e.data.role,
            name: e.data.name ?? null,
            idNumber: e.data.idNumber ?? null,
            phone: e.data.phone ?? null,
            address: e.data.address ?? null,
            addedAt: new Date(env.occurredAt),
            addedBy: env.metadata.actor.id,
        });
        break;
      case 'DispositionRecorded':
        await tx.exec(
          `UPDATE cases SET disposition_codes = $2, suspects_caught = $3, people_rescued = $4, disposition_at = $5,
             disposition_revision = COALESCE($6::int, disposition_revision + 1), updated_at = now() WHERE id = $1::uuid`,
          [
            e.data.caseId,
            e.data.codes,
            e.data.suspectsCaught,
            e.data.peopleRescued,
            new Date(e.data.recordedAt),
            e.data.revision ?? null,
          ],
        );
        break;
      case 'CaseClosed':
        await updateRows(tx, 'cases', { id: e.data.caseId }, { status: 'closed', closedAt: new Date(e.data.closedAt), updatedAt: new Date() });
        break;
      case 'CaseReopened':
        await tx.exec(`UPDATE cases SET status = 'open', closed_at = NULL, reopen_count = reopen_count + 1, updated_at = now() WHERE id = $1::uuid`, [e.data.caseId]);
        break;
      default: {
        const _exhaustive: never = e;
        throw new Error(`unhandled case event ${(_exhaustive as { type: string }).type}`);
      }
    }
  }
  // a lone CaseOpened wrote its version with the row
  if (events.length > 1 || last.type !== 'CaseOpened') await updateRows(tx, 'cases', { id: caseId }, { version: last.streamVersion });
}
