/**
 * Dispatch's API and consumer on the real PostgreSQL and Kafka: multi-unit lifecycle,
 * reassignment, cancellation, duty levels, AVL, overdue timers with a fake clock, 409/412/400.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { Kafka, logLevel } from 'kafkajs';
import { topicName, type EventEnvelope } from '@cad110/contracts';
import { dropDatabase, withDeferredRows, type Sql } from '@cad110/db';
import { deferAppends, flushAppends } from '@cad110/eventstore';
import { kafkaBrokers } from '@cad110/kafka';
import { createRuntime } from '@cad110/runtime';
import { bearer, expectDocumentedShape, uniqueId, waitFor } from '@cad110/testkit';
import type { Incident, Unit } from '../src/generated/prisma/client';
import { createServer } from '../src/server';
import { createDispatchContext, type DispatchContext } from '../src/context';
import { openIncident as openIncidentFor } from '../src/incidents/open';
import { checkOverdue } from '../src/timers/overdue';
import { seedUnits } from '../src/units/register';
import { callEventsChunk, startConsumers } from '../src/consumers/calls';
import { loadSeed } from '../src/units/seed';
import { anchorOf } from '../src/map/county-map';

jest.setTimeout(120_000);

describe('dispatch API on PostgreSQL and Kafka', () => {
  let rt: Awaited<ReturnType<typeof createRuntime>>;
  let app: Express;
  let ctx: DispatchContext;
  // fake clock: 2026-11-29 21:00 in Asia/Shanghai
  let now = Date.parse('2026-11-29T13:00:00.000Z');
  const tick = (seconds: number) => (now += seconds * 1000);
  const dispatcher = bearer('dispatcher');
  const supervisor = bearer('supervisor');
  const seed = loadSeed();
  const post = (id: string) => anchorOf(seed.find((u) => u.unitId === id)!.geometry as never)!;

  beforeAll(async () => {
    process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
    process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
    rt = await createRuntime({ name: 'dispatch', serviceDir: `${__dirname}/..` });
    ctx = createDispatchContext(rt, { clock: () => new Date(now), timeZone: 'Asia/Shanghai' });
    app = createServer(rt, ctx).app;
    expect(await seedUnits(ctx, seed)).toBe(seed.length);
    expect(await seedUnits(ctx, seed)).toBe(0);
    rt.relay.start();
  });

  afterAll(async () => {
    await Promise.allSettled(rt.consumers.map((c) => c.disconnect()));
    await rt.relay.stop();
    await rt.producer.disconnect();
    await rt.pool.end();
    await dropDatabase(rt.databaseUrl);
  });

  /** Opens an incident as the consumer does for CallHandedToDispatch. */
  async function openIncident(over: { subtype?: string; category?: string; priority?: number; lat?: number; lon?: number; district?: string; flags?: string[] } = {}) {
    const callId = randomUUID();
    const t = new Date(now).toISOString();
    const call = {
      callId,
      handedAt: t,
      answeredAt: t,
      kind: 'report' as const,
      category: over.category ?? 'public-order',
      subtype: over.subtype ?? 'noise',
      priority: over.priority ?? 3,
      flags: over.flags ?? [],
      location: { ...(over.lat !== undefined ? { lat: over.lat, lon: over.lon } : {}), ...(over.district ? { district: over.district } : {}) },
    };
    const cause = { eventId: randomUUID(), metadata: { actor: { id: 'test' }, correlationId: callId, causationId: null } } as unknown as EventEnvelope;
    const incidentId = (await rt.db.transaction((tx) => openIncidentFor(ctx, tx, call, cause)))!;
    return { incidentId, callId };
  }

  const q = async <T>(sql: string, ...args: unknown[]) => (await rt.pool.query(sql, args)).rows as T[];
  const types = async (streamId: string) => (await rt.db.query<{ type: string }>('SELECT type FROM events WHERE stream_id = $1 ORDER BY version', [streamId])).map((e) => e.type);
  const status = (unitId: string, body: object) => request(app).post(`/units/${unitId}/status`).set('authorization', dispatcher).send(body);
  const assign = (incidentId: string, body: object) => request(app).post(`/incidents/${incidentId}/assignments`).set('authorization', dispatcher).send(body);

  it('runs a two-unit incident from recommendation to closing when the last unit clears', async () => {
    const p = post('AVP-1');
    const { incidentId, callId } = await openIncident({ category: 'criminal', subtype: 'robbery', priority: 1, flags: ['two-robberies-one-theft'], ...p, district: 'Precinct 1' });
    const recs = await request(app).get(`/incidents/${incidentId}/recommendations`).set('authorization', dispatcher).expect(200);
    expect(recs.body.runCard.id).toBe('crime-in-progress');
    const primaries = recs.body.recommendations.filter((r: { role: string }) => r.role === 'primary').map((r: { unitId: string }) => r.unitId);
    expect(primaries).toHaveLength(2);
    expect(primaries[0]).toBe('AVP-1');

    const a1 = await assign(incidentId, { unitId: primaries[0] }).expect(201);
    expect(a1.body).toMatchObject({ incidentId, unitId: 'AVP-1', status: 'dispatched', events: ['UnitDispatched', 'UnitStatusChanged'] });
    expect(a1.headers.etag).toBe(`"${a1.body.incidentVersion}"`);
    await assign(incidentId, { unitId: primaries[1] }).expect(201);
    await assign(incidentId, { unitId: primaries[1] }).expect(409);
    tick(30);
    for (const u of primaries) await status(u, { status: 'en-route', incidentId }).expect(200);
    // a client revalidating with the incident's ETag still sees the units' new statuses (no stale 304)
    const before = await request(app).get(`/incidents/${incidentId}`).set('authorization', dispatcher).expect(200);
    tick(120);
    for (const u of primaries) await status(u, { status: 'on-scene' }).expect(200);
    const after = await request(app).get(`/incidents/${incidentId}`).set('authorization', dispatcher).set('if-none-match', String(before.headers.etag)).expect(200);
    expect(after.headers.etag).toBe(before.headers.etag);
    expect(after.body.units.map((u: { status: string }) => u.status)).toEqual(['on-scene', 'on-scene']);
    tick(600);
    const c1 = await status(primaries[0], { status: 'cleared' }).expect(200);
    expect(c1.body.events).toEqual(['UnitStatusChanged']);
    expect((await rt.db.select<Incident>('SELECT * FROM incidents WHERE id = $1::uuid', [incidentId]))[0]!.status).toBe('assigned');
    tick(60);
    const c2 = await status(primaries[1], { status: 'cleared' }).expect(200);
    expect(c2.body.events).toEqual(['UnitStatusChanged', 'IncidentClosed']);

    const inc = await request(app).get(`/incidents/${incidentId}`).set('authorization', dispatcher).expect(200);
    expect(inc.body).toMatchObject({ status: 'closed', activeUnits: 0, closeReason: 'all units cleared', firstDispatchedAt: '2026-11-29T13:00:00.000Z', firstOnSceneAt: '2026-11-29T13:02:30.000Z' });
    expect(inc.body.units).toHaveLength(2);
    expect(inc.body.units[0]).toMatchObject({ unitId: 'AVP-1', status: 'cleared', active: false, enRouteAt: '2026-11-29T13:00:30.000Z', onSceneAt: '2026-11-29T13:02:30.000Z' });
    expect(await types(`incident-${incidentId}`)).toEqual(['IncidentOpened', 'UnitsRecommended', 'UnitDispatched', 'UnitDispatched', 'IncidentClosed']);
    expect(await types('unit-AVP-1')).toEqual(['UnitRegistered', 'UnitStatusChanged', 'UnitStatusChanged', 'UnitStatusChanged', 'UnitStatusChanged']);
    // a unit sent after the last one cleared reopens the incident (issue 18: IncidentReopened, not a
    // 409 that loses the unit's history); its first dispatch and arrival stay the first unit's
    tick(300);
    const late = await assign(incidentId, { unitId: 'OMP-1' }).expect(201);
    expect(late.body.events).toEqual(['IncidentReopened', 'UnitDispatched', 'UnitStatusChanged']);
    const reopened = await request(app).get(`/incidents/${incidentId}`).set('authorization', dispatcher).expect(200);
    expect(reopened.body).toMatchObject({ status: 'assigned', activeUnits: 1, closedAt: null, firstDispatchedAt: '2026-11-29T13:00:00.000Z', firstOnSceneAt: '2026-11-29T13:02:30.000Z' });
    tick(60);
    expect((await status('OMP-1', { status: 'cleared' }).expect(200)).body.events).toEqual(['UnitStatusChanged', 'IncidentClosed']);
    expect(await types(`incident-${incidentId}`)).toEqual(['IncidentOpened', 'UnitsRecommended', 'UnitDispatched', 'UnitDispatched', 'IncidentClosed', 'IncidentReopened', 'UnitDispatched', 'IncidentClosed']);
    await status('OMP-1', { status: 'available' }).expect(200);
    // the cleared unit is free again and reports back available
    await status('AVP-1', { status: 'available' }).expect(200);

    // the events reach Kafka with actor and correlation (the call id)
    const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, clientId: 'dispatch-test' });
    const consumer = kafka.consumer({ groupId: uniqueId('g') });
    const seen: EventEnvelope[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: topicName('dispatch'), fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(JSON.parse(message.value!.toString())) });
    const dispatched: EventEnvelope = await waitFor(() => seen.find((e) => e.type === 'UnitDispatched' && (e.data as { incidentId: string }).incidentId === incidentId), { timeoutMs: 30_000 }) as EventEnvelope;
    await consumer.disconnect();
    expect(dispatched.metadata).toMatchObject({ actor: { id: 'test-dispatcher', role: 'dispatcher' }, correlationId: callId });
    expect(dispatched.data).toMatchObject({ unitId: 'AVP-1', dispatchedAt: '2026-11-29T13:00:00.000Z', callSign: '巡特警1', unitType: 'armed-vehicle-patrol' });
  });

  it('answers 409 problem+json for refused transitions, 412 for a stale If-Match, 400 for future times, 404 for unknown units', async () => {
    const r = await status('OMP-2', { status: 'on-scene' }).expect(409);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r.body).toMatchObject({ status: 409, code: 'transition-not-allowed' });
    expect(r.body.detail).toMatch(/available to on-scene/);
    const unit = await request(app).get('/units/OMP-2').set('authorization', dispatcher).expect(200);
    const etag = String(unit.headers.etag);
    const stale = await status('OMP-2', { status: 'out-of-service' }).set('if-match', `"${Number(JSON.parse(etag)) - 1}"`).expect(412);
    expect(stale.body.currentVersion).toBe(Number(JSON.parse(etag)));
    await status('OMP-2', { status: 'out-of-service' }).set('if-match', etag).expect(200);
    await status('OMP-2', { status: 'available', at: new Date(now + 3_600_000).toISOString() }).expect(400);
    const bad = await status('OMP-2', { status: 'sleeping', at: 'yesterday' }).expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['at', 'status']);
    await status('OMP-2', { status: 'available' }).expect(200);
    await status('NOPE', { status: 'available' }).expect(404);
    await status('OMP-2', { status: 'available' }).set('authorization', bearer('analyst')).expect(403);
  });

  it('reassigns a unit: the incident it leaves goes back to the pending queue', async () => {
    const low = await openIncident({ subtype: 'noise', ...post('OMP-4'), district: 'Precinct 5' });
    tick(10);
    const high = await openIncident({ category: 'assistance', subtype: 'person-down', priority: 1, ...post('OMP-4'), district: 'Precinct 5' });
    await assign(low.incidentId, { unitId: 'OMP-4' }).expect(201);
    await status('OMP-4', { status: 'en-route' }).expect(200);
    const busy = await assign(high.incidentId, { unitId: 'OMP-4' }).expect(409);
    expect(busy.body.code).toBe('busy');
    tick(5);
    const moved = await assign(high.incidentId, { unitId: 'OMP-4', reassign: true }).expect(201);
    expect(moved.body.events).toEqual(['UnitDispatched', 'UnitReassigned', 'UnitStatusChanged']);
    const queue = await request(app).get('/incidents/queue').set('authorization', dispatcher).expect(200);
    const ids = queue.body.items.map((i: { id: string }) => i.id);
    expect(ids).toContain(low.incidentId);
    expect(ids).not.toContain(high.incidentId);
    // the queue is ordered by priority, then age
    const order = queue.body.items.map((i: { priority: number; openedAt: string }) => [i.priority, i.openedAt]);
    expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1])));
    expect(await types(`incident-${low.incidentId}`)).toEqual(['IncidentOpened', 'UnitsRecommended', 'UnitDispatched', 'UnitReassigned']);
    const u = await request(app).get('/units/OMP-4').set('authorization', dispatcher).expect(200);
    expect(u.body).toMatchObject({ status: 'dispatched', incidentId: high.incidentId });
    await status('OMP-4', { status: 'cleared' }).expect(200);
    expect((await rt.db.select<Incident>('SELECT * FROM incidents WHERE id = $1::uuid', [high.incidentId]))[0]!.status).toBe('closed');
    // the abandoned low-priority incident closes by hand once resolved by phone
    const closed = await request(app).post(`/incidents/${low.incidentId}/close`).set('authorization', dispatcher).send({ reason: 'resolved by phone' }).expect(200);
    expect(closed.body.events).toEqual(['IncidentClosed']);
    await status('OMP-4', { status: 'available' }).expect(200);
  });

  it('runs a batch of commands in order, each as its single route would, one refused without undoing the others', async () => {
    for (const id of ['BT-1', 'BT-2']) {
      await request(app).post('/units').set('authorization', supervisor).send({ id, callSign: id, type: 'mutual-aid', district: 'Precinct 1', homeStation: 'batch test', crewSize: 2 }).expect(201);
    }
    const a = await openIncident({ ...post('AVP-1'), district: 'Precinct 1' });
    const b = await openIncident({ ...post('AVP-1'), district: 'Precinct 1' });
    const at = (s: number) => new Date(now - 3_600_000 + s * 1000).toISOString();
    const batch = (commands: object[], auth = dispatcher) => request(app).post('/commands/batch').set('authorization', auth).send({ commands });
    const r = await batch([
      { type: 'assignUnit', incidentId: a.incidentId, unitId: 'BT-1', at: at(0) },
      { type: 'changeUnitStatus', unitId: 'BT-1', status: 'en-route', at: at(30), incidentId: a.incidentId, after: 0 },
      { type: 'assignUnit', incidentId: b.incidentId, unitId: 'BT-1', at: at(40) }, // busy on a: 409, nothing of it written
      { type: 'assignUnit', incidentId: a.incidentId, unitId: 'NOPE', at: at(50) }, // 404
      { type: 'changeUnitStatus', unitId: 'NOPE', status: 'en-route', at: at(55), after: 3 }, // its dispatch failed: 424, not run
      { type: 'changeUnitStatus', unitId: 'BT-1', status: 'on-scene', at: at(60), after: 1 },
      { type: 'assignUnit', incidentId: b.incidentId, unitId: 'BT-2', at: at(70) },
      { type: 'changeUnitStatus', unitId: 'BT-1', status: 'cleared', at: at(600), after: 5 }, // the last unit on a: a closes
    ]).expect(200);
    expect(r.body.results.map((x: { status: number }) => x.status)).toEqual([201, 200, 409, 404, 424, 200, 201, 200]);
    expect(r.body.results[0].body).toMatchObject({ incidentId: a.incidentId, unitId: 'BT-1', status: 'dispatched', events: ['UnitDispatched', 'UnitStatusChanged'] });
    expect(r.body.results[2].body).toMatchObject({ status: 409, code: 'busy', params: { unitId: 'BT-1', incidentId: a.incidentId } });
    expect(r.body.results[4].body).toMatchObject({ status: 424, code: 'dependency-failed', after: 3 });
    expect(r.body.results[7].body.events).toEqual(['UnitStatusChanged', 'IncidentClosed']);
    // the streams hold exactly what the single routes would have written, at the times given
    expect(await types(`incident-${a.incidentId}`)).toEqual(['IncidentOpened', 'UnitsRecommended', 'UnitDispatched', 'IncidentClosed']);
    expect(await types(`incident-${b.incidentId}`)).toEqual(['IncidentOpened', 'UnitsRecommended', 'UnitDispatched']);
    expect(await types('unit-BT-1')).toEqual(['UnitRegistered', 'UnitStatusChanged', 'UnitStatusChanged', 'UnitStatusChanged', 'UnitStatusChanged']);
    const onScene = await q<{ occurred_at: Date }>("SELECT occurred_at FROM events WHERE stream_id = 'unit-BT-1' AND data->>'to' = 'on-scene'");
    expect(onScene.map((e) => e.occurred_at.toISOString())).toEqual([at(60)]);
    expect((await rt.db.select<Incident>('SELECT * FROM incidents WHERE id = $1::uuid', [a.incidentId]))[0]!.status).toBe('closed');
    // a malformed batch is refused whole, naming the field; the role is the single routes'
    const bad = await batch([{ type: 'changeUnitStatus', unitId: 'BT-2', status: 'en-route' }, { type: 'changeUnitStatus', unitId: 'BT-2', status: 'on-scene', after: 1 }]).expect(400);
    expect(bad.body.errors).toEqual([{ field: 'commands.1.after', message: expect.any(String) }]);
    const unknown = await batch([{ type: 'launchRocket', unitId: 'BT-2' }]).expect(400);
    expect(unknown.body.errors[0].field).toMatch(/^commands\.0/);
    await batch([{ type: 'changeUnitStatus', unitId: 'BT-2', status: 'en-route' }], bearer('call_taker')).expect(403);
    expect((await rt.db.select<Unit>("SELECT * FROM units WHERE id = 'BT-2'"))[0]).toMatchObject({ status: 'dispatched' });
    await batch([
      { type: 'changeUnitStatus', unitId: 'BT-2', status: 'cleared' },
      { type: 'changeUnitStatus', unitId: 'BT-2', status: 'available', after: 0 },
      { type: 'changeUnitStatus', unitId: 'BT-1', status: 'available' },
    ]).expect(200);
  });

  it('in one batch, an incident with two units closes when the second clears, and reopens for a unit sent after', async () => {
    // one transaction: the units working the incident are read once and kept by the batch's own writes
    for (const id of ['BT-3', 'BT-4']) {
      await request(app).post('/units').set('authorization', supervisor).send({ id, callSign: id, type: 'mutual-aid', district: 'Precinct 1', homeStation: 'batch test', crewSize: 2 }).expect(201);
    }
    const a = await openIncident({ ...post('AVP-1'), district: 'Precinct 1' });
    const at = (s: number) => new Date(now - 1_800_000 + s * 1000).toISOString();
    const r = await request(app)
      .post('/commands/batch')
      .set('authorization', dispatcher)
      .send({
        commands: [
          { type: 'assignUnit', incidentId: a.incidentId, unitId: 'BT-3', at: at(0) },
          { type: 'assignUnit', incidentId: a.incidentId, unitId: 'BT-4', at: at(10) },
          { type: 'changeUnitStatus', unitId: 'BT-3', status: 'on-scene', at: at(100) },
          { type: 'changeUnitStatus', unitId: 'BT-3', status: 'cleared', at: at(200) }, // BT-4 still on it: stays open
          { type: 'changeUnitStatus', unitId: 'BT-4', status: 'cleared', at: at(300) }, // the last one: closes
          { type: 'changeUnitStatus', unitId: 'BT-3', status: 'available', at: at(310) },
          { type: 'assignUnit', incidentId: a.incidentId, unitId: 'BT-3', at: at(400) }, // sent after every unit cleared: reopens
        ],
      })
      .expect(200);
    expect(r.body.results.map((x: { status: number }) => x.status)).toEqual([201, 201, 200, 200, 200, 200, 201]);
    expect(r.body.results[3].body.events).toEqual(['UnitStatusChanged']);
    expect(r.body.results[4].body.events).toEqual(['UnitStatusChanged', 'IncidentClosed']);
    expect(await types(`incident-${a.incidentId}`)).toEqual(['IncidentOpened', 'UnitsRecommended', 'UnitDispatched', 'UnitDispatched', 'IncidentClosed', 'IncidentReopened', 'UnitDispatched']);
    const row = (await rt.db.select<Incident>('SELECT * FROM incidents WHERE id = $1::uuid', [a.incidentId]))[0]!;
    expect(row).toMatchObject({ status: 'assigned', activeUnits: 1 });
    expect(row.firstDispatchedAt?.toISOString()).toBe(at(0));
    expect(row.firstOnSceneAt?.toISOString()).toBe(at(100));
    await request(app).post(`/incidents/${a.incidentId}/cancel`).set('authorization', dispatcher).send({ reason: 'test done' }).expect(200);
    for (const id of ['BT-3', 'BT-4']) await status(id, { status: 'available' });
  });

  it('finds the incidents of many calls at once (GET /incidents?callIds=)', async () => {
    const a = await openIncident();
    const b = await openIncident();
    const r = await request(app).get(`/incidents?callIds=${a.callId},${b.callId},${randomUUID()}&limit=500`).set('authorization', dispatcher).expect(200);
    expect(r.body.items.map((i: { id: string }) => i.id).sort()).toEqual([a.incidentId, b.incidentId].sort());
    expect(r.body.total).toBe(2);
    // the brief view: where each incident stands, the same incidents, no location or recommendation
    const brief = await request(app).get(`/incidents?callIds=${a.callId},${b.callId}&limit=500&view=brief`).set('authorization', dispatcher).expect(200);
    const full = new Map((r.body.items as Record<string, unknown>[]).map((i) => [i.id, i]));
    expect(brief.body.total).toBe(2);
    for (const item of brief.body.items as Record<string, unknown>[]) {
      expect(Object.keys(item).sort()).toEqual(['activeUnits', 'callId', 'district', 'externalId', 'externalSource', 'firstDispatchedAt', 'id', 'status', 'version']);
      const f = full.get(item.id)!;
      expect(item).toEqual(Object.fromEntries(Object.keys(item).map((k) => [k, f[k]])));
      expect(f.recommendations).toBeDefined();
    }
    await request(app).get(`/incidents?callIds=${a.callId}&view=everything`).set('authorization', dispatcher).expect(400);
    const bad = await request(app).get(`/incidents?callIds=${a.callId},not-a-uuid`).set('authorization', dispatcher).expect(400);
    expect(bad.body.errors[0].field).toBe('callIds');
    for (const id of [a.incidentId, b.incidentId]) await request(app).post(`/incidents/${id}/cancel`).set('authorization', dispatcher).send({ reason: 'test done' }).expect(200);
  });

  it('cancels an incident and clears the units on it', async () => {
    const { incidentId } = await openIncident({ ...post('OMP-5'), district: 'Precinct 4 North PSA' });
    await assign(incidentId, { unitId: 'OMP-5' }).expect(201);
    const c = await request(app).post(`/incidents/${incidentId}/cancel`).set('authorization', dispatcher).send({ reason: 'caller called back: all fine' }).expect(200);
    expect(c.body.events).toEqual(['IncidentCancelled', 'UnitStatusChanged']);
    expect((await rt.db.select<Unit>("SELECT * FROM units WHERE id = 'OMP-5'"))[0]).toMatchObject({ status: 'cleared', incidentId: null });
    await request(app).post(`/incidents/${incidentId}/cancel`).set('authorization', dispatcher).send({ reason: 'again' }).expect(409);
    await status('OMP-5', { status: 'available' }).expect(200);
  });

  it('changes availability and recommendations immediately with the duty level (events and API)', async () => {
    const { incidentId } = await openIncident({ ...post('NAT-3'), district: 'Precinct 2' });
    const before = await request(app).get(`/incidents/${incidentId}/recommendations`).set('authorization', dispatcher).expect(200);
    expect(before.body.recommendations.map((r: { unitId: string }) => r.unitId)).not.toContain('NAT-3');
    await assign(incidentId, { unitId: 'NAT-3' }).expect(409);
    await request(app).put('/duty-levels/Precinct 2').set('authorization', dispatcher).send({ level: 'reinforced' }).expect(403);
    await request(app).put('/duty-levels/Precinct 2').set('authorization', supervisor).set('if-match', '"1"').send({ level: 'reinforced' }).expect(412);
    const set = await request(app).put('/duty-levels/Precinct 2').set('authorization', supervisor).set('if-match', '"0"').send({ level: 'reinforced', reason: 'festival' }).expect(200);
    expect(set.body).toMatchObject({ district: 'Precinct 2', level: 'reinforced', version: 1, onDutyUnits: 3, events: ['DutyLevelChanged'] });
    const onDuty = async () => Object.fromEntries((await q<{ id: string; on_duty: boolean }>(`SELECT id, on_duty FROM units WHERE district = 'Precinct 2' ORDER BY id`)).map((r) => [r.id, r.on_duty]));
    expect(await onDuty()).toEqual({ 'AVP-3': true, 'NAT-3': true, 'OMP-2': true });
    await request(app).put('/duty-levels/Precinct 2').set('authorization', supervisor).send({ level: 'reinforced' }).expect(409);
    await request(app).put('/duty-levels/Atlantis').set('authorization', supervisor).send({ level: 'wartime' }).expect(404);
    const after = await request(app).get(`/incidents/${incidentId}/recommendations`).set('authorization', dispatcher).expect(200);
    expect(after.body.recommendations[0]).toMatchObject({ unitId: 'NAT-3', etaSeconds: 0 });
    const levels = await request(app).get('/duty-levels').set('authorization', dispatcher).expect(200);
    const p2 = levels.body.items.find((d: { district: string }) => d.district === 'Precinct 2');
    expect(p2).toMatchObject({ level: 'reinforced', nameZh: '城东北', version: 1, reason: 'festival' });
    expect(p2.onDutyUnitIds).toContain('NAT-3');
    expect(await types('duty-Precinct 2')).toEqual(['DutyLevelChanged']);
    const back = await request(app).put('/duty-levels/Precinct 2').set('authorization', supervisor).send({ level: 'normal' }).expect(200);
    expect(back.body).toMatchObject({ level: 'normal', version: 2, onDutyUnits: 2 });
    expect(await onDuty()).toEqual({ 'AVP-3': true, 'NAT-3': false, 'OMP-2': true });
    expect(await q(`SELECT level, reason, version FROM duty_levels WHERE district = 'Precinct 2'`)).toEqual([{ level: 'normal', reason: null, version: 2 }]);
    await request(app).post(`/incidents/${incidentId}/close`).set('authorization', dispatcher).send({ reason: 'test done' }).expect(200);
  });

  it('feeds ETAs from AVL positions', async () => {
    const target = post('STN-W');
    const { incidentId } = await openIncident({ ...target, district: 'Precinct 5' });
    await request(app).post('/units/STN-S/position').set('authorization', dispatcher).send({ lat: target.lat, lon: target.lon }).expect(200);
    // a stale fix arriving late is ignored
    const late = await request(app).post('/units/STN-S/position').set('authorization', dispatcher).send({ lat: 45, lon: -93, at: new Date(now - 60_000).toISOString() }).expect(200);
    expect(late.body.applied).toBe(false);
    const recs = await request(app).get(`/incidents/${incidentId}/recommendations?alternates=10`).set('authorization', dispatcher).expect(200);
    const stnS = recs.body.recommendations.find((r: { unitId: string }) => r.unitId === 'STN-S');
    expect(stnS).toMatchObject({ etaSeconds: 0, distanceMetres: 0 });
    expect(stnS.reasons.join(' ')).toMatch(/AVL fix 0 s old/);
    await request(app).post(`/incidents/${incidentId}/close`).set('authorization', dispatcher).send({ reason: 'test done' }).expect(200);
  });

  it('raises overdue alerts with the injected clock: not en route after 60 s, on-scene check-ins per subtype limit', async () => {
    const { incidentId } = await openIncident({ subtype: 'noise', ...post('OMP-3'), district: 'Precinct 3' }); // noise: 20 min on scene
    await assign(incidentId, { unitId: 'OMP-3' }).expect(201);
    tick(59);
    expect(await checkOverdue(ctx)).toEqual([]);
    tick(2);
    expect(await checkOverdue(ctx)).toEqual([{ unitId: 'OMP-3', kind: 'not-en-route', sequence: 1 }]);
    tick(60);
    expect(await checkOverdue(ctx)).toEqual([]); // once per dispatch
    await status('OMP-3', { status: 'on-scene' }).expect(200);
    tick(20 * 60 - 1);
    expect(await checkOverdue(ctx)).toEqual([]);
    tick(1);
    expect(await checkOverdue(ctx)).toEqual([{ unitId: 'OMP-3', kind: 'check-in-due', sequence: 1 }]);
    tick(20 * 60);
    expect(await checkOverdue(ctx)).toEqual([{ unitId: 'OMP-3', kind: 'check-in-due', sequence: 2 }]);
    const alerts = await request(app).get('/alerts').set('authorization', dispatcher).expect(200);
    expect(alerts.body.items.slice(0, 3).map((a: { kind: string; sequence: number }) => [a.kind, a.sequence])).toEqual([['check-in-due', 2], ['check-in-due', 1], ['not-en-route', 1]]);
    expect(await types('unit-OMP-3')).toEqual(expect.arrayContaining(['UnitOverdueAlerted']));
    await status('OMP-3', { status: 'cleared' }).expect(200);
    await status('OMP-3', { status: 'available' }).expect(200);

    // a back-dated dispatch (late entry, replay) gets the full limit of clock time from when it was recorded
    const old = await openIncident({ ...post('STN-N'), district: 'Precinct 4' });
    await assign(old.incidentId, { unitId: 'STN-N', at: new Date(now - 3_600_000).toISOString() }).expect(201);
    expect(await checkOverdue(ctx)).toEqual([]);
    tick(61);
    expect((await checkOverdue(ctx)).map((a) => a.unitId)).toEqual(['STN-N']);
    await status('STN-N', { status: 'cleared' }).expect(200);
  });

  it('raises each overdue alert once when two dispatch instances run their timers at the same moment', async () => {
    // a second instance: its own pool, Prisma client and producer on the same database, as a second process has
    const rt2 = await createRuntime({ name: 'dispatch', serviceDir: `${__dirname}/..` });
    try {
      const ctx2 = createDispatchContext(rt2, { clock: () => new Date(now), timeZone: 'Asia/Shanghai' });
      const { incidentId } = await openIncident({ subtype: 'noise', ...post('RAP-W'), district: 'Precinct 4' });
      await assign(incidentId, { unitId: 'RAP-W' }).expect(201);
      tick(61);
      const rounds = await Promise.all([checkOverdue(ctx), checkOverdue(ctx2), checkOverdue(ctx2), checkOverdue(ctx)]);
      expect(rounds.flat().filter((a) => a.unitId === 'RAP-W')).toEqual([{ unitId: 'RAP-W', kind: 'not-en-route', sequence: 1 }]);
      const [row] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE stream_id = 'unit-RAP-W' AND type = 'UnitOverdueAlerted'`);
      expect(row!.n).toBe(1);
      const alerts = await request(app).get('/alerts?limit=500').set('authorization', dispatcher).expect(200);
      expect(alerts.body.items.filter((a: { unitId: string }) => a.unitId === 'RAP-W')).toHaveLength(1);
      await status('RAP-W', { status: 'cleared' }).expect(200);
    } finally {
      await rt2.relay.stop();
      await rt2.producer.disconnect();
      await rt2.pool.end();
    }
  });

  it('opens one incident per call from Kafka, idempotently, with a recommendation', async () => {
    await startConsumers(rt, ctx);
    const callId = randomUUID();
    const p = post('OMP-1');
    const envelope = (eventId: string) => ({
      eventId,
      type: 'CallHandedToDispatch',
      schemaVersion: 1,
      streamId: `call-${callId}`,
      streamVersion: 3,
      occurredAt: new Date(now).toISOString(),
      recordedAt: new Date(now).toISOString(),
      source: 'intake',
      metadata: { actor: { id: 'ct1', role: 'call_taker' }, correlationId: callId, causationId: null },
      data: { callId, handedAt: new Date(now).toISOString(), answeredAt: new Date(now).toISOString(), kind: 'report', category: 'criminal', subtype: 'theft', priority: 3, flags: ['two-robberies-one-theft'], location: { lat: p.lat, lon: p.lon } },
    });
    const first = randomUUID();
    await rt.producer.send({ topic: topicName('calls'), messages: [first, first, randomUUID()].map((id) => ({ key: callId, value: JSON.stringify(envelope(id)) })) });
    const inc = (await waitFor(async () => (await rt.db.select<Incident>('SELECT * FROM incidents WHERE call_id = $1::uuid', [callId]))[0], { timeoutMs: 60_000 }))!;
    await waitFor(async () => (await rt.db.query<{ n: number }>("SELECT count(*)::int AS n FROM processed_messages WHERE consumer = 'dispatch.calls'"))[0]!.n >= 2, { timeoutMs: 60_000 });
    expect((await rt.db.query<{ n: number }>('SELECT count(*)::int AS n FROM incidents WHERE call_id = $1::uuid', [callId]))[0]!.n).toBe(1);
    expect(inc).toMatchObject({ district: 'Precinct 1', status: 'pending', subtype: 'theft' }); // district from the county map
    expect(await types(`incident-${inc.id}`)).toEqual(['IncidentOpened', 'UnitsRecommended']);
    expect((inc.runCard as { id: string }).id).toBe('crime-report');
    expect((inc.recommendations as { unitId: string }[]).length).toBeGreaterThan(0);
    // the read model holds the recommendation as JSON (not a JSON string) exactly as the event has it
    const [row] = await q<{ recs: string; card: string; same: boolean }>(
      `SELECT jsonb_typeof(i.recommendations) AS recs, jsonb_typeof(i.run_card) AS card,
              i.recommendations = (e.data->'recommendations') AND i.run_card = (e.data->'runCard') AS same
         FROM incidents i JOIN events e ON e.stream_id = 'incident-' || i.id AND e.type = 'UnitsRecommended' WHERE i.id = $1::uuid`,
      inc.id,
    );
    expect(row).toEqual({ recs: 'array', card: 'object', same: true });
  });

  it('opens a chunk\'s incidents with one INSERT before its commit; a cancellation later in the chunk finds its call\'s new incident', async () => {
    const chunk = callEventsChunk(ctx);
    const statements: string[] = [];
    // the consumer's transaction (deferred rows), counting its statements
    const counting = withDeferredRows((fn) =>
      rt.db.transaction((tx) =>
        fn({ ...tx, query: (q: string, p?: readonly unknown[]) => (statements.push(q), tx.query(q, p)), exec: (q: string, p?: readonly unknown[]) => (statements.push(q), tx.exec(q, p)) } as Sql),
      ),
    );
    const at = new Date(now).toISOString();
    const p = post('OMP-3');
    const metadata = { actor: { id: 'ct1', role: 'call_taker' }, causationId: null };
    const calls = Array.from({ length: 6 }, () => randomUUID());
    const handed = (callId: string) =>
      ({
        eventId: randomUUID(),
        type: 'CallHandedToDispatch',
        occurredAt: at,
        metadata: { ...metadata, correlationId: callId },
        data: { callId, handedAt: at, answeredAt: at, kind: 'report', category: 'public-order', subtype: 'noise', priority: 3, flags: [], location: { lat: p.lat, lon: p.lon } },
      }) as unknown as EventEnvelope;
    const cancelled = { eventId: randomUUID(), type: 'CallCancelled', occurredAt: at, metadata: { ...metadata, correlationId: calls[2] }, data: { callId: calls[2], reason: 'caller-hung-up' } } as unknown as EventEnvelope;
    const events = [...calls.map(handed), cancelled];
    await counting(async (tx) => {
      deferAppends(tx); // as the consumer applies a chunk (libs/kafka)
      await chunk.prepare(events, tx);
      for (const e of events) await chunk.handle(e, tx);
      await flushAppends(tx);
    });
    // six new incidents, one statement (written when the cancellation needed them; one per incident before)
    expect(statements.filter((q) => q.startsWith('INSERT INTO "incidents"')).length).toBe(1);
    const rows = await q<{ call_id: string; status: string; recs: string }>('SELECT call_id::text, status, jsonb_typeof(recommendations) AS recs FROM incidents WHERE call_id = ANY($1::uuid[])', calls);
    expect(rows.map((r) => [r.call_id, r.status]).sort()).toEqual(calls.map((c, i) => [c, i === 2 ? 'cancelled' : 'pending']).sort());
    expect(rows.every((r) => r.recs === 'array')).toBe(true);
    // a chunk of hand-overs alone: its rows are inserted at the commit, still with one statement
    statements.length = 0;
    const more = Array.from({ length: 4 }, () => handed(randomUUID()));
    await counting(async (tx) => {
      deferAppends(tx); // as the consumer applies a chunk (libs/kafka)
      await chunk.prepare(more, tx);
      for (const e of more) await chunk.handle(e, tx);
      await flushAppends(tx);
    });
    expect(statements.filter((q) => q.startsWith('INSERT INTO "incidents"')).length).toBe(1);
    expect((await q<{ n: number }>('SELECT count(*)::int AS n FROM incidents WHERE call_id = ANY($1::uuid[])', more.map((e) => (e.data as { callId: string }).callId)))[0]!.n).toBe(4);
  });

  it('cancels the call\'s incident from Kafka (CallCancelled), clearing its unit; other call events touch no table', async () => {
    const { incidentId, callId } = await openIncident({ ...post('OMP-2'), district: 'Precinct 2' });
    await assign(incidentId, { unitId: 'OMP-2' }).expect(201);
    const at = new Date(now).toISOString();
    const base = { schemaVersion: 1, streamId: `call-${callId}`, occurredAt: at, recordedAt: at, source: 'intake', metadata: { actor: { id: 'ct1', role: 'call_taker' }, correlationId: callId, causationId: null } };
    const closedId = randomUUID();
    const cancelId = randomUUID();
    await rt.producer.send({
      topic: topicName('calls'),
      messages: [
        { key: callId, value: JSON.stringify({ ...base, eventId: closedId, type: 'CallClosed', streamVersion: 5, data: { callId, closedAt: at } }) },
        { key: callId, value: JSON.stringify({ ...base, eventId: cancelId, type: 'CallCancelled', streamVersion: 6, data: { callId, reason: 'caller-hung-up', note: 'called back: all fine' } }) },
      ],
    });
    await waitFor(async () => (await q<{ status: string }>('SELECT status FROM incidents WHERE id = $1::uuid', incidentId))[0]?.status === 'cancelled', { timeoutMs: 60_000 });
    expect(await types(`incident-${incidentId}`)).toEqual(['IncidentOpened', 'UnitsRecommended', 'UnitDispatched', 'IncidentCancelled']);
    expect((await rt.db.select<Unit>("SELECT * FROM units WHERE id = 'OMP-2'"))[0]).toMatchObject({ status: 'cleared', incidentId: null, callId: null });
    const inc = (await rt.db.select<Incident>('SELECT * FROM incidents WHERE id = $1::uuid', [incidentId]))[0]!;
    expect(inc).toMatchObject({ status: 'cancelled', activeUnits: 0, closeReason: 'call cancelled: caller-hung-up (called back: all fine)' });
    expect(inc.cancelledAt!.toISOString()).toBe(at);
    const [cancelled] = await q<{ metadata: { actor: { id: string }; causationId: string } }>(`SELECT metadata FROM events WHERE stream_id = $1 AND type = 'IncidentCancelled'`, `incident-${incidentId}`);
    expect(cancelled!.metadata).toMatchObject({ actor: { id: 'system:dispatch' }, causationId: cancelId });
    // the CallClosed before it was acknowledged without a processed marker (accepts filter)
    expect(await q('SELECT 1 FROM processed_messages WHERE event_id = $1::uuid', closedId)).toEqual([]);
    expect(await q('SELECT 1 FROM processed_messages WHERE event_id = $1::uuid', cancelId)).toHaveLength(1);
    await status('OMP-2', { status: 'available' }).expect(200);
  });

  it('writes the read models as the Prisma client did (before issue 12): jsonb values, array columns and updated_at on every change', async () => {
    const [unit] = await q<{ geometry: string; capabilities: string[] }>(`SELECT jsonb_typeof(geometry) AS geometry, capabilities FROM units WHERE id = 'AVP-1'`);
    expect(unit).toMatchObject({ geometry: 'object', capabilities: seed.find((u) => u.unitId === 'AVP-1')!.capabilities });
    const wallBefore = Date.now();
    const { incidentId } = await openIncident({ ...post('AVP-2'), district: 'Precinct 3', flags: ['two-robberies-one-theft'] });
    const [inc] = await q<{ flags: string[]; updated_at: Date; version: number }>('SELECT flags, updated_at, version FROM incidents WHERE id = $1::uuid', incidentId);
    expect(inc!.flags).toEqual(['two-robberies-one-theft']);
    expect(inc!.updated_at.getTime()).toBeGreaterThanOrEqual(wallBefore - 1000);
    const [avp2Before] = await q<{ updated_at: Date }>(`SELECT updated_at FROM units WHERE id = 'AVP-2'`);
    await new Promise((r) => setTimeout(r, 20));
    await assign(incidentId, { unitId: 'AVP-2' }).expect(201);
    const [after] = await q<{ updated_at: Date; version: number; status: string; active_units: number }>('SELECT updated_at, version, status, active_units FROM incidents WHERE id = $1::uuid', incidentId);
    expect(after).toMatchObject({ version: inc!.version + 1, status: 'assigned', active_units: 1 });
    expect(after!.updated_at.getTime()).toBeGreaterThan(inc!.updated_at.getTime());
    const [u2] = await q<{ updated_at: Date; status: string }>(`SELECT updated_at, status FROM units WHERE id = 'AVP-2'`);
    expect(u2!.status).toBe('dispatched');
    expect(u2!.updated_at.getTime()).toBeGreaterThan(avp2Before!.updated_at.getTime());
    await request(app).post(`/incidents/${incidentId}/cancel`).set('authorization', dispatcher).send({ reason: 'test done' }).expect(200);
    await status('AVP-2', { status: 'available' }).expect(200);
  });

  it('answers every read with the DTO its route table documents, never a raw row (ISO-8601 strings, no extra columns)', async () => {
    const get = async (path: string) => (await request(app).get(path).set('authorization', dispatcher).expect(200)).body as Record<string, unknown>;
    const open = await openIncident({ ...post('OMP-1'), district: 'Precinct 1' });
    await assign(open.incidentId, { unitId: 'OMP-1' }).expect(201); // an assigned one, with a unit on it
    await openIncident({ ...post('OMP-1'), district: 'Precinct 1' }); // and a pending one
    const list = (await get('/incidents?limit=500')) as { items: { id: string; status: string }[] };
    expect(new Set(list.items.map((i) => i.status))).toEqual(new Set(['pending', 'assigned', 'closed', 'cancelled']));
    expectDocumentedShape(app, 'GET /incidents', list);
    expectDocumentedShape(app, 'GET /incidents/queue', await get('/incidents/queue'));
    for (const i of list.items) expectDocumentedShape(app, 'GET /incidents/:id', await get(`/incidents/${i.id}`));
    const withUnits = list.items.find((i) => i.status === 'closed')!;
    expect(((await get(`/incidents/${withUnits.id}`)) as { units: { dispatchedAt: string }[] }).units[0]!.dispatchedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expectDocumentedShape(app, 'GET /incidents/:id/recommendations', await get(`/incidents/${list.items.find((i) => i.status === 'pending')!.id}/recommendations`));
    const units = (await get('/units')) as { items: { id: string; avlAt: string | null }[] };
    expect(units.items.some((u) => u.avlAt !== null)).toBe(true);
    expectDocumentedShape(app, 'GET /units', units);
    for (const u of units.items.slice(0, 5)) expectDocumentedShape(app, 'GET /units/:unitId', await get(`/units/${encodeURIComponent(u.id)}`));
    const alerts = (await get('/alerts')) as { items: unknown[] };
    expect(alerts.items.length).toBeGreaterThan(0);
    expectDocumentedShape(app, 'GET /alerts', alerts);
    expectDocumentedShape(app, 'GET /duty-levels', await get('/duty-levels'));
    expectDocumentedShape(app, 'GET /run-cards', await get('/run-cards'));
    expectDocumentedShape(app, 'GET /eta-model', await get('/eta-model'));
    // the check can fail: a raw row (an extra column, a Date) is refused
    const row = (await rt.db.select<Incident>('SELECT * FROM incidents LIMIT 1'))[0]!;
    expect(() => expectDocumentedShape(app, 'GET /incidents/:id', JSON.parse(JSON.stringify({ ...row, units: [], narrative: [], priorityChanges: [], duplicates: [] })))).toThrow(/fields its documented schema does not list/);
  });
});
