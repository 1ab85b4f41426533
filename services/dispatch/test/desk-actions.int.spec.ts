/**
 * The dispatcher desk's actions on dispatch (issue 15 §2-§3) on the real PostgreSQL and Kafka:
 * acknowledging an overdue alert, closing without a unit with a disposition, notes and priority
 * changes, links as a duplicate, with the actor and workstation of each event and the problem+json answers (400 bad
 * input, 404 unknown, 409 refused).
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import type { EventEnvelope } from '@cad110/contracts';
import { dropDatabase } from '@cad110/db';
import { createRuntime } from '@cad110/runtime';
import { bearer, expectDocumentedShape, uniqueId } from '@cad110/testkit';
import { createServer } from '../src/server';
import { createDispatchContext, type DispatchContext } from '../src/context';
import { openIncident as openIncidentFor } from '../src/incidents/open';
import { checkOverdue } from '../src/timers/overdue';
import { seedUnits } from '../src/units/register';
import { loadSeed } from '../src/units/seed';
import { anchorOf } from '../src/map/county-map';

jest.setTimeout(120_000);

describe('dispatcher desk actions on PostgreSQL and Kafka', () => {
  let rt: Awaited<ReturnType<typeof createRuntime>>;
  let app: Express;
  let ctx: DispatchContext;
  let now = Date.parse('2026-11-29T13:00:00.000Z');
  const tick = (seconds: number) => (now += seconds * 1000);
  const dispatcher = bearer('dispatcher', 'disp-7');
  const analyst = bearer('analyst');
  const seed = loadSeed();
  const post = (id: string) => anchorOf(seed.find((u) => u.unitId === id)!.geometry as never)!;

  beforeAll(async () => {
    process.env.CAD110_DB_PREFIX = uniqueId(`${process.env.CAD110_DB_PREFIX ?? 'cad110t'}_desk_`);
    process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('desk')}.`;
    rt = await createRuntime({ name: 'dispatch', serviceDir: `${__dirname}/..` });
    ctx = createDispatchContext(rt, { clock: () => new Date(now), timeZone: 'Asia/Shanghai' });
    app = createServer(rt, ctx).app;
    await seedUnits(ctx, seed);
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
  async function openIncident(over: { priority?: number; lat?: number; lon?: number; district?: string; address?: string; externalRef?: { source: string; id: string } } = {}) {
    const callId = randomUUID();
    const t = new Date(now).toISOString();
    const call = { callId, handedAt: t, answeredAt: t, kind: 'report' as const, category: 'public-order', subtype: 'noise', priority: over.priority ?? 3, flags: [], location: { ...(over.lat !== undefined ? { lat: over.lat, lon: over.lon } : {}), ...(over.district ? { district: over.district } : {}), ...(over.address ? { address: over.address } : {}) }, ...(over.externalRef ? { externalRef: over.externalRef } : {}) };
    const cause = { eventId: randomUUID(), metadata: { actor: { id: 'test' }, correlationId: callId, causationId: null } } as unknown as EventEnvelope;
    const incidentId = (await rt.db.transaction((tx) => openIncidentFor(ctx, tx, call, cause)))!;
    return { incidentId, callId };
  }

  const events = async (streamId: string) => rt.db.query<{ type: string; data: Record<string, unknown>; metadata: { actor: { id: string; role: string }; workstation?: string } }>('SELECT type, data, metadata FROM events WHERE stream_id = $1 ORDER BY version', [streamId]);
  const as = (token: string) => ({
    post: (path: string, body?: object) => request(app).post(path).set('authorization', token).set('x-workstation', 'ws-desk-3').send(body),
    get: (path: string) => request(app).get(path).set('authorization', token),
  });
  const d = as(dispatcher);

  it('acknowledges an overdue alert once (UnitOverdueAcknowledged with actor and workstation); again is a no-op; 404 unknown, 400 malformed, 403 analyst', async () => {
    const { incidentId, callId } = await openIncident({ ...post('OMP-3'), district: 'Precinct 3' });
    await d.post(`/incidents/${incidentId}/assignments`, { unitId: 'OMP-3' }).expect(201);
    tick(61);
    expect(await checkOverdue(ctx)).toEqual([{ unitId: 'OMP-3', kind: 'not-en-route', sequence: 1 }]);
    const listed = await d.get('/alerts').expect(200);
    const alert = listed.body.items.find((a: { unitId: string }) => a.unitId === 'OMP-3');
    expect(alert).toMatchObject({ incidentId, kind: 'not-en-route', acknowledgedAt: null, acknowledgedBy: null });

    tick(5);
    const ackedAt = new Date(now).toISOString();
    const first = await d.post(`/alerts/${alert.id}/acknowledge`, {}).expect(200);
    expect(first.body).toEqual({ alertId: alert.id, unitId: 'OMP-3', acknowledgedAt: ackedAt, acknowledgedBy: 'disp-7', acknowledgedWorkstation: 'ws-desk-3', events: ['UnitOverdueAcknowledged'] });
    expectDocumentedShape(app, 'POST /alerts/:id/acknowledge', first.body);
    const acked = (await events('unit-OMP-3')).at(-1)!;
    expect(acked).toMatchObject({ type: 'UnitOverdueAcknowledged', data: { unitId: 'OMP-3', alertId: alert.id, incidentId, callId, kind: 'not-en-route', sequence: 1, acknowledgedAt: ackedAt }, metadata: { actor: { id: 'disp-7', role: 'dispatcher' }, workstation: 'ws-desk-3' } });

    // idempotent: a second acknowledge (another dispatcher, no body) appends nothing and answers the first
    tick(5);
    const again = await request(app).post(`/alerts/${alert.id}/acknowledge`).set('authorization', bearer('supervisor')).expect(200);
    expect(again.body).toMatchObject({ acknowledgedAt: ackedAt, acknowledgedBy: 'disp-7', events: [] });
    expect((await events('unit-OMP-3')).filter((e) => e.type === 'UnitOverdueAcknowledged')).toHaveLength(1);
    const after = (await d.get('/alerts').expect(200)).body.items.find((a: { id: string }) => a.id === alert.id);
    expect(after).toMatchObject({ acknowledgedAt: ackedAt, acknowledgedBy: 'disp-7', acknowledgedWorkstation: 'ws-desk-3' });
    expectDocumentedShape(app, 'GET /alerts', { items: [after] });

    const unknown = await d.post('/alerts/987654321/acknowledge', {}).expect(404);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
    await d.post('/alerts/not-a-number/acknowledge', {}).expect(400);
    await d.post(`/alerts/${alert.id}/acknowledge`, { note: 'extra field' }).expect(400);
    await as(analyst).post(`/alerts/${alert.id}/acknowledge`, {}).expect(403);
    await d.post('/units/OMP-3/status', { status: 'cleared' }).expect(200);
    await d.post('/units/OMP-3/status', { status: 'available' }).expect(200);
  });

  it('closes an incident without a unit with a disposition and a note (IncidentClosed carries them); the older {reason} still closes; 400/404/409', async () => {
    const { incidentId } = await openIncident({ district: 'Precinct 3' });
    await d.post(`/incidents/${incidentId}/close`, { disposition: 'by-phone' }).expect(400);
    await d.post(`/incidents/${incidentId}/close`, { note: 'no disposition' }).expect(400);
    await d.post(`/incidents/${incidentId}/close`, { disposition: 'resolved-by-phone', note: '' }).expect(400);
    await d.post(`/incidents/${randomUUID()}/close`, { disposition: 'resolved-by-phone' }).expect(404);
    const closed = await d.post(`/incidents/${incidentId}/close`, { disposition: 'resolved-by-phone', note: '劝解后不需出警' }).expect(200);
    expect(closed.body.events).toEqual(['IncidentClosed']);
    expect((await events(`incident-${incidentId}`)).at(-1)).toMatchObject({ type: 'IncidentClosed', data: { reason: 'resolved-by-phone', disposition: 'resolved-by-phone', note: '劝解后不需出警' }, metadata: { actor: { id: 'disp-7' }, workstation: 'ws-desk-3' } });
    const inc = await d.get(`/incidents/${incidentId}`).expect(200);
    expect(inc.body).toMatchObject({ status: 'closed', closeReason: 'resolved-by-phone', disposition: 'resolved-by-phone', closeNote: '劝解后不需出警' });
    expectDocumentedShape(app, 'GET /incidents/:id', inc.body);
    const again = await d.post(`/incidents/${incidentId}/close`, { disposition: 'other' }).expect(409);
    expect(again.body.code).toBe('incident-closed');

    // a unit on it: 409 units-working
    const busy = await openIncident({ ...post('OMP-3'), district: 'Precinct 3' });
    await d.post(`/incidents/${busy.incidentId}/assignments`, { unitId: 'OMP-3' }).expect(201);
    expect((await d.post(`/incidents/${busy.incidentId}/close`, { disposition: 'resolved-by-phone' }).expect(409)).body.code).toBe('units-working');
    await d.post('/units/OMP-3/status', { status: 'cleared' }).expect(200);
    await d.post('/units/OMP-3/status', { status: 'available' }).expect(200);

    // the older body: free text stays a reason; a disposition code as reason is the disposition
    const old1 = await openIncident();
    await d.post(`/incidents/${old1.incidentId}/close`, { reason: 'resolved by phone' }).expect(200);
    expect((await d.get(`/incidents/${old1.incidentId}`).expect(200)).body).toMatchObject({ status: 'closed', closeReason: 'resolved by phone', disposition: null, closeNote: null });
    const old2 = await openIncident();
    await d.post(`/incidents/${old2.incidentId}/close`, { reason: 'advice-given' }).expect(200);
    expect((await d.get(`/incidents/${old2.incidentId}`).expect(200)).body).toMatchObject({ closeReason: 'advice-given', disposition: 'advice-given' });
  });

  it('adds notes (IncidentNoteAdded) and changes the priority with a reason (IncidentPriorityChanged), both shown by the detail with actor and workstation; 400/404/409', async () => {
    const { incidentId } = await openIncident({ priority: 2, district: 'Precinct 3' });
    tick(10);
    const n1 = await d.post(`/incidents/${incidentId}/notes`, { text: '报警人回电：嫌疑人往北逃离' }).expect(200);
    expect(n1.body).toMatchObject({ incidentId, events: ['IncidentNoteAdded'] });
    expect(n1.headers.etag).toBe(`"${n1.body.version}"`);
    tick(10);
    const p1 = await d.post(`/incidents/${incidentId}/priority`, { priority: 1, reason: '发现持刀' }).expect(200);
    expect(p1.body.events).toEqual(['IncidentPriorityChanged']);
    const stream = await events(`incident-${incidentId}`);
    expect(stream.slice(-2)).toMatchObject([
      { type: 'IncidentNoteAdded', data: { text: '报警人回电：嫌疑人往北逃离' }, metadata: { actor: { id: 'disp-7', role: 'dispatcher' }, workstation: 'ws-desk-3' } },
      { type: 'IncidentPriorityChanged', data: { from: 2, to: 1, reason: '发现持刀' }, metadata: { actor: { id: 'disp-7' }, workstation: 'ws-desk-3' } },
    ]);
    const detail = await d.get(`/incidents/${incidentId}`).expect(200);
    expect(detail.body).toMatchObject({
      priority: 1,
      narrative: [{ source: 'dispatch', text: '报警人回电：嫌疑人往北逃离', at: new Date(now - 10_000).toISOString(), actorId: 'disp-7', workstation: 'ws-desk-3' }],
      priorityChanges: [{ from: 2, to: 1, reason: '发现持刀', at: new Date(now).toISOString(), actorId: 'disp-7', workstation: 'ws-desk-3' }],
    });
    expectDocumentedShape(app, 'GET /incidents/:id', detail.body);
    expect((await d.get('/incidents/queue').expect(200)).body.items.find((i: { id: string }) => i.id === incidentId).priority).toBe(1);

    // refusals
    expect((await d.post(`/incidents/${incidentId}/priority`, { priority: 1, reason: 'again' }).expect(409)).body.code).toBe('same-priority');
    await d.post(`/incidents/${incidentId}/priority`, { priority: 5, reason: 'x' }).expect(400);
    await d.post(`/incidents/${incidentId}/priority`, { priority: 2 }).expect(400);
    await d.post(`/incidents/${incidentId}/notes`, { text: '   ' }).expect(400);
    await d.post(`/incidents/${incidentId}/notes`, { text: 'x', extra: 1 }).expect(400);
    await d.post(`/incidents/${randomUUID()}/notes`, { text: 'x' }).expect(404);
    await d.post(`/incidents/${randomUUID()}/priority`, { priority: 2, reason: 'x' }).expect(404);
    await request(app).post(`/incidents/${incidentId}/notes`).set('authorization', bearer('call_taker')).send({ text: 'x' }).expect(403);
    await request(app).post(`/incidents/${incidentId}/notes`).set('authorization', dispatcher).set('if-match', '"1"').send({ text: 'stale' }).expect(412);

    // closed: a note is still taken (a call-back), a priority change is refused
    await d.post(`/incidents/${incidentId}/close`, { disposition: 'resolved-by-phone' }).expect(200);
    await d.post(`/incidents/${incidentId}/notes`, { text: '结案后报警人再次来电致谢' }).expect(200);
    expect((await d.post(`/incidents/${incidentId}/priority`, { priority: 3, reason: 'late' }).expect(409)).body.code).toBe('incident-closed');
    expect((await d.get(`/incidents/${incidentId}`).expect(200)).body.narrative).toHaveLength(2);
  });

  it('links an incident as the duplicate of another (IncidentLinkedAsDuplicate): both details list it, a pending one closes as duplicate; 400/404/409', async () => {
    const orig = await openIncident({ ...post('OMP-3'), district: 'Precinct 3' });
    const dup = await openIncident({ district: 'Precinct 3' });
    tick(10);
    const linkedAt = new Date(now).toISOString();
    const r = await d.post(`/incidents/${dup.incidentId}/link`, { duplicateOf: orig.incidentId, reason: '同一抢夺案第二位报警人' }).expect(200);
    expect(r.body).toMatchObject({ incidentId: dup.incidentId, events: ['IncidentLinkedAsDuplicate', 'IncidentClosed'] });
    expect(r.headers.etag).toBe(`"${r.body.version}"`);
    expect((await events(`incident-${dup.incidentId}`)).slice(-2)).toMatchObject([
      { type: 'IncidentLinkedAsDuplicate', data: { duplicateOf: orig.incidentId, duplicateOfCallId: orig.callId, reason: '同一抢夺案第二位报警人', linkedAt }, metadata: { actor: { id: 'disp-7', role: 'dispatcher' }, workstation: 'ws-desk-3' } },
      { type: 'IncidentClosed', data: { disposition: 'duplicate' } },
    ]);
    const dupDetail = await d.get(`/incidents/${dup.incidentId}`).expect(200);
    expect(dupDetail.body).toMatchObject({ status: 'closed', disposition: 'duplicate' });
    expect(dupDetail.body.duplicates).toEqual([
      { direction: 'duplicate-of', incidentId: orig.incidentId, callId: orig.callId, source: 'dispatcher', reason: '同一抢夺案第二位报警人', linkedAt, actorId: 'disp-7', workstation: 'ws-desk-3' },
    ]);
    expectDocumentedShape(app, 'GET /incidents/:id', dupDetail.body);
    const origDetail = await d.get(`/incidents/${orig.incidentId}`).expect(200);
    expect(origDetail.body).toMatchObject({ status: 'pending', duplicates: [{ direction: 'duplicated-by', incidentId: dup.incidentId, callId: dup.callId, source: 'dispatcher', linkedAt }] });
    expect((await d.get('/incidents/queue').expect(200)).body.items.some((i: { id: string }) => i.id === dup.incidentId)).toBe(false);

    // an incident with a unit on it stays open; a second link is refused
    const worked = await openIncident({ ...post('OMP-3'), district: 'Precinct 3' });
    await d.post(`/incidents/${worked.incidentId}/assignments`, { unitId: 'OMP-3' }).expect(201);
    const w = await d.post(`/incidents/${worked.incidentId}/link`, { duplicateOf: orig.incidentId }).expect(200);
    expect(w.body.events).toEqual(['IncidentLinkedAsDuplicate']);
    expect((await d.get(`/incidents/${worked.incidentId}`).expect(200)).body).toMatchObject({ status: 'assigned', duplicates: [{ direction: 'duplicate-of', reason: null }] });
    expect((await d.get(`/incidents/${orig.incidentId}`).expect(200)).body.duplicates).toHaveLength(2);
    expect((await d.post(`/incidents/${worked.incidentId}/link`, { duplicateOf: dup.incidentId }).expect(409)).body.code).toBe('already-linked');

    // refusals
    const other = await openIncident();
    await d.post(`/incidents/${other.incidentId}/link`, { duplicateOf: other.incidentId }).expect(400);
    await d.post(`/incidents/${other.incidentId}/link`, { duplicateOf: 'nope' }).expect(400);
    await d.post(`/incidents/${other.incidentId}/link`, {}).expect(400);
    await d.post(`/incidents/${other.incidentId}/link`, { duplicateOf: orig.incidentId, extra: 1 }).expect(400);
    await d.post(`/incidents/${other.incidentId}/link`, { duplicateOf: randomUUID() }).expect(404);
    await d.post(`/incidents/${randomUUID()}/link`, { duplicateOf: orig.incidentId }).expect(404);
    expect((await d.post(`/incidents/${dup.incidentId}/link`, { duplicateOf: other.incidentId }).expect(409)).body.code).toBe('incident-closed');
    await request(app).post(`/incidents/${other.incidentId}/link`).set('authorization', bearer('call_taker')).send({ duplicateOf: orig.incidentId }).expect(403);
    await request(app).post(`/incidents/${other.incidentId}/link`).set('authorization', dispatcher).set('if-match', '"99"').send({ duplicateOf: orig.incidentId }).expect(412);
    expect((await d.get(`/incidents/${other.incidentId}`).expect(200)).body).toMatchObject({ status: 'pending', duplicates: [] });
  });

  it("keeps the handed-over call's address in the read model: on GET /incidents/{id} and its list row; null without one; no narrative from the call", async () => {
    const ref = { source: 'desk-test', id: randomUUID() };
    const { incidentId } = await openIncident({ ...post('OMP-3'), district: 'Precinct 3', address: '人民路 12 号 3 单元', externalRef: ref });
    const detail = await d.get(`/incidents/${incidentId}`).expect(200);
    expect(detail.body).toMatchObject({ id: incidentId, address: '人民路 12 号 3 单元', narrative: [] });
    expectDocumentedShape(app, 'GET /incidents/:id', detail.body);
    const list = await d.get(`/incidents?externalSource=${ref.source}&externalId=${ref.id}`).expect(200);
    expect(list.body.items).toEqual([expect.objectContaining({ id: incidentId, address: '人民路 12 号 3 单元' })]);
    expectDocumentedShape(app, 'GET /incidents', list.body);
    const queued = (await d.get('/incidents/queue').expect(200)).body.items.find((i: { id: string }) => i.id === incidentId);
    expect(queued).toMatchObject({ address: '人民路 12 号 3 单元' });

    const bare = await openIncident();
    expect((await d.get(`/incidents/${bare.incidentId}`).expect(200)).body).toMatchObject({ address: null });
  });
});
