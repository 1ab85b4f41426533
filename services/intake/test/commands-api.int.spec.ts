import request from 'supertest';
import type { Express } from 'express';
import { bearer, expectDocumentedShape } from '@cad110/testkit';
import { callTaker, createCall, post, startIntake } from './harness';

/** The call commands over HTTP on the real PostgreSQL and Kafka: flow, 409s, If-Match, idempotency, masking. */
describe('intake call commands API', () => {
  let app: Express;
  let h: Awaited<ReturnType<typeof startIntake>>;

  beforeAll(async () => {
    h = await startIntake();
    app = h.app;
  });
  afterAll(() => h.stop());

  const eventCount = async (callId: string) => (await h.rt.pool.query('SELECT count(*)::int AS n FROM events WHERE stream_id = $1', [`call-${callId}`])).rows[0].n as number;

  it('runs a call through every command, each appending its event and advancing the ETag', async () => {
    const { callId, version } = await createCall(app, { channel: '110', ringingAt: new Date(Date.now() - 9000).toISOString(), answeredAt: new Date(Date.now() - 2000).toISOString() });
    expect(version).toBe(1);
    let v = version;
    const step = async (cmd: string, body: unknown, expectEvent: string) => {
      const res = await post(app, callId, cmd, body, v).set('x-workstation', 'ws-9').set('x-request-id', `req-${cmd}`).expect(200);
      expect(res.body.events).toEqual([expectEvent]);
      expect(res.headers.etag).toBe(`"${v + 1}"`);
      v = res.body.version;
      return res.body;
    };
    await step('caller', { number: '139 0000 1111', name: 'Zhao Liu' }, 'CallerRecorded');
    const located = await step('location', { address: '12 Renmin Rd', lat: 29.08, lon: 119.65, source: 'device' }, 'CallLocated');
    expect(located.duplicateCandidates).toMatchObject({ radiusMetres: 200, windowSeconds: 900, candidates: expect.any(Array) });
    const classified = await step('classification', { subtype: 'snatching', category: 'criminal' }, 'CallClassified');
    expect(classified.sop.length).toBeGreaterThan(0);
    expect(classified.sop[0]).toEqual({ zh: expect.any(String), en: expect.any(String) });
    await step('narrative', { text: 'bag snatched by a man on a red e-bike' }, 'CallNarrativeAppended');
    await step('confirm-new', { candidateCallIds: [] }, 'CallConfirmedAsNew');
    const handed = await step('hand-over', {}, 'CallHandedToDispatch');
    expect(handed.status).toBe('handed-to-dispatch');
    // reclassified after the handover: CallClassified again, with a reason
    await step('classification', { subtype: 'robbery', reason: 'the suspect showed a knife' }, 'CallClassified');
    await step('close', { reason: 'incident closed by dispatch' }, 'CallClosed');

    const got = await request(app).get(`/calls/${callId}`).set('authorization', bearer('supervisor')).expect(200);
    expect(got.body.events.map((e: { type: string }) => e.type)).toEqual([
      'CallReceived', 'CallerRecorded', 'CallLocated', 'CallClassified', 'CallNarrativeAppended', 'CallConfirmedAsNew', 'CallHandedToDispatch', 'CallClassified', 'CallClosed',
    ]);
    expect(got.body.state.status).toBe('closed');
    expect(got.body.state.classification).toMatchObject({ subtype: 'robbery', category: 'criminal' });
    expect(got.body.state.timings.answerSeconds).toBeCloseTo(7, 0);
    expect(got.body.state.timings.processingSeconds).toBeGreaterThan(0);
    const handover = got.body.events[6];
    expect(handover.data).toMatchObject({ category: 'criminal', subtype: 'snatching', location: { lat: 29.08, lon: 119.65, address: '12 Renmin Rd' } });
    for (const e of got.body.events.slice(1)) {
      expect(e.metadata).toMatchObject({ actor: { id: 'test-call_taker', role: 'call_taker' }, workstation: 'ws-9', correlationId: callId, causationId: expect.stringMatching(/^req-/) });
    }
    expect(got.body.events[7].data).toMatchObject({ classifiedBy: 'test-call_taker', previousSubtype: 'snatching', reason: 'the suspect showed a knife' });
    // masked for a supervisor unless asked; never the name
    expect(got.body.callerNumber).toBe('139*******1111'.replace('*******', '*'.repeat('13900001111'.length - 7)));
    expect(JSON.stringify(got.body)).not.toContain('Zhao Liu');
    const revealed = await request(app).get(`/calls/${callId}?reveal=caller`).set('authorization', bearer('supervisor')).expect(200);
    expect(revealed.body.callerNumber).toBe('139 0000 1111');
  });

  it('keeps the raw caller number out of the published copy (outbox) and out of listings', async () => {
    const { callId, version } = await createCall(app);
    await post(app, callId, 'caller', { number: '13712345678' }, version).expect(200);
    const { rows } = await h.rt.pool.query(`SELECT payload FROM outbox WHERE key = $1`, [callId]);
    const payloads = rows.map((r: { payload: string }) => r.payload).join('\n');
    expect(payloads).toContain('137****5678');
    expect(payloads).not.toContain('13712345678');
    const list = await request(app).get('/calls?limit=500').set('authorization', callTaker()).expect(200);
    expect(JSON.stringify(list.body)).not.toContain('13712345678');
    // a shaped DTO, not the row: exactly the documented fields, times as UTC ISO-8601 strings
    expectDocumentedShape(app, 'GET /calls', list.body);
    expect(list.body.items.find((c: { id: string }) => c.id === callId)).toMatchObject({ id: callId, answeredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
  });

  describe('409 problem+json for commands the decider rejects', () => {
    it('classify a closed call', async () => {
      const { callId, version } = await createCall(app);
      await post(app, callId, 'close', { reason: 'information only' }, version).expect(200);
      const res = await post(app, callId, 'classification', { subtype: 'theft' }, version + 1).expect(409);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ status: 409, code: 'call-closed', title: 'Command rejected' });
      expect(await eventCount(callId)).toBe(2);
    });
    it('hand over an unclassified call', async () => {
      const { callId, version } = await createCall(app);
      const res = await post(app, callId, 'hand-over', undefined, version).expect(409);
      expect(res.body.code).toBe('unclassified');
    });
    it('link a call to itself', async () => {
      const { callId, version } = await createCall(app);
      const res = await post(app, callId, 'duplicate-link', { duplicateOfCallId: callId, reason: 'same' }, version).expect(409);
      expect(res.body.code).toBe('self-link');
    });
    it('link to a call that does not exist', async () => {
      const { callId, version } = await createCall(app);
      const res = await post(app, callId, 'duplicate-link', { duplicateOfCallId: '5d1c0f3e-1111-4222-8333-944455556666', reason: 'same' }, version).expect(409);
      expect(res.body.code).toBe('unknown-target');
    });
    it('cancel a call handed to dispatch', async () => {
      const { callId, version } = await createCall(app, { classification: { subtype: 'theft' }, handToDispatch: true });
      const res = await post(app, callId, 'cancel', { reason: 'prank' }, version).expect(409);
      expect(res.body.code).toBe('already-handed-over');
    });
  });

  it('links a call as a duplicate of a nearby call found by the lookup, recording distance, time apart and score', async () => {
    const first = await createCall(app, { location: { lat: 29.1, lon: 119.7 }, classification: { subtype: 'fighting' }, handToDispatch: true });
    const second = await createCall(app, { location: { lat: 29.1006, lon: 119.7004 }, classification: { subtype: 'assault' } });
    const dups = await request(app).get(`/calls/${second.callId}/duplicates`).set('authorization', callTaker()).expect(200);
    const cand = dups.body.candidates.find((c: { callId: string }) => c.callId === first.callId);
    expect(cand).toMatchObject({ status: 'handed-to-dispatch', reasons: expect.arrayContaining(['near', 'close-in-time', 'compatible-category']) });
    expect(cand.distanceMetres).toBeGreaterThan(50);
    expect(cand.distanceMetres).toBeLessThan(100);
    const res = await post(app, second.callId, 'duplicate-link', { duplicateOfCallId: first.callId, reason: 'same fight outside the bar' }, second.version).expect(200);
    expect(res.body.status).toBe('duplicate');
    const got = await request(app).get(`/calls/${second.callId}`).set('authorization', callTaker()).expect(200);
    expect(got.body.events.at(-1).data).toMatchObject({ duplicateOfCallId: first.callId, distanceMetres: cand.distanceMetres, score: cand.score, matchedOn: cand.reasons });
    expect(got.body.events.at(-1).data.secondsApart).toBeGreaterThanOrEqual(0);
    // a duplicate is no longer a candidate, and nothing links to it
    const third = await createCall(app, { location: { lat: 29.1003, lon: 119.7002 } });
    const d3 = await request(app).get(`/calls/${third.callId}/duplicates`).set('authorization', callTaker()).expect(200);
    expect(d3.body.candidates.map((c: { callId: string }) => c.callId)).toContain(first.callId);
    expect(d3.body.candidates.map((c: { callId: string }) => c.callId)).not.toContain(second.callId);
    const bad = await post(app, third.callId, 'duplicate-link', { duplicateOfCallId: second.callId, reason: 'x' }, third.version).expect(409);
    expect(bad.body.code).toBe('target-is-duplicate');
  });

  it('answers 404 for an unknown call and 403 for roles that may not change calls', async () => {
    await post(app, '5d1c0f3e-1111-4222-8333-944455556666', 'narrative', { text: 'x' }, 1).expect(404);
    await request(app).get('/calls/5d1c0f3e-1111-4222-8333-944455556666/duplicates').set('authorization', callTaker()).expect(404);
    const { callId, version } = await createCall(app);
    await post(app, callId, 'narrative', { text: 'x' }, version, bearer('dispatcher')).expect(403);
    await post(app, callId, 'narrative', { text: 'x' }, version, bearer('analyst')).expect(403);
    await request(app).post(`/calls/${callId}/narrative`).set('if-match', `"${version}"`).send({ text: 'x' }).expect(401);
  });

  describe('If-Match', () => {
    it('is required (428), must be an ETag (400), and must name the current version (412 with currentVersion)', async () => {
      const { callId, version } = await createCall(app);
      const missing = await post(app, callId, 'narrative', { text: 'a' }, undefined).expect(428);
      expect(missing.headers['content-type']).toMatch(/problem\+json/);
      const bad = await post(app, callId, 'narrative', { text: 'a' }, 'version-1').expect(400);
      expect(bad.body.errors).toEqual([{ field: 'If-Match', message: expect.any(String) }]);
      const stale = await post(app, callId, 'narrative', { text: 'a' }, version + 3).expect(412);
      expect(stale.body).toMatchObject({ status: 412, currentVersion: version });
      await post(app, callId, 'narrative', { text: 'a' }, '*').expect(200);
      await post(app, callId, 'narrative', { text: 'b' }, `W/"${version + 1}"`).expect(200);
      expect(await eventCount(callId)).toBe(3);
    });

    it('two updates with the same expected version: exactly one succeeds, the other gets 412 (10 rounds)', async () => {
      for (let round = 0; round < 10; round++) {
        const { callId, version } = await createCall(app);
        const [a, b] = await Promise.all([
          post(app, callId, 'narrative', { text: `writer A round ${round}` }, version),
          post(app, callId, 'location', { lat: 29.2, lon: 119.8 }, version),
        ]);
        expect([a.status, b.status].sort()).toEqual([200, 412]);
        expect(await eventCount(callId)).toBe(2);
      }
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response of POST /calls and creates one call', async () => {
      const body = { channel: '110', location: { lat: 29.3, lon: 119.9 }, classification: { subtype: 'noise' } };
      const first = await request(app).post('/calls').set('authorization', callTaker()).set('idempotency-key', 'create-1').send(body).expect(201);
      const again = await request(app).post('/calls').set('authorization', callTaker()).set('idempotency-key', 'create-1').send({ classification: { subtype: 'noise' }, location: { lon: 119.9, lat: 29.3 }, channel: '110' }).expect(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotency-replayed']).toBe('true');
      expect(again.headers.location).toBe(first.headers.location);
      const n = await h.rt.pool.query(`SELECT count(*)::int AS n FROM calls WHERE lat = 29.3 AND lon = 119.9`);
      expect(n.rows[0].n).toBe(1);
      // another user's key space is separate
      const other = await request(app).post('/calls').set('authorization', bearer('call_taker', 'another-user')).set('idempotency-key', 'create-1').send(body).expect(201);
      expect(other.body.callId).not.toBe(first.body.callId);
    });

    it('replays a command without appending, and refuses the key for a different request (422)', async () => {
      const { callId, version } = await createCall(app);
      const first = await post(app, callId, 'narrative', { text: 'first' }, version).set('idempotency-key', 'n-1').expect(200);
      const replay = await post(app, callId, 'narrative', { text: 'first' }, version).set('idempotency-key', 'n-1').expect(200);
      expect(replay.body).toEqual(first.body);
      expect(replay.headers.etag).toBe(first.headers.etag);
      expect(replay.headers['idempotency-replayed']).toBe('true');
      expect(await eventCount(callId)).toBe(2);
      const reused = await post(app, callId, 'narrative', { text: 'something else' }, version).set('idempotency-key', 'n-1').expect(422);
      expect(reused.body.title).toBe('Idempotency key reused');
      const otherPath = await post(app, callId, 'close', { reason: 'x' }, version).set('idempotency-key', 'n-1').expect(422);
      expect(otherPath.body.status).toBe(422);
      expect(await eventCount(callId)).toBe(2);
    });

    it('concurrent retries with the same key append once and answer the same', async () => {
      const { callId, version } = await createCall(app);
      const results = await Promise.all([1, 2, 3].map(() => post(app, callId, 'narrative', { text: 'racing retry' }, version).set('idempotency-key', 'race-1')));
      expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
      expect(await eventCount(callId)).toBe(2);
    });

    it('does not store failures: a rejected command can be retried with the same key', async () => {
      const { callId, version } = await createCall(app);
      await post(app, callId, 'hand-over', {}, version).set('idempotency-key', 'ho-1').expect(409);
      await post(app, callId, 'hand-over', {}, version).set('idempotency-key', 'ho-1').expect(409);
      const bad = await post(app, callId, 'narrative', { text: 'x' }, version).set('idempotency-key', 'x'.repeat(300)).expect(400);
      expect(bad.body.errors[0].field).toBe('Idempotency-Key');
    });
  });
});
