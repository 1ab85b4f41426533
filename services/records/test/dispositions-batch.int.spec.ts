/**
 * POST /cases/dispositions (the importer's batch of dispositions) on the real PostgreSQL: each
 * item recorded and closed as the single routes would, a refused or unknown item not affecting
 * the others, the clamp to the opening, the roles of the single routes.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { bearer } from '@cad110/testkit';
import type { EventEnvelope } from '@cad110/contracts';
import type { RecordsRuntime } from '../src/server';
import type { Case } from '../src/generated/prisma/client';
import { CaseService } from '../src/cases/case-service';
import { openIncident, startRecords, stopRecords } from './helpers';

jest.setTimeout(120_000);
process.env.LOG_LEVEL ??= 'warn';
const TZ = 'Asia/Shanghai';

describe('records POST /cases/dispositions', () => {
  let app: Express;
  let rt: RecordsRuntime;
  let service: CaseService;
  const dispatcher = bearer('dispatcher', 'importer-1');
  const analyst = bearer('analyst');

  beforeAll(async () => {
    ({ rt, app } = await startRecords(TZ));
    service = new CaseService({ transaction: rt.db.transaction, registry: rt.registry, logger: rt.logger, published: () => undefined });
  });

  afterAll(async () => {
    await stopRecords(rt);
  });

  const caseRow = async (id: string) => (await rt.db.select<Case>('SELECT * FROM cases WHERE id = $1::uuid', [id]))[0]!;
  const eventsOf = async (id: string) => (await service.load(id))!.events;
  /** What must be equal between the batch and the single routes: types, times, data but the case id, actor, correlation. */
  const comparable = (events: EventEnvelope[], callId: string) =>
    events.map((e) => ({ type: e.type, version: e.streamVersion, occurredAt: e.occurredAt, data: { ...(e.data as object), caseId: undefined }, actor: e.metadata.actor, correlatedWithCall: e.metadata.correlationId === callId }));

  it('records and closes several calls in one request, each as the single routes would, a bad item affecting no other', async () => {
    const [a, b, c, closed, early, single] = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => openIncident(rt, TZ, { at: `2026-04-01T0${i}:00:00.000Z` })));
    // already closed through the single routes
    await request(app).post(`/cases/${closed!.case.id}/disposition`).set('authorization', dispatcher).send({ codes: ['solved'] }).expect(200);
    await request(app).post(`/cases/${closed!.case.id}/close`).set('authorization', dispatcher).send({}).expect(200);
    const unknownCall = randomUUID();
    const disposition = { codes: ['suspects-caught', 'solved'], suspectsCaught: 2, sourceCode: 'BKG-Booking', note: 'booked' };
    const res = await request(app)
      .post('/cases/dispositions')
      .set('authorization', dispatcher)
      .send({
        items: [
          { callId: a!.callId, ...disposition, at: '2026-04-01T03:30:00.000Z', close: true },
          { callId: unknownCall, codes: ['solved'], close: true },
          { callId: b!.callId, codes: ['advice-given'], at: '2026-04-01T04:00:00.000Z', close: true },
          { callId: closed!.callId, codes: ['advice-given'], close: true },
          { callId: c!.callId, codes: ['false-report'], at: '2026-04-01T05:00:00.000Z' },
          { callId: early!.callId, codes: ['solved'], at: '2026-04-01T03:59:58.000Z', close: true, clampToOpening: true },
          { callId: early!.callId, codes: ['solved'], at: '2026-04-01T03:59:58.000Z', close: true },
        ],
      })
      .expect(200);
    const r = res.body.results as { status: number; body: Record<string, unknown> }[];
    expect(r.map((x) => x.status)).toEqual([200, 404, 200, 409, 200, 200, 409]);
    expect(r[0]!.body).toEqual({ caseId: a!.case.id, version: 3, events: ['DispositionRecorded', 'CaseClosed'], clamped: false });
    expect(r[1]!.body).toMatchObject({ status: 404, title: 'Not found', detail: `a case of call ${unknownCall} does not exist` });
    expect(r[2]!.body).toEqual({ caseId: b!.case.id, version: 3, events: ['DispositionRecorded', 'CaseClosed'], clamped: false });
    expect(r[3]!.body).toMatchObject({ status: 409, code: 'case-closed' }); // what the importer counts as already closed
    expect(r[4]!.body).toEqual({ caseId: c!.case.id, version: 2, events: ['DispositionRecorded'], clamped: false });
    expect(r[5]!.body).toEqual({ caseId: early!.case.id, version: 3, events: ['DispositionRecorded', 'CaseClosed'], clamped: true });
    expect(r[6]!.body).toMatchObject({ status: 409, code: 'case-closed' });

    expect(await caseRow(a!.case.id)).toMatchObject({ status: 'closed', dispositionCodes: ['suspects-caught', 'solved'], suspectsCaught: 2, version: 3 });
    expect((await caseRow(a!.case.id)).closedAt?.toISOString()).toBe('2026-04-01T03:30:00.000Z');
    expect(await caseRow(c!.case.id)).toMatchObject({ status: 'open', dispositionCodes: ['false-report'], version: 2 });
    expect(await caseRow(closed!.case.id)).toMatchObject({ status: 'closed', dispositionCodes: ['solved'], version: 3 }); // untouched
    const clamped = await caseRow(early!.case.id);
    expect([clamped.dispositionAt?.toISOString(), clamped.closedAt?.toISOString()]).toEqual(['2026-04-01T04:00:00.000Z', '2026-04-01T04:00:00.000Z']);
    // nothing written twice by the reruns around the failing items
    expect((await eventsOf(a!.case.id)).map((e) => e.type)).toEqual(['CaseOpened', 'DispositionRecorded', 'CaseClosed']);
    expect((await eventsOf(b!.case.id)).map((e) => e.type)).toEqual(['CaseOpened', 'DispositionRecorded', 'CaseClosed']);

    // the same disposition and close through the single routes write the same events
    await request(app).post(`/cases/${single!.case.id}/disposition`).set('authorization', dispatcher).send({ ...disposition, at: '2026-04-01T05:30:00.000Z' }).expect(200);
    await request(app).post(`/cases/${single!.case.id}/close`).set('authorization', dispatcher).send({ at: '2026-04-01T05:30:00.000Z' }).expect(200);
    const twin = await openIncident(rt, TZ, { at: '2026-04-01T05:00:00.000Z' });
    const again = await request(app)
      .post('/cases/dispositions')
      .set('authorization', dispatcher)
      .send({ items: [{ callId: twin.callId, ...disposition, at: '2026-04-01T05:30:00.000Z', close: true }] })
      .expect(200);
    expect(again.body.results[0].status).toBe(200);
    const batched = comparable((await eventsOf(twin.case.id)).slice(1), twin.callId);
    const alone = comparable((await eventsOf(single!.case.id)).slice(1), single!.callId);
    expect(batched).toEqual(alone);
    expect(batched.map((e) => e.type)).toEqual(['DispositionRecorded', 'CaseClosed']);
    expect(batched[0]).toMatchObject({ actor: { id: 'importer-1', role: 'dispatcher' }, correlatedWithCall: true });
  });

  it('refuses roles the single routes refuse, and a malformed item fails the whole request with the field named', async () => {
    const { callId, case: c } = await openIncident(rt, TZ, { at: '2026-04-02T02:00:00.000Z' });
    const items = [{ callId, codes: ['solved'], close: true }];
    await request(app).post('/cases/dispositions').set('authorization', analyst).send({ items }).expect(403);
    await request(app).post('/cases/dispositions').send({ items }).expect(401);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const bad = await request(app)
      .post('/cases/dispositions')
      .set('authorization', dispatcher)
      .send({ items: [...items, { callId, codes: ['suspects-caught'], suspectsCaught: 0 }, { callId: 'x', codes: ['solved'], at: future }] })
      .expect(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['items.1.suspectsCaught', 'items.2.callId', 'items.2.at']));
    await request(app).post('/cases/dispositions').set('authorization', dispatcher).send({ items: [] }).expect(400);
    await request(app).post('/cases/dispositions').set('authorization', dispatcher).send({ items: Array.from({ length: 301 }, () => items[0]) }).expect(400);
    expect(await caseRow(c.id)).toMatchObject({ status: 'open', version: 1 }); // nothing recorded by the refused requests
  });
});
