import request from 'supertest';
import type { Express } from 'express';
import { callTaker, createCall, post, startIntake } from './harness';

/**
 * Every bad-input class of issue 3 on the real service: each answered with problem+json naming
 * the fields, and nothing partially written (stream version and row counts unchanged).
 */
describe('intake bad input', () => {
  let app: Express;
  let h: Awaited<ReturnType<typeof startIntake>>;
  let callId: string;
  let version: number;

  beforeAll(async () => {
    h = await startIntake();
    app = h.app;
    ({ callId, version } = await createCall(app, { channel: '110' }));
  });
  afterAll(() => h.stop());

  const counts = async () => {
    const r = await h.rt.pool.query(`SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM calls)::int AS calls, (SELECT count(*) FROM outbox)::int AS outbox, (SELECT count(*) FROM idempotency_keys)::int AS keys`);
    return r.rows[0];
  };
  let before: Record<string, number>;
  beforeEach(async () => {
    before = await counts();
  });
  afterEach(async () => {
    expect(await counts()).toEqual(before);
  });

  const fields = (res: request.Response) => {
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    return (res.body.errors as { field: string }[]).map((e) => e.field).sort();
  };

  it('missing fields', async () => {
    expect(fields(await post(app, callId, 'narrative', {}, version))).toEqual(['text']);
    expect(fields(await post(app, callId, 'duplicate-link', {}, version))).toEqual(['duplicateOfCallId', 'reason']);
    expect(fields(await post(app, callId, 'cancel', {}, version))).toEqual(['reason']);
    expect(fields(await post(app, callId, 'transfer', { to: 'other-agency' }, version))).toEqual(['agency']);
    expect(fields(await post(app, callId, 'classification', {}, version))).toEqual(['subtype']);
    expect(fields(await post(app, callId, 'location', {}, version))).toEqual(['address']);
    expect(fields(await request(app).post('/calls').set('authorization', callTaker()).send({ handToDispatch: true }))).toEqual(['classification']);
    expect(fields(await request(app).post('/duplicates/search').set('authorization', callTaker()).send({}))).toEqual(['lat']);
  });

  it('wrongly typed fields', async () => {
    expect(fields(await post(app, callId, 'location', { lat: '29.1', lon: 119 }, version))).toEqual(['lat']);
    expect(fields(await post(app, callId, 'classification', { subtype: 'theft', priority: 'high' }, version))).toEqual(['priority']);
    expect(fields(await post(app, callId, 'caller', { number: 13812341234 }, version))).toEqual(['number']);
    expect(fields(await post(app, callId, 'cancel', { reason: 'bored' }, version))).toEqual(['reason']);
    expect(fields(await post(app, callId, 'duplicate-link', { duplicateOfCallId: 'call-7', reason: 'x' }, version))).toEqual(['duplicateOfCallId']);
    expect(fields(await post(app, callId, 'hand-over', { now: true }, version))).toEqual(['(body)']);
    expect(fields(await request(app).post('/calls').set('authorization', callTaker()).send({ channel: 110, answeredAt: 'yesterday', handToDispatch: 'yes' }))).toEqual(['answeredAt', 'channel', 'handToDispatch']);
    expect(fields(await request(app).get('/calls?limit=many').set('authorization', callTaker()))).toEqual(['limit']);
    expect(fields(await request(app).get(`/calls/not-a-uuid`).set('authorization', callTaker()))).toEqual(['id']);
    expect(fields(await post(app, 'not-a-uuid', 'narrative', { text: 'x' }, version))).toEqual(['id']);
  });

  it('coordinates out of range', async () => {
    expect(fields(await post(app, callId, 'location', { lat: 91, lon: 181 }, version))).toEqual(['lat', 'lon']);
    expect(fields(await post(app, callId, 'location', { lat: 29 }, version))).toEqual(['lat']);
    expect(fields(await request(app).post('/calls').set('authorization', callTaker()).send({ location: { lat: -90.5, lon: 10 } }))).toEqual(['location.lat']);
    expect(fields(await request(app).post('/duplicates/search').set('authorization', callTaker()).send({ lat: 45, lon: -200 }))).toEqual(['lon']);
  });

  it('unknown category or subtype', async () => {
    const r1 = await post(app, callId, 'classification', { subtype: 'alien-landing' }, version);
    expect(fields(r1)).toEqual(['subtype']);
    expect(r1.body.errors[0].message).toMatch(/unknown subtype/);
    const r2 = await post(app, callId, 'classification', { subtype: 'robbery', category: 'piracy' }, version);
    expect(fields(r2)).toEqual(['category']);
    expect(r2.body.errors[0].message).toMatch(/unknown category/);
    expect(fields(await post(app, callId, 'classification', { subtype: 'robbery', category: 'traffic' }, version))).toEqual(['category']);
    expect(fields(await request(app).post('/calls').set('authorization', callTaker()).send({ classification: { subtype: 'nope' } }))).toEqual(['classification.subtype']);
  });

  it('oversized narrative (limit 4000 characters) and other oversized texts', async () => {
    const r = await post(app, callId, 'narrative', { text: '警'.repeat(4001) }, version);
    expect(fields(r)).toEqual(['text']);
    expect(r.body.errors[0].message).toBe('at most 4000 characters');
    await post(app, callId, 'narrative', { text: '警'.repeat(4000) }, version + 99).expect(412); // the limit itself is valid input
    expect(fields(await post(app, callId, 'close', { reason: 'r'.repeat(501) }, version))).toEqual(['reason']);
    const big = await post(app, callId, 'narrative', { text: 'x'.repeat(70_000) }, version);
    expect(big.status).toBe(413);
  });

  it('wrong content type (415) and malformed JSON (400)', async () => {
    const r415 = await request(app).post(`/calls/${callId}/narrative`).set('authorization', callTaker()).set('if-match', `"${version}"`).set('content-type', 'text/plain').send('hello');
    expect(r415.status).toBe(415);
    expect(r415.headers['content-type']).toMatch(/problem\+json/);
    await request(app).post('/calls').set('authorization', callTaker()).set('content-type', 'application/x-www-form-urlencoded').send('channel=110').expect(415);
    const bad = await request(app).post(`/calls/${callId}/narrative`).set('authorization', callTaker()).set('if-match', `"${version}"`).set('content-type', 'application/json').send('{"text": "unterminated');
    expect(bad.status).toBe(400);
    expect(bad.body.title).toBe('Malformed JSON');
  });

  it('unknown fields and times in the future', async () => {
    expect(fields(await post(app, callId, 'narrative', { text: 'x', author: 'me' }, version))).toEqual(['(body)']);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect(fields(await request(app).post('/calls').set('authorization', callTaker()).send({ answeredAt: future }))).toEqual(['answeredAt']);
    expect(fields(await request(app).post('/calls').set('authorization', callTaker()).send({ ringingAt: '2026-01-01T00:00:10.000Z', answeredAt: '2026-01-01T00:00:05.000Z' }))).toEqual(['ringingAt']);
  });
});
