/**
 * Statistics' projections and figures on the real PostgreSQL and the real Kafka broker: events
 * published by a test producer (dispatch and case events BEFORE the call events they refer to),
 * folded by the live consumer, served by the API, and rebuilt from offset 0 to identical tables.
 * Bureau zone America/Chicago, with calls around both 2021 DST changes.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { Partitioners, type Producer } from 'kafkajs';
import { callStreamId, caseStreamId, incidentStreamId, unitStreamId, type EventEnvelope } from '@cad110/contracts';
import { dropDatabase, sqlOf } from '@cad110/db';
import { createRuntime } from '@cad110/runtime';
import { bearer, uniqueId, waitFor } from '@cad110/testkit';
import { createServer } from '../src/server';
import { startConsumers, stopLive } from '../src/consumers';
import type { LiveProjection } from '../src/runtime';
import { projectionConfig, statisticsTopics } from '../src/config';
import { ConsumerGate } from '../src/projections/gate';
import { ALL_SPECS, dumpTable } from '../src/projections/store';
import { rebuildProjections, RebuildRefused, replayTopics } from '../src/projections/rebuild';
import { EnvelopeFactory, publish } from './envelopes';

jest.setTimeout(180_000);

type Rt = Awaited<ReturnType<typeof createRuntime>>;

const addSeconds = (iso: string, s: number) => new Date(Date.parse(iso) + s * 1000).toISOString();

/** Every projection table, ordered by key. */
async function dumpAll(rt: Rt) {
  const c = await rt.pool.connect();
  try {
    const sql = sqlOf(c);
    const out: Record<string, unknown[]> = {};
    for (const [name, spec] of Object.entries(ALL_SPECS)) out[name] = await dumpTable(sql, spec as never);
    return out;
  } finally {
    c.release();
  }
}

