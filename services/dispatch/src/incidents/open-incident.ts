import { randomUUID } from 'node:crypto';
import { CallHandedToDispatch, incidentStreamId, type EventEnvelope, type EventRegistry } from '@cad110/contracts';
import { appendToStream } from '@cad110/eventstore';
import type { z } from 'zod';
import type { DispatchTx } from '../prisma';
import { recommendUnits } from './recommend';

type Handed = z.infer<typeof CallHandedToDispatch.schema>;

/**
 * Consumer handler for intake's events: a call handed to dispatch opens exactly one incident
 * (IncidentOpened) and gets a unit recommendation (UnitsRecommended), appended together to the
 * incident's stream with their outbox rows, in the consumer's transaction.
 */
export async function onCallEvent(event: EventEnvelope, tx: DispatchTx, registry: EventRegistry): Promise<void> {
  if (event.type !== 'CallHandedToDispatch') return;
  const call = event.data as Handed;
  const existing = await tx.incident.findUnique({ where: { callId: call.callId }, select: { id: true } });
  if (existing) return; // one incident per call, even if the call is handed over twice
  const incidentId = randomUUID();
  const units = await tx.unit.findMany({ where: { onDuty: true, status: 'available' } });
  const recommendations = recommendUnits(call.location, units);
  const stored = await appendToStream(tx, registry, {
    streamId: incidentStreamId(incidentId),
    streamType: 'incident',
    expectedVersion: 0,
    source: 'dispatch',
    partitionKey: call.callId,
    metadata: { actor: { id: 'system:dispatch' }, correlationId: event.metadata.correlationId, causationId: event.eventId },
    events: [
      {
        type: 'IncidentOpened',
        occurredAt: call.handedAt,
        data: {
          incidentId,
          callId: call.callId,
          openedAt: call.handedAt,
          answeredAt: call.answeredAt,
          kind: call.kind,
          category: call.category,
          subtype: call.subtype,
          priority: call.priority,
          flags: call.flags,
          location: call.location,
        },
      },
      { type: 'UnitsRecommended', occurredAt: call.handedAt, data: { incidentId, callId: call.callId, recommendedAt: new Date().toISOString(), recommendations } },
    ],
  });
  await tx.incident.create({
    data: {
      id: incidentId,
      callId: call.callId,
      status: 'pending',
      priority: call.priority,
      kind: call.kind,
      category: call.category,
      subtype: call.subtype,
      district: call.location.district ?? null,
      lat: call.location.lat ?? null,
      lon: call.location.lon ?? null,
      answeredAt: new Date(call.answeredAt),
      openedAt: new Date(call.handedAt),
      recommendations: recommendations as unknown as object[],
      version: stored.at(-1)!.streamVersion,
    },
  });
}
