import request from 'supertest';
import { bearer } from '@cad110/testkit';
import { startIntake, callTaker } from './harness';

/**
 * Issue 13 item 1 (double submit, duplicates on create) on the real PostgreSQL and Kafka:
 * the same form posted twice without an Idempotency-Key — concurrently or 150 ms apart — is one
 * call (the double-submit rule, README "Double submit"); POST /calls answers the duplicate
 * candidates of the new call, and a high-scoring one is recorded (CallDuplicateSuspected)
 * before the hand-over.
 */
describe('POST /calls: double submit and duplicates on create', () => {
  let h: Awaited<ReturnType<typeof startIntake>>;
  const previous = process.env.DOUBLE_SUBMIT_SECONDS;

  beforeAll(async () => {
    process.env.DOUBLE_SUBMIT_SECONDS = '2';
    h = await startIntake();
  });
  afterAll(async () => {
    await h?.stop();
    if (previous === undefined) delete process.env.DOUBLE_SUBMIT_SECONDS;
    else process.env.DOUBLE_SUBMIT_SECONDS = previous;
  });

  const form = (lat: number, number: string) => ({
    channel: '110',
    caller: { number },
    location: { address: '12 Jiefang Rd', lat, lon: 119.65 },
    classification: { subtype: 'fighting' },
    narrative: 'two men fighting outside the shop',
    handToDispatch: true,
  });
  const post = (body: object, auth = callTaker()) => request(h.app).post('/calls').set('authorization', auth).send(body);
  const callsAt = async (lat: number) => (await h.rt.db.query<{ id: string }>('SELECT id::text FROM calls WHERE lat = $1', [lat])).map((r) => r.id);
  const handOvers = async (callIds: string[]) =>
    Number(
      (await h.rt.db.query<{ n: string }>(`SELECT count(*) AS n FROM events WHERE type = 'CallHandedToDispatch' AND stream_id = ANY($1::text[])`, [callIds.map((id) => `call-${id}`)]))[0]!.n,
    );

  it('two concurrent identical submissions without an Idempotency-Key make one call and one hand-over', async () => {
    const body = form(29.21, '13900000001');
    const [a, b] = await Promise.all([post(body), post(body)]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.callId).toBe(a.body.callId);
    expect([a.headers['idempotency-replayed'], b.headers['idempotency-replayed']].filter(Boolean)).toEqual(['true']);
    const ids = await callsAt(29.21);
    expect(ids).toEqual([a.body.callId]);
    expect(await handOvers(ids)).toBe(1);
  });

  it('a resubmit 150 ms later answers the first call; after the window a new call is made', async () => {
    const body = form(29.22, '13900000002');
    const a = await post(body).expect(201);
    await new Promise((r) => setTimeout(r, 150));
    const b = await post(body).expect(201);
    expect(b.body.callId).toBe(a.body.callId);
    expect(b.headers['idempotency-replayed']).toBe('true');
    expect(await callsAt(29.22)).toEqual([a.body.callId]);
    await new Promise((r) => setTimeout(r, 2100));
    const c = await post(body).expect(201);
    expect(c.body.callId).not.toBe(a.body.callId);
  });

  it('another user sending the same form makes a second call, flagged as a suspected duplicate before the hand-over', async () => {
    const body = form(29.23, '13900000003');
    const a = await post(body).expect(201);
    const b = await post(body, bearer('call_taker', 'another-call-taker')).expect(201);
    expect(b.body.callId).not.toBe(a.body.callId);
    expect(b.body.duplicateCandidates.candidates[0]).toMatchObject({ callId: a.body.callId, reasons: expect.arrayContaining(['near', 'same-caller-number', 'same-subtype']) });
    expect(b.body.duplicateCandidates.candidates[0].score).toBeGreaterThanOrEqual(0.8);
    expect(b.body.events).toEqual(['CallReceived', 'CallerRecorded', 'CallLocated', 'CallClassified', 'CallNarrativeAppended', 'CallDuplicateSuspected', 'CallHandedToDispatch']);
    const got = await request(h.app).get(`/calls/${b.body.callId}`).set('authorization', callTaker()).expect(200);
    expect(got.body.state.suspectedDuplicateOf).toMatchObject({ callId: a.body.callId });
    expect(got.body.events.find((e: { type: string }) => e.type === 'CallDuplicateSuspected').data).toMatchObject({ candidateCallId: a.body.callId, matchedOn: expect.arrayContaining(['near']) });
    // the first call had no candidate: an empty list, no flag
    expect(a.body.duplicateCandidates.candidates).toEqual([]);
    expect(a.body.events).not.toContain('CallDuplicateSuspected');
  });

  it('bare answered lines (no coordinates, address or caller number) are never folded', async () => {
    const a = await post({ channel: '110' }).expect(201);
    const b = await post({ channel: '110' }).expect(201);
    expect(b.body.callId).not.toBe(a.body.callId);
  });

  it('an explicit Idempotency-Key still wins: the same body under two keys is two calls', async () => {
    const body = form(29.24, '13900000004');
    const a = await post(body).set('idempotency-key', 'ds-1');
    const b = await request(h.app).post('/calls').set('authorization', callTaker()).set('idempotency-key', 'ds-2').send(body);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body.callId).not.toBe(a.body.callId);
  });
});
