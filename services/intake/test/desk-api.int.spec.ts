import request from 'supertest';
import type { Express } from 'express';
import { bearer, uniqueId } from '@cad110/testkit';
import { dropDatabase } from '@cad110/db';
import { createRuntime } from '@cad110/runtime';
import { createServer } from '../src/server';
import { importGazetteer, parseGazetteerCsv } from '../src/desk/gazetteer';
import { toWgs84 } from '../src/desk/coords';

/**
 * The call-taker desk's intake routes on the real PostgreSQL (pg_trgm) and Kafka: gazetteer
 * fuzzy search, caller / location history windows, flags (events, masking, matching), the
 * telephony ring → answer hand-off and answer time.
 */
describe('intake desk API', () => {
  let app: Express;
  let rt: Awaited<ReturnType<typeof createRuntime>>;
  const ct = bearer('call_taker');
  const sup = bearer('supervisor');

  beforeAll(async () => {
    process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
    process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
    rt = await createRuntime({ name: 'intake', serviceDir: `${__dirname}/..` });
    app = createServer(rt).app;
    const csv = 'id,kind,name,name_alt,district,lat,lon\nsq,landmark,中心步行街,Nicollet Mall,Precinct 1,44.976,-93.2728\nrd,road,湖滨大道,Lake Street,,44.9485,-93.262\nad,address,2500 block 4 St Ne,,Precinct 2,45.014,-93.262\n';
    await rt.db.transaction((tx) => importGazetteer(tx, parseGazetteerCsv(csv), 'test.csv'));
  });

  afterAll(async () => {
    await rt.producer.disconnect();
    await rt.pool.end();
    await dropDatabase(rt.databaseUrl);
  });

  it('finds gazetteer entries by a misspelt English name, by Chinese, and not by nonsense', async () => {
    const typo = await request(app).get(`/gazetteer?q=${encodeURIComponent('nicolet mal')}`).set('authorization', ct).expect(200);
    expect(typo.body.items[0]).toMatchObject({ id: 'sq', name: '中心步行街', lat: 44.976, lon: -93.2728 });
    const zh = await request(app).get(`/gazetteer?q=${encodeURIComponent('湖滨')}`).set('authorization', ct).expect(200);
    expect(zh.body.items.map((i: { id: string }) => i.id)).toEqual(['rd']);
    const none = await request(app).get('/gazetteer?q=zzzzqqq').set('authorization', ct).expect(200);
    expect(none.body.items).toEqual([]);
    await request(app).get('/gazetteer').set('authorization', ct).expect(400);
    await request(app).get('/gazetteer?q=x1').set('authorization', bearer('dispatcher')).expect(403);
  });

  it('converts GCJ-02 and BD-09 to WGS84 (a point in Beijing moves by hundreds of metres)', () => {
    const gcj = toWgs84({ lat: 39.914266, lon: 116.403988 }, 'GCJ02');
    expect(gcj.lat).toBeCloseTo(39.91286, 4);
    expect(gcj.lon).toBeCloseTo(116.39774, 4);
    const bd = toWgs84({ lat: 39.920, lon: 116.410 }, 'BD09');
    expect(Math.abs(bd.lon - 116.410)).toBeGreaterThan(0.005);
  });

  it('counts calls from a number in the last 24 h and 30 days, calls within 100 m, with outcomes, and matches flags', async () => {
    const now = Date.now();
    const mk = async (hoursAgo: number, lat: number, lon: number, number = '13900001111') => {
      const r = await request(app)
        .post('/calls')
        .set('authorization', ct)
        .send({ answeredAt: new Date(now - hoursAgo * 3600_000).toISOString(), caller: { number }, location: { lat, lon }, classification: { subtype: 'noise' } })
        .expect(201);
      return r.body.callId as string;
    };
    const recent = await mk(2, 29.08, 119.65);
    const old = await mk(24 * 10, 29.0805, 119.6502); // ~58 m away, 10 days ago
    const older = await mk(24 * 38, 29.08, 119.65); // 38 days ago: outside both windows (28 days before `then` below)
    const far = await mk(5, 29.2, 119.8, '13700000000'); // another number, far away
    await request(app).post(`/calls/${old}/cancel`).set('authorization', ct).set('if-match', '*').send({ reason: 'misdial' }).expect(200);
    const flag = await request(app).post('/flags').set('authorization', sup).send({ kind: 'location', label: '危化品仓库', lat: 29.0801, lon: 119.6501, radiusMetres: 50 }).expect(201);
    await request(app).post('/flags').set('authorization', sup).send({ kind: 'person', label: '多次骚扰报警', number: '139 0000 1111' }).expect(201);
    await request(app).post('/flags').set('authorization', ct).send({ kind: 'person', label: 'x', number: '13900001111' }).expect(403);

    const h = await request(app).post('/history/search').set('authorization', ct).send({ callerNumber: '139-0000-1111', lat: 29.08, lon: 119.65 }).expect(200);
    expect(h.body.byNumber).toMatchObject({ last24h: 1, last30d: 2 });
    expect(h.body.byNumber.calls.map((c: { callId: string }) => c.callId)).toEqual([recent, old]);
    expect(h.body.byNumber.calls[1]).toMatchObject({ status: 'cancelled', outcomeDetail: 'misdial', subtype: 'noise' });
    expect(h.body.nearby.calls.map((c: { callId: string }) => c.callId)).toEqual([recent, old]);
    expect(h.body.nearby.calls.map((c: { distanceMetres: number }) => c.distanceMetres)).toEqual([0, expect.any(Number)]);
    expect(h.body.nearby.calls[1].distanceMetres).toBeGreaterThan(40);
    expect(h.body.nearby.calls[1].distanceMetres).toBeLessThan(100);
    expect(JSON.stringify(h.body)).not.toContain(far);
    // the windows are relative to the reference instant (a replayed call's own time), not the
    // wall clock: 3 h after `old`, `old` is within 24 h, `older` within 30 days, `recent` is later
    const then = new Date(now - (24 * 10 - 3) * 3600_000).toISOString();
    const past = await request(app).post('/history/search').set('authorization', ct).send({ callerNumber: '13900001111', lat: 29.08, lon: 119.65, at: then }).expect(200);
    expect(past.body.byNumber).toMatchObject({ last24h: 1, last30d: 2 });
    expect(past.body.byNumber.calls.map((c: { callId: string }) => c.callId)).toEqual([old, older]);
    expect(past.body.nearby.calls.map((c: { callId: string }) => c.callId)).toEqual([old, older]);
    expect(h.body.flags.map((f: { kind: string; label: string }) => [f.kind, f.label]).sort()).toEqual([
      ['location', '危化品仓库'],
      ['person', '多次骚扰报警'],
    ]);

    // dispatchers see flags with the number masked; the change is an event on the flag's stream
    const list = await request(app).get('/flags').set('authorization', bearer('dispatcher')).expect(200);
    const person = list.body.items.find((f: { kind: string }) => f.kind === 'person');
    expect(person.number).toBe('139****1111');
    await request(app).post(`/flags/${flag.body.flagId}/retire`).set('authorization', sup).send({ reason: '仓库已搬迁' }).expect(200);
    await request(app).post(`/flags/${flag.body.flagId}/retire`).set('authorization', sup).send({ reason: 'again' }).expect(409);
    const events = await rt.db.query<{ type: string }>(`SELECT type FROM events WHERE stream_id = $1 ORDER BY version`, [`flag-${flag.body.flagId}`]);
    expect(events.map((e) => e.type)).toEqual(['FlagRaised', 'FlagRetired']);
    const outbox = await rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE payload LIKE '%FlagRaised%'`);
    expect(outbox[0]!.n).toBe(0);
    const after = await request(app).post('/history/search').set('authorization', ct).send({ lat: 29.08, lon: 119.65 }).expect(200);
    expect(after.body.flags).toEqual([]);
  });

  it('offers a ringing line, lets one call taker answer it (409 for the second), and the call created from it has its answer time', async () => {
    const ringingAt = new Date(Date.now() - 7000).toISOString();
    const ring = await request(app).post('/telephony/ringing').set('authorization', ct).send({ number: '13811112222', lat: 39.914266, lon: 116.403988, crs: 'GCJ02', uncertaintyMetres: 40, ringingAt }).expect(201);
    expect(ring.body.lat).toBeCloseTo(39.91286, 4); // stored in WGS84
    const offered = await request(app).get('/telephony/ringing').set('authorization', ct).expect(200);
    expect(offered.body.items.map((r: { ringId: string }) => r.ringId)).toContain(ring.body.ringId);
    const a = await request(app).post(`/telephony/ringing/${ring.body.ringId}/answer`).set('authorization', ct).send({}).expect(200);
    expect(a.body.number).toBe('13811112222');
    await request(app).post(`/telephony/ringing/${ring.body.ringId}/answer`).set('authorization', sup).send({}).expect(409);
    const gone = await request(app).get('/telephony/ringing').set('authorization', ct).expect(200);
    expect(gone.body.items.map((r: { ringId: string }) => r.ringId)).not.toContain(ring.body.ringId);
    const created = await request(app).post('/calls').set('authorization', ct).send({ ringingAt: a.body.ringingAt, answeredAt: a.body.answeredAt, caller: { number: a.body.number } }).expect(201);
    const got = await request(app).get(`/calls/${created.body.callId}`).set('authorization', ct).expect(200);
    expect(got.body.state.timings.answerSeconds).toBeGreaterThanOrEqual(7);
    expect(got.body.state.timings.answerSeconds).toBeLessThan(20);
    await request(app).post('/telephony/ringing').set('authorization', ct).send({ number: 'abc', lat: 1 }).expect(400);
  });

  it('keeps SOP answers as data on the first narrative entry (and in its text)', async () => {
    const sopAnswers = [{ index: 1, question: '被抢财物？', answer: '手机一部，约5000元' }];
    const r = await request(app).post('/calls').set('authorization', ct).send({ classification: { subtype: 'snatching' }, narrative: '电动车抢夺手机', sopAnswers }).expect(201);
    const got = await request(app).get(`/calls/${r.body.callId}`).set('authorization', ct).expect(200);
    const entry = got.body.events.find((e: { type: string }) => e.type === 'CallNarrativeAppended');
    expect(entry.data).toEqual({ callId: r.body.callId, text: '电动车抢夺手机', sopAnswers });
    const only = await request(app).post('/calls').set('authorization', ct).send({ sopAnswers }).expect(201);
    const got2 = await request(app).get(`/calls/${only.body.callId}`).set('authorization', ct).expect(200);
    expect(got2.body.events.find((e: { type: string }) => e.type === 'CallNarrativeAppended').data.text).toBe('被抢财物？ 手机一部，约5000元');
    await request(app).post('/calls').set('authorization', ct).send({ sopAnswers: [{ index: 0, question: 'q', answer: '' }] }).expect(400);
  });
});