describe('statistics projections, figures and rebuild (real PostgreSQL and Kafka)', () => {
  const prefix = `${uniqueId('t')}.`;
  let rt: Rt;
  let app: Express;
  let live: LiveProjection;
  let producer: Producer;
  const f = new EnvelopeFactory();
  const analyst = bearer('analyst');
  const all: EventEnvelope[] = [];
  const redelivered: EventEnvelope[] = [];

  // calls: id, answeredAt (UTC), classification, location
  const ids = Object.fromEntries(['c1', 'c2', 'c3', 'c4a', 'c4b', 'c5', 'c6', 'i1', 'i3', 'k1', 'k2', 'k3'].map((k) => [k, randomUUID()])) as Record<string, string>;
  const A = {
    c1: '2021-03-14T07:30:00.000Z', // 01:30 CST, 14 March (before the spring-forward gap)
    c2: '2021-03-14T05:59:00.000Z', // 23:59 CST, 13 March
    c3: '2021-03-15T05:30:00.000Z', // 00:30 CDT, 15 March (a fixed UTC-6 would say 14 March)
    c4a: '2021-11-07T06:30:00.000Z', // 01:30 CDT, 7 November (first pass of the repeated hour)
    c4b: '2021-11-07T07:30:00.000Z', // 01:30 CST, 7 November (second pass)
    c5: '2021-11-08T05:30:00.000Z', // 23:30 CST, 7 November (a fixed UTC-5 would say 8 November)
    c6: '2020-03-14T15:00:00.000Z', // one year earlier
  };

  function call(key: keyof typeof A, cls: { kind: string; category: string; subtype: string; priority: number; flags?: string[] }, loc: { district: string; lat?: number; lon?: number }, extra: EventEnvelope[] = []) {
    const callId = ids[key]!;
    const s = { streamId: callStreamId(callId), correlationId: callId };
    const at = A[key];
    return [
      f.make('CallReceived', { callId, channel: '110', answeredAt: at, createdAt: at }, { ...s, occurredAt: at }),
      f.make('CallLocated', { callId, source: 'import', ...loc }, { ...s, occurredAt: at }),
      f.make('CallClassified', { callId, ...cls, flags: cls.flags ?? [], taxonomyVersion: '1.0.0', classifiedAt: at }, { ...s, occurredAt: at }),
      ...extra,
    ];
  }

  function dispatchEvents(): EventEnvelope[] {
    const i1 = ids.i1!;
    const i3 = ids.i3!;
    const inc = (incidentId: string, callId: string, occurredAt: string) => ({ streamId: incidentStreamId(incidentId), correlationId: callId, occurredAt });
    const loc = { district: 'North', lat: 44.98, lon: -93.27 };
    return [
      f.make('IncidentOpened', { incidentId: i1, callId: ids.c1, openedAt: addSeconds(A.c1, 10), answeredAt: A.c1, kind: 'report', category: 'criminal', subtype: 'robbery', priority: 1, flags: ['two-robberies-one-theft'], location: loc }, inc(i1, ids.c1!, A.c1)),
      f.make('UnitDispatched', { incidentId: i1, callId: ids.c1, unitId: 'U1', dispatchedAt: addSeconds(A.c1, 90) }, inc(i1, ids.c1!, A.c1)),
      f.make('UnitDispatched', { incidentId: i1, callId: ids.c1, unitId: 'U2', dispatchedAt: addSeconds(A.c1, 45) }, inc(i1, ids.c1!, A.c1)),
      f.make('UnitStatusChanged', { unitId: 'U1', from: 'en-route', to: 'on-scene', at: addSeconds(A.c1, 300), incidentId: i1, callId: ids.c1 }, { streamId: unitStreamId('U1'), correlationId: ids.c1!, occurredAt: A.c1 }),
      f.make('UnitStatusChanged', { unitId: 'U2', from: 'en-route', to: 'on-scene', at: addSeconds(A.c1, 200), incidentId: i1, callId: ids.c1 }, { streamId: unitStreamId('U2'), correlationId: ids.c1!, occurredAt: A.c1 }),
      // incident of c3: the arrival names the incident only, and comes before IncidentOpened
      f.make('UnitStatusChanged', { unitId: 'U3', from: 'en-route', to: 'on-scene', at: addSeconds(A.c3, 400), incidentId: i3 }, { streamId: unitStreamId('U3'), correlationId: ids.c3!, occurredAt: A.c3 }),
      f.make('UnitDispatched', { incidentId: i3, callId: ids.c3, unitId: 'U3', dispatchedAt: addSeconds(A.c3, 120) }, inc(i3, ids.c3!, A.c3)),
      f.make('IncidentOpened', { incidentId: i3, callId: ids.c3, openedAt: addSeconds(A.c3, 5), answeredAt: A.c3, kind: 'help', category: 'assistance', subtype: 'welfare-check', priority: 2, flags: [], location: { district: 'South' } }, inc(i3, ids.c3!, A.c3)),
      f.make('UnitStatusChanged', { unitId: 'U4', from: 'available', to: 'out-of-service', at: A.c3 }, { streamId: unitStreamId('U4'), correlationId: ids.c3!, occurredAt: A.c3 }),
      f.make('DutyLevelChanged', { district: 'North', from: 'normal', to: 'reinforced', at: A.c1 }, { streamId: 'duty-North', correlationId: ids.c1!, occurredAt: A.c1 }),
    ];
  }

  function caseEvents(): EventEnvelope[] {
    const cs = (caseId: string, callId: string, at: string) => ({ streamId: caseStreamId(caseId), correlationId: callId, occurredAt: at });
    const opened = (caseId: string, callId: string, incidentId: string, at: string, category: string, subtype: string, district: string) =>
      f.make('CaseOpened', { caseId, caseNumber: `JY-2021-${caseId.slice(0, 6)}`, incidentId, callId, openedAt: at, category, subtype, district }, cs(caseId, callId, at));
    return [
      opened(ids.k1!, ids.c1!, ids.i1!, A.c1, 'criminal', 'robbery', 'North'),
      // the later disposition is published first: the older one must not replace it
      f.make('DispositionRecorded', { caseId: ids.k1, codes: ['suspects-caught'], suspectsCaught: 2, peopleRescued: 0, recordedAt: '2021-03-16T10:00:00.000Z' }, cs(ids.k1!, ids.c1!, A.c1)),
      f.make('DispositionRecorded', { caseId: ids.k1, codes: ['unresolved'], suspectsCaught: 0, peopleRescued: 0, recordedAt: '2021-03-15T10:00:00.000Z' }, cs(ids.k1!, ids.c1!, A.c1)),
      opened(ids.k2!, ids.c2!, randomUUID(), A.c2, 'dispute', 'domestic-dispute', 'South'),
      f.make('DispositionRecorded', { caseId: ids.k2, codes: ['dispute-mediated'], recordedAt: '2021-03-14T09:00:00.000Z' }, cs(ids.k2!, ids.c2!, A.c2)),
      opened(ids.k3!, ids.c3!, ids.i3!, A.c3, 'assistance', 'welfare-check', 'South'),
      f.make('DispositionRecorded', { caseId: ids.k3, codes: ['people-rescued'], peopleRescued: 1, recordedAt: '2021-03-15T08:00:00.000Z' }, cs(ids.k3!, ids.c3!, A.c3)),
    ];
  }

  function callEvents(): EventEnvelope[] {
    const rob = { kind: 'report', category: 'criminal', subtype: 'robbery', priority: 1, flags: ['two-robberies-one-theft'] };
    const theft = { kind: 'report', category: 'criminal', subtype: 'theft', priority: 3, flags: ['two-robberies-one-theft'] };
    const c2Reclass = f.make(
      'CallClassified',
      { callId: ids.c2, kind: 'report', category: 'dispute', subtype: 'domestic-dispute', priority: 2, flags: [], taxonomyVersion: '1.0.0', classifiedAt: addSeconds(A.c2, 60), reason: 'reclassified' },
      { streamId: callStreamId(ids.c2!), correlationId: ids.c2!, occurredAt: A.c2 },
    );
    const cancel = f.make('CallCancelled', { callId: ids.c4a, reason: 'prank' }, { streamId: callStreamId(ids.c4a!), correlationId: ids.c4a!, occurredAt: A.c4a });
    const dup = f.make('CallLinkedAsDuplicate', { callId: ids.c5, duplicateOfCallId: ids.c4b, reason: 'same burglary' }, { streamId: callStreamId(ids.c5!), correlationId: ids.c5!, occurredAt: A.c5 });
    return [
      ...call('c1', rob, { district: 'North', lat: 44.98, lon: -93.27 }),
      ...call('c2', theft, { district: 'South', lat: 44.95, lon: -93.25 }, [c2Reclass]),
      ...call('c3', { kind: 'help', category: 'assistance', subtype: 'welfare-check', priority: 2 }, { district: 'South' }),
      ...call('c4a', theft, { district: 'North', lat: 44.98, lon: -93.27 }, [cancel]),
      ...call('c4b', theft, { district: 'North', lat: 44.981, lon: -93.271 }),
      ...call('c5', { ...theft, subtype: 'burglary' }, { district: 'North' }, [dup]),
      ...call('c6', rob, { district: 'North', lat: 44.98, lon: -93.27 }),
    ];
  }

  beforeAll(async () => {
    process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
    process.env.KAFKA_TOPIC_PREFIX = prefix;
    process.env.BUREAU_TIME_ZONE = 'America/Chicago';
    rt = await createRuntime({ name: 'statistics', serviceDir: `${__dirname}/..`, outbox: false });
    live = { cfg: projectionConfig(), gate: new ConsumerGate() };
    app = createServer(rt, live);
    producer = rt.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    all.push(...dispatchEvents(), ...caseEvents(), ...callEvents());
    // three events stored twice on their topics (as a producer retry does), each right after the
    // first copy: one message chunk of the live consumer, and the rebuild, must apply them once
    redelivered.push(...['CallReceived', 'UnitDispatched', 'DispositionRecorded'].map((type) => all.find((e) => e.type === type)!));
    await publish(producer, prefix, all.flatMap((e) => (redelivered.includes(e) ? [e, e] : [e])));
    await startConsumers(rt, live);
    await waitFor(async () => (await rt.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM processed_messages')).rows[0]!.n === all.length, {
      timeoutMs: 120_000,
      intervalMs: 250,
      message: 'live consumer applied every event',
    });
  });

  afterAll(async () => {
    await Promise.allSettled(rt.consumers.map((c) => c.disconnect()));
    stopLive(live);
    await producer.disconnect();
    await rt.producer.disconnect();
    await rt.pool.end();
    await dropDatabase(rt.databaseUrl);
    delete process.env.BUREAU_TIME_ZONE;
  });

  const get = (path: string) => request(app).get(path).set('authorization', analyst);

  it('counts calls on the local day and hour of the answer, across both DST changes', async () => {
    const byDay = await get('/stats/counts?by=day').expect(200);
    expect(byDay.body.rows).toEqual([
      { key: '2020-03-14', count: 1 },
      { key: '2021-03-13', count: 1 },
      { key: '2021-03-14', count: 1 },
      { key: '2021-03-15', count: 1 },
      { key: '2021-11-07', count: 3 },
    ]);
    const nov = await get('/stats/counts?by=hour&from=2021-11-07&to=2021-11-07').expect(200);
    expect(nov.body.rows).toEqual([
      { key: 1, count: 2 },
      { key: 23, count: 1 },
    ]);
  });

  it('serves the totals: 110 total, incidents, criminal, two robberies and one theft', async () => {
    const t = await get('/stats/totals?from=2021-03-13&to=2021-03-15').expect(200);
    // c2 was reclassified theft → domestic dispute; c3 is a request for help
    expect(t.body).toMatchObject({ calls: 3, incidents: 2, criminal: 1, twoRobberiesOneTheft: 1 });
    const nov = await get('/stats/totals?from=2021-11-07&to=2021-11-07').expect(200);
    // c4a cancelled and c5 a duplicate: calls, but not incidents
    expect(nov.body).toMatchObject({ calls: 3, incidents: 1, criminal: 1, twoRobberiesOneTheft: 1 });
    const inc = await get('/stats/counts?by=category&scope=incidents').expect(200);
    expect(inc.body.rows).toEqual([
      { key: 'criminal', count: 3 },
      { key: 'dispute', count: 1 },
    ]);
  });

  it('compares year on year and period on period, with the zero-base rule', async () => {
    const c = await get('/stats/compare?metric=criminal&from=2021-03-14&to=2021-03-14').expect(200);
    expect(c.body.yoyPeriod).toEqual({ from: '2020-03-14', to: '2020-03-14' });
    expect(c.body.popPeriod).toEqual({ from: '2021-03-13', to: '2021-03-13' });
    expect(c.body.rows).toEqual([{ key: null, current: 1, yoy: { base: 1, change: 0, changePct: 0, baseZero: false }, pop: { base: 0, change: 1, changePct: null, baseZero: true } }]);
    const nov = await get('/stats/compare?metric=two-robberies-one-theft&from=2021-11-01&to=2021-11-30&format=csv').expect(200);
    expect(nov.headers['content-type']).toMatch(/text\/csv/);
    expect(nov.text.trim().split('\r\n')).toEqual(['key,current,yoyBase,yoyChange,yoyChangePct,yoyBaseZero,popBase,popChange,popChangePct,popBaseZero', ',1,0,1,,true,0,1,,true']);
  });

  it('lists the days without any incident and without a criminal incident, per district and overall', async () => {
    const d = await get('/stats/days-without?from=2021-03-13&to=2021-03-15').expect(200);
    expect(d.body.rows).toEqual([
      { district: null, days: 3, daysWithoutIncident: 1, daysWithoutCriminalIncident: 2, withoutIncident: ['2021-03-15'], withoutCriminalIncident: ['2021-03-13', '2021-03-15'] },
      { district: 'North', days: 3, daysWithoutIncident: 2, daysWithoutCriminalIncident: 2, withoutIncident: ['2021-03-13', '2021-03-15'], withoutCriminalIncident: ['2021-03-13', '2021-03-15'] },
      { district: 'South', days: 3, daysWithoutIncident: 2, daysWithoutCriminalIncident: 3, withoutIncident: ['2021-03-14', '2021-03-15'], withoutCriminalIncident: ['2021-03-13', '2021-03-14', '2021-03-15'] },
    ]);
  });

  it('counts outcomes by each case\'s latest disposition', async () => {
    const o = await get('/stats/outcomes?from=2021-03-01&to=2021-03-31').expect(200);
    expect(o.body.rows).toEqual([{ key: null, cases: 3, disputesMediated: 1, peopleRescued: 1, suspectsCaught: 2 }]);
    const byDistrict = await get('/stats/outcomes?by=district&from=2021-03-01&to=2021-03-31').expect(200);
    expect(byDistrict.body.rows).toEqual([
      { key: 'North', cases: 1, disputesMediated: 0, peopleRescued: 0, suspectsCaught: 2 },
      { key: 'South', cases: 2, disputesMediated: 1, peopleRescued: 1, suspectsCaught: 0 },
    ]);
  });

  it('computes response times from the first dispatch and first arrival (nearest rank) and compliance', async () => {
    const r = await get('/stats/response-times?from=2021-03-01&to=2021-03-31').expect(200);
    const m = Object.fromEntries(r.body.rows.map((x: { measure: string }) => [x.measure, x]));
    expect(m.processing).toMatchObject({ n: 2, p50: 45, p90: 120, p95: 120 });
    expect(m.travel).toMatchObject({ n: 2, p50: 155, p90: 280, p95: 280 });
    expect(m.total).toMatchObject({ n: 2, p50: 200, p90: 400, p95: 400 });
    expect(m.answer).toMatchObject({ n: 0, p50: null });
    const byPriority = await get('/stats/response-times?by=priority&from=2021-03-01&to=2021-03-31').expect(200);
    expect(byPriority.body.rows.filter((x: { measure: string }) => x.measure === 'processing').map((x: { key: number; p50: number }) => [x.key, x.p50])).toEqual([
      [1, 45],
      [2, 120],
    ]);
    const c = await get('/stats/compliance?from=2021-03-01&to=2021-03-31').expect(200);
    expect(c.body.rows).toEqual([
      {
        key: null,
        processingN: 2,
        processingWithin60: 1,
        nfpa1225Share: 0.5,
        nfpa1225Target: 0.9,
        nfpa1225Met: false,
        travelN: 2,
        within1min: 0,
        within3min: 1,
        within5min: 2,
        circle1Share: 0,
        circle3Share: 0.5,
        circle5Share: 1,
      },
    ]);
  });

  it('serves hot-spot cells, Gi* hot spots and a deployment suggestion with the duty level from the events', async () => {
    const cells = await get('/stats/hotspots/cells?resolution=7').expect(200);
    expect(cells.body.rows.reduce((s: number, r: { calls: number }) => s + r.calls, 0)).toBe(5); // located calls
    const hs = await get('/stats/hotspots?resolution=8&k=1&top=3').expect(200);
    expect(hs.body.rows.length).toBeGreaterThan(0);
    expect(new Set(hs.body.rows.map((r: { band: string }) => r.band))).toEqual(new Set(['night', 'day', 'evening'].filter((b) => hs.body.rows.some((r: { band: string }) => r.band === b))));
    const dep = await get('/stats/deployment?at=2021-11-09T12:00:00.000Z&from=2020-01-01&to=2021-12-31&district=North&units=armed-vehicle-patrol:1,station-car:3').expect(200);
    expect(dep.body.dutyLevel).toBe('reinforced');
    expect(dep.body.postsPlanned).toBe(3); // ⌈4 × 0.75⌉
    expect(dep.body.shift).toMatchObject({ band: 'day', start: '2021-11-09T08:00:00.000-06:00' });
    const units = await get('/stats/deployment?at=2021-11-09T12:00:00.000Z&from=2020-01-01&to=2021-12-31').expect(200);
    expect(units.body.units).toEqual([{ type: 'patrol-unit', count: 3 }]); // U4 is out of service
  });

  it('counts events per topic for throughput and calls per hour', async () => {
    const t = await get('/stats/throughput').expect(200);
    const byTopic = Object.fromEntries(t.body.topics.map((x: { topic: string; events: number }) => [x.topic, x.events]));
    expect(byTopic).toEqual({ calls: callEvents().length, dispatch: dispatchEvents().length, cases: caseEvents().length });
    const h = await get('/stats/throughput?from=2021-11-07&to=2021-11-07').expect(200);
    expect(h.body.callsPerHour).toEqual({ calls: 3, hours: 25, meanPerHour: 0.12, peak: { day: '2021-11-07', hour: 1, calls: 2 } });
  });

  it('documents every figure in /openapi.json, answers CSV on Accept, and 400 for bad parameters', async () => {
    const doc = await get('/openapi.json').expect(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/stats/counts', '/stats/totals', '/stats/compare', '/stats/days-without', '/stats/outcomes', '/stats/response-times', '/stats/compliance', '/stats/hotspots', '/stats/hotspots/cells', '/stats/deployment', '/stats/throughput', '/stats/admin/rebuild']),
    );
    expect(doc.body.paths['/stats/compare'].get.description).toMatch(/baseZero/);
    expect(doc.body.paths['/stats/counts'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['by', 'from', 'to', 'district', 'category', 'format']));
    const csv = await get('/stats/counts?by=district').set('accept', 'text/csv').expect(200);
    expect(csv.text.split('\r\n')[0]).toBe('key,count');
    const bad = await get('/stats/compare?metric=nope&from=2021-13-01&to=2021-01-01&extra=1').expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['metric', 'from']));
    await request(app).get('/stats/totals').expect(401);
    await request(app).get('/stats/totals').set('authorization', bearer('call_taker')).expect(403);
    await request(app).post('/stats/admin/rebuild').set('authorization', analyst).expect(403);
  });

  it('replays every partition to its end once, in many small fetches', async () => {
    const seen: string[] = [];
    const r = await replayTopics(rt.kafka, statisticsTopics(), rt.registry, async (e) => void seen.push(e.eventId), 1024);
    expect({ events: r.events, duplicates: r.duplicates }).toEqual({ events: all.length, duplicates: redelivered.length });
    expect(seen).toHaveLength(all.length);
    expect(new Set(seen)).toEqual(new Set(all.map((e) => e.eventId)));
  });

  it('rebuilds every projection from offset 0 to identical tables, and the live consumer resumes after the watermark', async () => {
    const before = await dumpAll(rt);
    // a second process may not rebuild while this one consumes live
    await expect(rebuildProjections({ pool: rt.pool, kafka: rt.kafka, registry: rt.registry, cfg: live.cfg, logger: rt.logger, topics: statisticsTopics() })).rejects.toThrow(RebuildRefused);
    const res = await request(app).post('/stats/admin/rebuild').set('authorization', bearer('ops')).expect(200);
    expect(res.body).toMatchObject({ events: all.length, duplicates: redelivered.length, skipped: 0, calls: 7 });
    expect(await dumpAll(rt)).toEqual(before);

    // a new event after the rebuild is applied once; the rebuilt ones are not applied again
    const late = f.make('CallCancelled', { callId: ids.c1, reason: 'other' }, { streamId: callStreamId(ids.c1!), correlationId: ids.c1!, occurredAt: A.c1 });
    await publish(producer, prefix, [late]);
    await waitFor(async () => (await get('/stats/totals?from=2021-03-14&to=2021-03-14')).body.incidents === 0, { timeoutMs: 60_000, intervalMs: 250, message: 'late event applied' });
    const t = await get('/stats/totals?from=2021-03-13&to=2021-03-15').expect(200);
    expect(t.body).toMatchObject({ calls: 3, incidents: 1, criminal: 0 });
    const afterLive = await dumpAll(rt);
    // two at once: one rebuilds, the other is refused
    const both = await Promise.all([1, 2].map(() => request(app).post('/stats/admin/rebuild').set('authorization', bearer('admin'))));
    expect(both.map((b) => b.status).sort()).toEqual([200, 409]);
    expect(await dumpAll(rt)).toEqual(afterLive);
  });
});
