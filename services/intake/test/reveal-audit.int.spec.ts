/**
 * The audit of caller-number reveals made directly at intake (issue 19.5), on the real PostgreSQL
 * and Kafka: each `GET /calls/{id}?reveal=caller` is recorded (who, role, workstation, which call,
 * when, revealed or masked) and never with the number; supervisors read it with
 * `GET /audit/reveals`, other roles get 403.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { bearer } from '@cad110/testkit';
import { startIntake, type IntakeTestRuntime } from './harness';

describe('caller-number reveals at intake are audited', () => {
  let app: Express;
  let rt: IntakeTestRuntime;
  let stop: () => Promise<void>;
  const sup = () => bearer('supervisor', 'zhao.sup');

  beforeAll(async () => {
    ({ app, rt, stop } = await startIntake());
  });

  afterAll(async () => {
    await stop?.();
  });

  type Entry = { id: string; at: string; callId: string; actor: string; role: string; workstation: string | null; requestId: string | null; outcome: string };
  const reveals = async (query = '') => (await request(app).get(`/audit/reveals${query}`).set('authorization', sup()).expect(200)).body as { items: Entry[]; nextBefore?: string };

  it('records who revealed which call and when, masked for roles that may not see numbers, never the number', async () => {
    const created = await request(app)
      .post('/calls')
      .set('authorization', bearer('call_taker', 'li.ct'))
      .send({ channel: '110', caller: { number: '13812345678', name: '王某' } })
      .expect(201);
    const callId = created.body.callId as string;
    const before = Date.now();
    const shown = await request(app).get(`/calls/${callId}?reveal=caller`).set('authorization', bearer('call_taker', 'li.ct')).set('x-workstation', 'ws-3').set('x-request-id', 'req-reveal-1').expect(200);
    expect(shown.body.callerNumber).toBe('13812345678');
    const masked = await request(app).get(`/calls/${callId}?reveal=caller`).set('authorization', bearer('dispatcher', 'wang.d')).expect(200);
    expect(masked.body.callerNumber).not.toBe('13812345678');
    // a plain read is not a reveal; an unknown call reveals nothing and is not recorded
    await request(app).get(`/calls/${callId}`).set('authorization', bearer('call_taker', 'li.ct')).expect(200);
    await request(app).get(`/calls/${randomUUID()}?reveal=caller`).set('authorization', bearer('call_taker', 'li.ct')).expect(404);

    const page = await reveals(`?callId=${callId}`);
    expect(page.items).toEqual([
      { id: expect.stringMatching(/^\d+$/), at: expect.any(String), callId, actor: 'wang.d', role: 'dispatcher', workstation: null, requestId: expect.any(String), outcome: 'masked' },
      { id: expect.stringMatching(/^\d+$/), at: expect.any(String), callId, actor: 'li.ct', role: 'call_taker', workstation: 'ws-3', requestId: 'req-reveal-1', outcome: 'revealed' },
    ]);
    const at = Date.parse(page.items[1]!.at);
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 1000);
    // the number is nowhere in the audit: not in the answer, not in the table
    expect(JSON.stringify(page)).not.toContain('12345678');
    const rows = await rt.db.query('SELECT * FROM caller_reveals');
    expect(JSON.stringify(rows)).not.toContain('12345678');
    expect(JSON.stringify(rows)).not.toContain('王某');
    // filter by actor
    expect((await reveals('?actor=li.ct')).items.map((e) => e.actor)).toEqual(['li.ct']);
  });

  it('pages newest first with before/nextBefore', async () => {
    const { body } = await request(app).post('/calls').set('authorization', bearer('call_taker')).send({ channel: '110', caller: { number: '13900000001' } }).expect(201);
    for (let i = 0; i < 3; i++) await request(app).get(`/calls/${body.callId}?reveal=caller`).set('authorization', bearer('supervisor', `sup-${i}`)).expect(200);
    const first = await reveals(`?callId=${body.callId}&limit=2`);
    expect(first.items.map((e) => e.actor)).toEqual(['sup-2', 'sup-1']);
    expect(first.nextBefore).toBe(first.items[1]!.id);
    const second = await reveals(`?callId=${body.callId}&limit=2&before=${first.nextBefore}`);
    expect(second.items.map((e) => e.actor)).toEqual(['sup-0']);
    expect(second.nextBefore).toBeUndefined();
  });

  it('is for supervisors and admins only, and answers 400 problem+json for a bad query', async () => {
    for (const role of ['call_taker', 'dispatcher', 'analyst', 'ops'] as const) await request(app).get('/audit/reveals').set('authorization', bearer(role)).expect(403);
    await request(app).get('/audit/reveals').expect(401);
    await request(app).get('/audit/reveals').set('authorization', bearer('admin')).expect(200);
    const bad = await request(app).get('/audit/reveals?callId=nope&limit=0').set('authorization', sup()).expect(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['callId', 'limit']);
  });
});
