/**
 * Synthetic, contract-valid pipeline events derived from real Minneapolis rows, for the
 * statistics benchmarks: per call CallReceived, CallLocated, CallClassified, CallHandedToDispatch,
 * IncidentOpened, UnitsRecommended, UnitDispatched, UnitStatusChanged (on-scene), CaseOpened,
 * DispositionRecorded (10 events, keyed by call id). Call n copies row n mod 14,199 (mapped
 * classification and location; answer time moved back by whole weeks per round).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Partitioners, type Kafka } from 'kafkajs';
import { eventRegistry, loadTaxonomy, topicName, type EventEnvelope } from '@cad110/contracts';
import { loadMapping, readCalls } from '@cad110/importer';

const ROOT = join(__dirname, '..');
const WEEK = 7 * 86_400_000;
const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

/** Publishes the events of `CALLS` synthetic calls on the topics of `prefix`; returns the number of events. */
export async function publishSyntheticCalls(kafka: Kafka, prefix: string, CALLS: number): Promise<number> {
  const taxonomy = loadTaxonomy();
  const mapping = loadMapping('minneapolis-mpd', taxonomy);
  const { calls: real } = await readCalls(join(ROOT, '..', 'shared', 'data', 'calls', mapping.dataset), mapping, taxonomy);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  const recordedAt = new Date().toISOString();
  const meta = (callId: string) => ({ actor: { id: 'bench:statistics' }, correlationId: callId, causationId: null });
  const env = (type: string, streamId: string, v: number, occurredAt: string, callId: string, data: Record<string, unknown>, source: EventEnvelope['source']): EventEnvelope => ({
    eventId: randomUUID(),
    type,
    schemaVersion: 1,
    streamId,
    streamVersion: v,
    occurredAt,
    recordedAt,
    source,
    metadata: meta(callId),
    data,
  });

  let published = 0;
  let batch: { topic: string; key: string; value: string }[] = [];
  const flush = async () => {
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const m of batch) (byTopic.get(m.topic) ?? byTopic.set(m.topic, []).get(m.topic)!).push({ key: m.key, value: m.value });
    await producer.sendBatch({ acks: 1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    published += batch.length;
    batch = [];
  };
  for (let n = 0; n < CALLS; n++) {
    const src = real[n % real.length]!;
    const shift = Math.floor(n / real.length) * WEEK;
    const b = src.body;
    const callId = randomUUID();
    const incidentId = randomUUID();
    const caseId = randomUUID();
    const answeredAt = plus(b.answeredAt, -shift);
    const handedAt = plus(b.handedAt ?? b.answeredAt, -shift);
    const sub = taxonomy.subtype(b.classification.subtype)!;
    const cls = { kind: sub.kind, category: sub.category, subtype: sub.code, priority: b.classification.priority, flags: sub.flags };
    const loc = { address: b.location?.address, lat: b.location?.lat, lon: b.location?.lon, district: b.location?.district, beat: b.location?.beat };
    const dispatchedAt = plus(handedAt, 60_000 + (n % 240) * 1000);
    const onScene = plus(dispatchedAt, 120_000 + (n % 600) * 1000);
    const events: EventEnvelope[] = [
      env('CallReceived', `call-${callId}`, 1, answeredAt, callId, { callId, channel: b.channel, answeredAt, createdAt: answeredAt }, 'intake'),
      env('CallLocated', `call-${callId}`, 2, answeredAt, callId, { callId, source: 'import', ...loc }, 'intake'),
      env('CallClassified', `call-${callId}`, 3, answeredAt, callId, { callId, ...cls, taxonomyVersion: '1.0.0', classifiedAt: answeredAt, sourceCode: b.classification.sourceCode }, 'intake'),
      env('CallHandedToDispatch', `call-${callId}`, 4, handedAt, callId, { callId, handedAt, answeredAt, ...cls, location: loc }, 'intake'),
      env('IncidentOpened', `incident-${incidentId}`, 1, handedAt, callId, { incidentId, callId, openedAt: handedAt, answeredAt, ...cls, location: loc }, 'dispatch'),
      env('UnitsRecommended', `incident-${incidentId}`, 2, handedAt, callId, { incidentId, callId, recommendedAt: handedAt, recommendations: [] }, 'dispatch'),
      env('UnitDispatched', `incident-${incidentId}`, 3, dispatchedAt, callId, { incidentId, callId, unitId: `U${n % 40}`, dispatchedAt }, 'dispatch'),
      env('UnitStatusChanged', `unit-U${n % 40}`, 1 + Math.floor(n / 40), onScene, callId, { unitId: `U${n % 40}`, from: 'en-route', to: 'on-scene', at: onScene, incidentId, callId }, 'dispatch'),
      env('CaseOpened', `case-${caseId}`, 1, handedAt, callId, { caseId, caseNumber: `JY-2020-${String(n + 1).padStart(6, '0')}`, incidentId, callId, openedAt: handedAt, category: cls.category, subtype: cls.subtype, district: loc.district }, 'records'),
      env('DispositionRecorded', `case-${caseId}`, 2, onScene, callId, { caseId, codes: ['unresolved'], suspectsCaught: n % 17 === 0 ? 1 : 0, peopleRescued: 0, recordedAt: onScene }, 'records'),
    ];
    if (n === 0) for (const e of events) eventRegistry.parse(JSON.stringify(e)); // contract-valid
    for (const e of events) batch.push({ topic: topicName(eventRegistry.get(e.type)!.topic, prefix), key: callId, value: JSON.stringify(e) });
    if (batch.length >= 5000) await flush();
  }
  await flush();
  await producer.disconnect();
  return published;
}
