import { randomUUID } from 'node:crypto';
import type { EventEnvelope, SourceService } from '@cad110/contracts';
import type { Express } from 'express';
import { dropDatabase } from '@cad110/db';
import { createRuntime } from '@cad110/runtime';
import { uniqueId, useInMemoryTracing } from '@cad110/testkit';
import { createServer, type RecordsRuntime } from '../src/server';
import type { Case } from '../src/generated/prisma/client';
import { onEvent } from '../src/cases/on-event';

/** An envelope as another service would publish it (for feeding records' consumer handler). */
export function envelope(type: string, source: SourceService, streamId: string, version: number, occurredAt: string, data: object, actor = { id: `system:${source}` }, recordedAt = new Date().toISOString()): EventEnvelope {
  return {
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    streamId,
    streamVersion: version,
    occurredAt,
    recordedAt,
    source,
    metadata: { actor, correlationId: (data as { callId?: string }).callId ?? 'x', causationId: null },
    data,
  };
}

export interface IncidentSpec {
  at: string;
  category?: string;
  subtype?: string;
  district?: string;
  beat?: string;
  priority?: number;
  address?: string;
  lat?: number;
  lon?: number;
}

/**
 * Feeds a call (received, classified, handed over) and its IncidentOpened through records'
 * consumer handler, each in its own transaction as the Kafka consumer would.
 * @returns the call id and the case row
 */
export async function openIncident(rt: RecordsRuntime, timeZone: string, s: IncidentSpec, arrival?: (events: EventEnvelope[]) => EventEnvelope[]) {
  const callId = randomUUID();
  const incidentId = randomUUID();
  const category = s.category ?? 'dispute';
  const subtype = s.subtype ?? 'neighbour-dispute';
  const location = { ...(s.address ? { address: s.address } : {}), ...(s.lat !== undefined ? { lat: s.lat, lon: s.lon } : {}), ...(s.district ? { district: s.district } : {}), ...(s.beat ? { beat: s.beat } : {}) };
  const taker = { id: 'taker-1', role: 'call_taker' };
  const appended = new Date().toISOString(); // intake appends a call's events in one transaction
  const events = [
    envelope('CallReceived', 'intake', `call-${callId}`, 1, s.at, { callId, channel: '110', answeredAt: s.at, createdAt: s.at }, taker, appended),
    envelope('CallClassified', 'intake', `call-${callId}`, 2, s.at, { callId, kind: 'report', category, subtype, priority: s.priority ?? 2, flags: [], taxonomyVersion: '1.0.0', classifiedAt: s.at }, taker, appended),
    envelope('CallNarrativeAppended', 'intake', `call-${callId}`, 3, s.at, { callId, text: 'caller says <neighbours> & dogs' }, taker, appended),
    envelope('CallHandedToDispatch', 'intake', `call-${callId}`, 4, s.at, { callId, handedAt: s.at, answeredAt: s.at, kind: 'report', category, subtype, priority: s.priority ?? 2, flags: [], location }, taker, appended),
    envelope('IncidentOpened', 'dispatch', `incident-${incidentId}`, 1, s.at, { incidentId, callId, openedAt: s.at, answeredAt: s.at, kind: 'report', category, subtype, priority: s.priority ?? 2, flags: [], location }),
  ];
  for (const e of arrival ? arrival(events) : events) await rt.db.transaction((tx) => onEvent(e, tx, rt.registry, timeZone));
  const [c] = await rt.db.select<Case>('SELECT * FROM cases WHERE call_id = $1::uuid', [callId]);
  if (!c) throw new Error(`no case for call ${callId}`);
  return { callId, incidentId, case: c };
}

/**
 * Records on a fresh PostgreSQL database (random name) and a random Kafka topic prefix on the real
 * broker, with in-memory tracing; its express app for `timeZone` (EIDO validation off).
 */
export async function startRecords(timeZone: string): Promise<{ rt: RecordsRuntime; app: Express }> {
  useInMemoryTracing();
  process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
  process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
  const rt = await createRuntime({ name: 'records', serviceDir: `${__dirname}/..` });
  return { rt, app: createServer(rt, { timeZone, validateEido: false }) };
}

/** Stops what {@link startRecords} started and drops its database. */
export async function stopRecords(rt: RecordsRuntime): Promise<void> {
  await rt.relay.stop();
  await rt.producer.disconnect();
  await rt.pool.end();
  await dropDatabase(rt.databaseUrl);
}

const TAKER = { id: 'taker-1', role: 'call_taker' };

/**
 * The events of one call handed over to dispatch (located in `district` before the hand-over when
 * given), a reclassification after the hand-over, and a relocation to `relocatedTo` after it.
 */
export function callEvents(t: { answeredAt: string; handedAt: string; category: string; subtype: string; reclassifiedAt?: string; to?: { category: string; subtype: string }; district?: string; relocatedTo?: string }) {
  const callId = randomUUID();
  const incidentId = randomUUID();
  const snap = { kind: 'report', category: t.category, subtype: t.subtype, priority: 2, flags: [] as string[] };
  const stream = `call-${callId}`;
  let v = 0;
  const location = t.district ? { district: t.district } : {};
  const received = envelope('CallReceived', 'intake', stream, ++v, t.answeredAt, { callId, channel: '110', answeredAt: t.answeredAt, createdAt: t.answeredAt }, TAKER);
  const located = t.district ? envelope('CallLocated', 'intake', stream, ++v, t.answeredAt, { callId, ...location, source: 'manual' }, TAKER) : undefined;
  const classified = envelope('CallClassified', 'intake', stream, ++v, t.answeredAt, { callId, ...snap, taxonomyVersion: '1.0.0', classifiedAt: t.answeredAt }, TAKER);
  const handed = envelope('CallHandedToDispatch', 'intake', stream, ++v, t.handedAt, { callId, handedAt: t.handedAt, answeredAt: t.answeredAt, ...snap, location }, TAKER);
  const opened = envelope('IncidentOpened', 'dispatch', `incident-${incidentId}`, 1, t.handedAt, { incidentId, callId, openedAt: t.handedAt, answeredAt: t.answeredAt, ...snap, location });
  const reclassified = t.to
    ? envelope('CallClassified', 'intake', stream, ++v, t.reclassifiedAt!, { callId, kind: 'report', ...t.to, priority: 1, flags: [], taxonomyVersion: '1.0.0', classifiedAt: t.reclassifiedAt!, reason: 'caller admits a knife', previousSubtype: t.subtype, previousPriority: 2 }, TAKER)
    : undefined;
  const relocated = t.relocatedTo ? envelope('CallLocated', 'intake', stream, ++v, t.handedAt, { callId, district: t.relocatedTo, source: 'manual' }, TAKER) : undefined;
  return { callId, received, located, classified, handed, opened, reclassified, relocated };
}
