import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { bearer, useInMemoryTracing } from '@cad110/testkit';
import { startIntake, callTaker } from './harness';

/**
 * `POST /calls/batch` (issue 18 item 7, issue 17 "group commit in intake") on the real
 * PostgreSQL and Kafka: every item is exactly a `POST /calls` with its own Idempotency-Key —
 * the same events and outbox rows, its own 400 / 409 / 422 without touching the others, the
 * stored answer on a repeat — and every call has its own trace.
 */
describe('POST /calls/batch', () => {
  let h: Awaited<ReturnType<typeof startIntake>>;

  beforeAll(async () => {
    useInMemoryTracing(); // spans and traceparent as in a running service
    h = await startIntake();
  });
  afterAll(async () => {
    await h?.stop();
  });

  const call = (lat: number, extra: Record<string, unknown> = {}) => ({
    channel: '110',
    caller: { number: '13812341234', name: 'Wang Wu' },
    location: { address: '88 Renmin Rd', lat, lon: 119.65, district: 'south' },
    classification: { subtype: 'snatching' },
    narrative: 'bag snatched by a man on a scooter',
    handToDispatch: true,
    ...extra,
  });
  const replayed = (id: string, lat: number) => ({
    channel: '110',
    answeredAt: '2026-01-05T10:00:00.000Z',
    location: { lat, lon: 119.6, source: 'import' },
    classification: { subtype: 'theft' },
    handToDispatch: true,
    externalRef: { source: 'batch-test', id },
  });
  const batch = (items: { idempotencyKey: string; call: unknown }[], auth = callTaker()) => request(h.app).post('/calls/batch').set('authorization', auth).send({ items });
  const single = (body: unknown, key?: string) => {
    const r = request(h.app).post('/calls').set('authorization', callTaker());
    if (key) r.set('idempotency-key', key);
    return r.send(body as object);
  };
  /** Each call's events (type, in order), outbox rows and trace ids. */
  const stored = async (callId: string) => {
    const events = await h.rt.db.query<{ type: string; tp: string | null; event_id: string }>(`SELECT type, metadata->>'traceparent' AS tp, event_id::text FROM events WHERE stream_id = $1 ORDER BY version`, [`call-${callId}`]);
    const outbox = await h.rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE key = $1`, [callId]);
    return { types: events.map((e) => e.type), outbox: outbox[0]!.n, traces: [...new Set(events.map((e) => e.tp?.split('-')[1] ?? null))] };
  };
  const totals = async () =>
    (await h.rt.db.query<{ events: number; calls: number; outbox: number; keys: number }>(
      `SELECT (SELECT count(*) FROM events)::int AS events, (SELECT count(*) FROM calls)::int AS calls, (SELECT count(*) FROM outbox)::int AS outbox, (SELECT count(*) FROM idempotency_keys)::int AS keys`,
    ))[0]!;

  it('creates every call of a batch with the events, outbox rows and answer of a single POST /calls, each in its own trace', async () => {
    const one = await single(call(29.301), randomUUID()).expect(201);
    const items = [call(29.302), replayed('r1', 29.303), call(29.3021, { caller: { number: '13900000009' } })].map((c) => ({ idempotencyKey: randomUUID(), call: c }));
    const res = await batch(items).expect(200);
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([201, 201, 201]);
    const [a, b, c] = res.body.results.map((r: { body: { callId: string; events: string[]; version: number; status: string } }) => r.body);
    expect(a.events).toEqual(['CallReceived', 'CallerRecorded', 'CallLocated', 'CallClassified', 'CallNarrativeAppended', 'CallHandedToDispatch']);
    expect({ ...a, callId: '', duplicateCandidates: undefined }).toEqual({ ...one.body, callId: '', duplicateCandidates: undefined });
    expect(b.events).toEqual(['CallReceived', 'CallLocated', 'CallClassified', 'CallHandedToDispatch']);
    // the third is 11 m from the first of the batch, seconds apart, same type: found by the lookup, which sees the earlier items
    expect(c.duplicateCandidates.candidates.map((x: { callId: string }) => x.callId)).toContain(a.callId);

    const s1 = await stored(one.body.callId);
    const sa = await stored(a.callId);
    expect(sa.types).toEqual(s1.types);
    expect(sa.outbox).toBe(s1.outbox);
    expect((await stored(b.callId)).types).toEqual(b.events);
    expect((await stored(c.callId)).types).toEqual(c.events);
    // one trace per call: all of a call's events in one trace, no two calls in the same trace
    const traces = await Promise.all([a, b, c].map(async (x) => (await stored(x.callId)).traces));
    expect(traces.every((t) => t.length === 1 && /^[0-9a-f]{32}$/.test(t[0] ?? ''))).toBe(true);
    expect(new Set(traces.map((t) => t[0])).size).toBe(3);
    const rows = await h.rt.db.query<{ status: string; lat: number }>(`SELECT status, lat FROM calls WHERE id = ANY($1::uuid[]) ORDER BY lat`, [[a.callId, b.callId, c.callId]]);
    expect(rows).toEqual([
      { status: 'handed-to-dispatch', lat: 29.302 },
      { status: 'handed-to-dispatch', lat: 29.3021 },
      { status: 'handed-to-dispatch', lat: 29.303 },
    ]);
  });

  it('answers a bad item its own 400 or 409, as POST /calls would, and creates the others', async () => {
    await single(replayed('taken', 29.31)).expect(201);
    const badBody = call(29.311, { location: { lat: 200, lon: 119.65 } });
    const expected400 = await single(badBody).expect(400);
    const expected409 = await single(replayed('taken', 29.312)).expect(409);
    const before = await totals();
    const items = [
      { idempotencyKey: randomUUID(), call: call(29.313) },
      { idempotencyKey: randomUUID(), call: badBody },
      { idempotencyKey: randomUUID(), call: replayed('b2', 29.314) },
      { idempotencyKey: randomUUID(), call: replayed('taken', 29.312) }, // fails inside the transaction: the batch reruns around it
      { idempotencyKey: 'bad key with spaces', call: call(29.315) },
      { idempotencyKey: randomUUID(), call: call(29.316, { ringingAt: '2026-01-05T10:00:01.000Z', answeredAt: '2026-01-05T10:00:00.000Z' }) },
      { idempotencyKey: randomUUID(), call: replayed('b3', 29.317) },
    ];
    const res = await batch(items).expect(200);
    const results = res.body.results as { status: number; body: Record<string, unknown> }[];
    expect(results.map((r) => r.status)).toEqual([201, 400, 201, 409, 400, 400, 201]);
    expect(results[1]!.body).toMatchObject({ status: 400, errors: expected400.body.errors });
    expect(results[3]!.body).toEqual({ ...expected409.body, instance: undefined });
    expect(results[3]!.body.code).toBe('duplicate-external-ref');
    expect(results[4]!.body.errors).toEqual([{ field: 'idempotencyKey', message: 'must be 1 to 255 visible ASCII characters' }]);
    const after = await totals();
    expect(after.calls - before.calls).toBe(3);
    expect(after.keys - before.keys).toBe(3); // failed items store nothing, so a retry runs again
    expect(after.events - before.events).toBe(4 + 6 + 4);
    expect(after.outbox - before.outbox).toBe(after.events - before.events);
  });

  it('answers a repeated batch (same keys, same calls) with the stored answers and creates nothing new', async () => {
    const items = [call(29.321), replayed('rep1', 29.322), call(29.323, { location: { lat: 200, lon: 1 } })].map((c) => ({ idempotencyKey: randomUUID(), call: c }));
    const first = await batch(items).expect(200);
    const before = await totals();
    const again = await batch(items).expect(200);
    expect(await totals()).toEqual(before);
    const strip = (r: { status: number; body: unknown }) => ({ status: r.status, body: r.body });
    expect(again.body.results.map(strip)).toEqual(first.body.results.map(strip));
    expect(again.body.results.map((r: { replayed?: boolean }) => r.replayed)).toEqual([true, true, undefined]); // the 400 stored nothing
    expect(first.body.results.map((r: { replayed?: boolean }) => r.replayed)).toEqual([undefined, undefined, undefined]);
    // an item is interchangeable with POST /calls under the same key
    const viaSingle = await single(items[0]!.call, items[0]!.idempotencyKey).expect(201);
    expect(viaSingle.headers['idempotency-replayed']).toBe('true');
    expect(viaSingle.body).toEqual(first.body.results[0].body);
  });

  it('refuses a key reused with another call (422), as POST /calls does, and creates the rest', async () => {
    const key = randomUUID();
    await single(call(29.331), key).expect(201);
    const expected = await single(call(29.332), key).expect(422);
    const before = await totals();
    const res = await batch([
      { idempotencyKey: key, call: call(29.333) },
      { idempotencyKey: randomUUID(), call: call(29.334) },
    ]).expect(200);
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([422, 201]);
    expect(res.body.results[0].body).toEqual({ ...expected.body, instance: undefined });
    const after = await totals();
    expect(after.calls - before.calls).toBe(1);
    // and within one batch: the second use of a key with another call
    const k2 = randomUUID();
    const inOne = await batch([
      { idempotencyKey: k2, call: call(29.335) },
      { idempotencyKey: k2, call: call(29.336) },
      { idempotencyKey: k2, call: call(29.335) },
    ]).expect(200);
    expect(inOne.body.results.map((r: { status: number }) => r.status)).toEqual([201, 422, 201]);
    expect(inOne.body.results[2].body).toEqual(inOne.body.results[0].body);
    expect(inOne.body.results[2].replayed).toBe(true);
  });

  it('keeps the role of POST /calls and refuses a malformed envelope as a whole', async () => {
    const items = [{ idempotencyKey: randomUUID(), call: call(29.341) }];
    await batch(items, bearer('dispatcher')).expect(403);
    await batch(items, bearer('analyst')).expect(403);
    await request(h.app).post('/calls/batch').send({ items }).expect(401);
    await batch(items, bearer('supervisor')).expect(200);
    const before = await totals();
    await batch([]).expect(400);
    const tooMany = await batch(Array.from({ length: 101 }, (_, i) => ({ idempotencyKey: `k${i}`, call: call(29.342) }))).expect(400);
    expect(tooMany.body.errors[0].field).toBe('items');
    await batch([{ call: call(29.343) } as never]).expect(400);
    await request(h.app).post('/calls/batch').set('authorization', callTaker()).send({ items, extra: 1 }).expect(400);
    expect(await totals()).toEqual(before);
  });

  it('answers concurrent single POST /calls as if each ran alone while they share transactions (group commit)', async () => {
    await single(replayed('gc-taken', 29.4)).expect(201);
    const key = randomUUID();
    // 40 at once: more than two transactions can take, so most wait and go together
    const bodies = Array.from({ length: 36 }, (_, i) => replayed(`gc-${i}`, 29.41 + i / 10_000));
    const answers = await Promise.all([
      ...bodies.map((b) => single(b, randomUUID())),
      single(replayed('gc-taken', 29.49)), // refused: its externalRef exists (409), the others unaffected
      single(call(29.5, { location: { lat: 200, lon: 119.65 } })), // refused before any transaction (400)
      single(call(29.51), key), // the same key and body twice in the burst: one call, the same answer
      single(call(29.51), key),
    ]);
    expect(answers.map((a) => a.status)).toEqual([...bodies.map(() => 201), 409, 400, 201, 201]);
    expect(answers[36]!.body.code).toBe('duplicate-external-ref');
    expect(answers[39]!.body.callId).toBe(answers[38]!.body.callId);
    const ids = [...answers.slice(0, 36), answers[38]!].map((a) => a.body.callId as string);
    expect(new Set(ids).size).toBe(37);
    for (const [i, a] of answers.slice(0, 36).entries()) {
      const st = await stored(a.body.callId);
      expect(st.types).toEqual(['CallReceived', 'CallLocated', 'CallClassified', 'CallHandedToDispatch']);
      expect(st.outbox).toBe(4);
      expect((await h.rt.db.query<{ id: string }>(`SELECT external_id AS id FROM calls WHERE id = $1::uuid`, [a.body.callId]))[0]!.id).toBe(`gc-${i}`);
    }
    // (each create runs in its own request's trace context: libs/eventstore batch.int.spec.ts; one
    // trace per call through running services with HTTP spans: tools/devstack pipeline.e2e.spec.ts)
  });
});

