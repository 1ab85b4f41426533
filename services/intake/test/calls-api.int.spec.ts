import request from 'supertest';
import type { Express } from 'express';
import { bearer, uniqueId } from '@cad110/testkit';
import { dropDatabase } from '@cad110/db';
import { createRuntime } from '@cad110/runtime';
import { createServer } from '../src/server';

/** Intake's HTTP API on the real PostgreSQL and Kafka (walking-skeleton scope). */
describe('intake API', () => {
  let app: Express;
  let rt: Awaited<ReturnType<typeof createRuntime>>;
  const callTaker = bearer('call_taker');

  beforeAll(async () => {
    process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
    process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
    rt = await createRuntime({ name: 'intake', serviceDir: `${__dirname}/..` });
    app = createServer(rt).app;
  });

  afterAll(async () => {
    await rt.producer.disconnect();
    await rt.pool.end();
    await dropDatabase(rt.databaseUrl);
  });

  const call = {
    channel: '110',
    caller: { number: '13812341234', name: 'Wang Wu' },
    location: { address: '88 Renmin Rd', lat: 29.08, lon: 119.65, district: 'south' },
    classification: { subtype: 'snatching' },
    narrative: 'bag snatched by a man on a scooter',
    handToDispatch: true,
  };

  it('creates a call with its events and an ETag, recording the acting user', async () => {
    const res = await request(app).post('/calls').set('authorization', callTaker).set('x-workstation', 'ws-3').send(call).expect(201);
    expect(res.body.events).toEqual(['CallReceived', 'CallerRecorded', 'CallLocated', 'CallClassified', 'CallNarrativeAppended', 'CallHandedToDispatch']);
    expect(res.headers.etag).toBe('"6"');
    expect(res.headers.location).toBe(`/calls/${res.body.callId}`);
    const got = await request(app).get(`/calls/${res.body.callId}`).set('authorization', bearer('dispatcher')).expect(200);
    expect(got.body.callerNumber).toBe('138****1234');
    expect(JSON.stringify(got.body)).not.toContain('13812341234');
    expect(JSON.stringify(got.body)).not.toContain('Wang Wu');
    expect(got.body.events[0].metadata).toMatchObject({ actor: { id: 'test-call_taker', role: 'call_taker' }, workstation: 'ws-3', correlationId: res.body.callId });
    expect(got.body.state.classification).toMatchObject({ category: 'criminal', subtype: 'snatching', flags: ['two-robberies-one-theft'] });
    const revealed = await request(app).get(`/calls/${res.body.callId}?reveal=caller`).set('authorization', callTaker).expect(200);
    expect(revealed.body.callerNumber).toBe('13812341234');
    const notForDispatchers = await request(app).get(`/calls/${res.body.callId}?reveal=caller`).set('authorization', bearer('dispatcher')).expect(200);
    expect(notForDispatchers.body.callerNumber).toBe('138****1234');
  });

  it('answers 401 without a token and 403 for a role that may not create calls', async () => {
    const r401 = await request(app).post('/calls').send(call).expect(401);
    expect(r401.headers['content-type']).toMatch(/application\/problem\+json/);
    await request(app).post('/calls').set('authorization', 'Bearer not-a-token').send(call).expect(401);
    await request(app).post('/calls').set('authorization', bearer('analyst')).send(call).expect(403);
  });

  it('lists every bad field in one problem+json 400 and writes nothing', async () => {
    const before = (await rt.db.query<{ n: number }>('SELECT count(*)::int AS n FROM calls'))[0]!.n;
    const res = await request(app)
      .post('/calls')
      .set('authorization', callTaker)
      .send({ channel: 'fax', location: { lat: 91, lon: 10 }, classification: { subtype: 'nope' }, narrative: 'x'.repeat(4001), extra: 1 })
      .expect(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    const fields = res.body.errors.map((e: { field: string }) => e.field).sort();
    expect(fields).toEqual(expect.arrayContaining(['channel', 'location.lat', 'classification.subtype', 'narrative', '(body)']));
    expect((await rt.db.query<{ n: number }>('SELECT count(*)::int AS n FROM calls'))[0]!.n).toBe(before);
  });

  it('answers 415 for a non-JSON body and 400 for malformed JSON', async () => {
    await request(app).post('/calls').set('authorization', callTaker).set('content-type', 'text/plain').send('hello').expect(415);
    const r = await request(app).post('/calls').set('authorization', callTaker).set('content-type', 'application/json').send('{"channel":').expect(400);
    expect(r.body.title).toBe('Malformed JSON');
  });

  it('serves health, readiness and Prometheus metrics without a token', async () => {
    await request(app).get('/healthz').expect(200);
    const ready = await request(app).get('/readyz').expect(200);
    expect(ready.body.checks).toEqual({ database: true, kafka: true, consumers: true });
    const metrics = await request(app).get('/metrics').expect(200);
    expect(metrics.text).toContain('cad110_outbox_backlog');
    expect(metrics.text).toContain('cad110_http_request_seconds_bucket');
  });
});
