/**
 * Real rows through intake and dispatch (in-process, real PostgreSQL and Kafka, real HTTP):
 * one incident and one recommendation per new call (Minneapolis with coordinates, San Diego
 * without), then the Minneapolis dispatch history replayed with the source times.
 */
import type { Server } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadTaxonomy } from '@cad110/contracts';
import { dropDatabase } from '@cad110/db';
import { loadMapping, planSteps, postCalls, readCalls, replayDispatchHistory, type MappedCall, type PostResult } from '@cad110/importer';
import { createServer as createIntake } from '@cad110/intake';
import { createRuntime } from '@cad110/runtime';
import { bearer, itWithShared, sharedPath, uniqueId, waitFor } from '@cad110/testkit';
import { createServer } from '../src/server';
import { createDispatchContext, type DispatchContext } from '../src/context';
import { seedUnits } from '../src/units/register';
import { startConsumers } from '../src/consumers/calls';
import { loadSeed } from '../src/units/seed';
import type { Incident, Unit } from '../src/generated/prisma/client';

jest.setTimeout(600_000);

const ROOT = join(__dirname, '..', '..', '..');
const SHARED = sharedPath('data/calls');
const MPLS = existsSync(join(SHARED, 'minneapolis-mpd-911-cad.csv')) ? join(SHARED, 'minneapolis-mpd-911-cad.csv') : join(ROOT, 'data', 'calls', 'minneapolis-mpd-911-cad.slice-2000.csv');
const SD = join(SHARED, 'san-diego-pd-calls-for-service.csv');
const MPLS_ROWS = 300;
const SD_ROWS = 60;

function listen(app: import('express').Express): Promise<{ server: Server; url: string }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` }));
  });
}

describe('replaying real calls into dispatch', () => {
  const taxonomy = loadTaxonomy();
  const mpls = loadMapping('minneapolis-mpd', taxonomy);
  let intakeRt: Awaited<ReturnType<typeof createRuntime>>;
  let rt: Awaited<ReturnType<typeof createRuntime>>;
  const servers: Server[] = [];
  let intakeUrl = '';
  let dispatchUrl = '';
  let calls: MappedCall[] = [];
  let posted: PostResult;

  beforeAll(async () => {
    process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
    process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
    bearer('call_taker'); // sets the test signing secret
    intakeRt = await createRuntime({ name: 'intake', serviceDir: join(ROOT, 'services', 'intake') });
    intakeRt.relay.start();
    const intake = await listen(createIntake(intakeRt as never).app);
    servers.push(intake.server);
    intakeUrl = intake.url;
    rt = await createRuntime({ name: 'dispatch', serviceDir: join(__dirname, '..') });
    const ctx = createDispatchContext(rt, { timeZone: mpls.timeZone });
    await seedUnits(ctx, loadSeed());
    await startConsumers(rt, ctx);
    rt.relay.start();
    const dispatch = await listen(createServer(rt, ctx).app);
    servers.push(dispatch.server);
    dispatchUrl = dispatch.url;
    ({ calls } = await readCalls(MPLS, mpls, taxonomy, MPLS_ROWS));
    posted = await postCalls(calls, { intakeUrl, concurrency: 8, progress: false, headers: { authorization: bearer('call_taker', 'importer') } });
  });

  afterAll(async () => {
    for (const s of servers) await new Promise((r) => s.close(r));
    for (const r of [rt, intakeRt]) {
      if (!r) continue;
      await Promise.allSettled(r.consumers.map((c) => c.disconnect()));
      await r.relay.stop();
      await r.producer.disconnect();
      await r.pool.end();
      await dropDatabase(r.databaseUrl);
    }
  });

  const q = async <T>(sql: string, ...args: unknown[]) => (await rt.pool.query(sql, args)).rows as T[];

  it('opens one incident per new call, each with one recommendation, and none for a repeated call', async () => {
    expect(posted.failed).toEqual([]);
    const handed = calls.filter((c) => c.body.handToDispatch).length;
    await waitFor(async () => (await rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM incidents`))[0]!.n >= handed, { timeoutMs: 180_000, message: 'incidents opened' });
    const perCall = await q<{ call_id: string; n: number }>('SELECT call_id, count(*)::int AS n FROM incidents GROUP BY call_id');
    expect(perCall).toHaveLength(handed);
    expect(perCall.every((r) => r.n === 1)).toBe(true);
    expect(new Set(perCall.map((r) => r.call_id))).toEqual(new Set(posted.accepted.map((a) => a.callId)));
    const recs = await q<{ n: number; streams: number; with_units: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT stream_id)::int AS streams,
              count(*) FILTER (WHERE jsonb_array_length(data->'recommendations') > 0)::int AS with_units
       FROM events WHERE type = 'UnitsRecommended'`,
    );
    expect(recs[0]).toEqual({ n: handed, streams: handed, with_units: handed });
    // posting the same rows again adds no call and no incident
    const again = await postCalls(calls.slice(0, 20), { intakeUrl, concurrency: 4, progress: false, headers: { authorization: bearer('call_taker', 'importer') } });
    expect(again.accepted).toHaveLength(0);
    expect(again.failed.every((f) => f.status === 409)).toBe(true);
    expect((await rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM incidents`))[0]!.n).toBe(handed);
    // incidents with coordinates got ETAs; redacted ones were recommended by precinct without
    const sample = await q<{ lat: number | null; eta: unknown }>(`SELECT lat, recommendations->0->'etaSeconds' AS eta FROM incidents`);
    expect(sample.filter((r) => r.lat !== null).every((r) => typeof r.eta === 'number')).toBe(true);
    expect(sample.filter((r) => r.lat === null).every((r) => r.eta === null)).toBe(true);
  });

  itWithShared('recommends by district for San Diego calls without coordinates', ['data/calls/san-diego-pd-calls-for-service.csv'], async () => {
    const sd = loadMapping('san-diego-pd', taxonomy);
    const { calls: sdCalls } = await readCalls(SD, sd, taxonomy, SD_ROWS);
    const res = await postCalls(sdCalls, { intakeUrl, concurrency: 8, progress: false, headers: { authorization: bearer('call_taker', 'importer') } });
    expect(res.failed).toEqual([]);
    const handed = new Set(sdCalls.filter((c) => c.body.handToDispatch).map((c) => c.body.externalRef.id));
    const ids = res.accepted.filter((a) => handed.has(a.externalId)).map((a) => a.callId);
    await waitFor(async () => (await rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM incidents WHERE call_id = ANY($1::uuid[])`, [ids]))[0]!.n === ids.length, { timeoutMs: 120_000 });
    const rows = await rt.db.select<Incident>('SELECT * FROM incidents WHERE call_id = ANY($1::uuid[])', [ids]);
    expect(rows.every((r) => r.lat === null && (r.district === null || /^Division \d$/.test(r.district)))).toBe(true);
    expect(rows.filter((r) => r.district !== null).length).toBeGreaterThan(rows.length / 2);
    for (const r of rows) {
      const recs = r.recommendations as { etaSeconds: number | null; reasons: string[] }[];
      expect(recs.length).toBeGreaterThan(0);
      expect(recs.every((x) => x.etaSeconds === null)).toBe(true);
      expect(recs[0]!.reasons.join(' ')).toMatch(/no coordinates/);
    }
  });

  it('replays the dispatch history: UnitDispatched at the first-assigned time, on scene at the arrival time', async () => {
    const headers = { authorization: bearer('supervisor', 'importer') };
    const result = await replayDispatchHistory(calls, posted.accepted, { dispatchUrl, headers });
    expect(result.failed).toEqual([]);
    const withAssigned = calls.filter((c) => c.body.handToDispatch && c.dispatchHistory?.assignedAt);
    expect(result.incidents).toBe(withAssigned.length);
    expect(result.dispatched).toBe(withAssigned.length);
    expect(result.cleared).toBe(withAssigned.length);
    expect(result.rosterAssignments).toBeGreaterThan(0);
    expect(result.mutualAidAssignments).toBeGreaterThan(0); // real calls overlap more than the roster covers
    expect(result.rosterAssignments + result.mutualAidAssignments).toBe(withAssigned.length);

    const callIdOf = new Map(posted.accepted.map((a) => [a.externalId, a.callId]));
    const dispatched = new Map(
      (await q<{ call_id: string; at: string }>(`SELECT data->>'callId' AS call_id, min(data->>'dispatchedAt') AS at FROM events WHERE type = 'UnitDispatched' GROUP BY 1`)).map((r) => [r.call_id, r.at]),
    );
    const onScene = new Map(
      (await q<{ call_id: string; at: string }>(`SELECT data->>'callId' AS call_id, min(data->>'at') AS at FROM events WHERE type = 'UnitStatusChanged' AND data->>'to' = 'on-scene' GROUP BY 1`)).map((r) => [r.call_id, r.at]),
    );
    let arrivals = 0;
    for (const c of withAssigned) {
      const callId = callIdOf.get(c.body.externalRef.id)!;
      expect([c.body.externalRef.id, dispatched.get(callId)]).toEqual([c.body.externalRef.id, c.dispatchHistory!.assignedAt]);
      if (c.dispatchHistory!.arrivedAt) {
        arrivals++;
        expect([c.body.externalRef.id, onScene.get(callId)]).toEqual([c.body.externalRef.id, c.dispatchHistory!.arrivedAt]);
      } else expect(onScene.has(callId)).toBe(false);
    }
    expect(result.onScene).toBe(arrivals);
    expect(arrivals).toBeGreaterThan(withAssigned.length / 2);
    // every replayed incident closed when its unit cleared; no unit is left busy
    expect((await rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM incidents WHERE status = 'closed'`))[0]!.n).toBe(withAssigned.length);
    expect((await rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM units WHERE status IN ('dispatched', 'en-route', 'on-scene', 'transporting')`))[0]!.n).toBe(0);
    const ma = await rt.db.select<Unit>('SELECT * FROM units WHERE replay');
    expect(ma.length).toBe(result.mutualAidUnits);
    expect(ma.every((u) => u.type === 'mutual-aid' && /^MA-\d+$/.test(u.id))).toBe(true);

    // a second run (as the CLI's: intake answers 409, incidents are found by the source's id) changes nothing
    const before = (await rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events`))[0]!.n;
    const again = await replayDispatchHistory(calls, [], { dispatchUrl, headers });
    expect(again.dispatched).toBe(0);
    expect(again.skipped.filter((s) => /already/.test(s.reason))).toHaveLength(withAssigned.length);
    expect((await rt.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events`))[0]!.n).toBe(before);
  });

  it('rewrites a unit and its stream in place on every status change (HOT updates: no index entry, no page elsewhere)', async () => {
    // runs after the replay above. PostgreSQL publishes a backend's table counters at the latest
    // about 10 s after its last transaction; the replay's status changes are what is counted.
    // Without migration 20261207043000_hot_updates (units.status indexed) none is HOT.
    type Stat = { relname: string; upd: number; hot: number };
    const stats = async () => new Map((await q<Stat>(`SELECT relname, n_tup_upd::int AS upd, n_tup_hot_upd::int AS hot FROM pg_stat_user_tables WHERE relname IN ('units', 'streams')`)).map((r) => [r.relname, r]));
    let seen = new Map<string, Stat>();
    await waitFor(
      async () => {
        seen = await stats();
        return (seen.get('units')?.upd ?? 0) >= 500 && (seen.get('streams')?.upd ?? 0) >= 500;
      },
      { timeoutMs: 30_000, message: 'the replay updates counted' },
    );
    for (const name of ['units', 'streams']) {
      const s = seen.get(name)!;
      expect({ name, hotShare: s.hot / s.upd >= 0.9 }).toEqual({ name, hotShare: true });
    }
    const options = await q<{ relname: string; reloptions: string[] }>(`SELECT relname, reloptions FROM pg_class WHERE relname IN ('units', 'incidents', 'incident_units', 'streams') ORDER BY relname`);
    expect(options.map((o) => [o.relname, o.reloptions.find((x) => x.startsWith('fillfactor='))])).toEqual([
      ['incident_units', 'fillfactor=70'],
      ['incidents', 'fillfactor=70'],
      ['streams', 'fillfactor=70'],
      ['units', 'fillfactor=50'],
    ]);
    // the incident's recommendation and run card kept out of line: its updates copy a pointer
    expect(options.find((o) => o.relname === 'incidents')!.reloptions).toContain('toast_tuple_target=256');
    expect(await q(`SELECT indexname FROM pg_indexes WHERE tablename = 'units' AND indexdef LIKE '%(status)%'`)).toEqual([]);
  });

  it('plans each call from its source times, never letting a unit go back in time', () => {
    expect(planSteps({ assignedAt: 'T1', enRouteAt: 'T1', arrivedAt: 'T3', clearedAt: 'T2', closedAt: 'T4' }).map((s) => `${s.kind}@${s.at}`)).toEqual(['dispatched@T1', 'en-route@T1', 'on-scene@T3', 'cleared@T4']);
    expect(planSteps({ assignedAt: 'T2', enRouteAt: 'T4', arrivedAt: 'T3' }).map((s) => s.kind)).toEqual(['dispatched', 'on-scene', 'cleared']);
    expect(planSteps({ assignedAt: 'T2' })).toEqual([{ kind: 'dispatched', at: 'T2' }, { kind: 'cleared', at: 'T2' }]);
    expect(planSteps({ arrivedAt: 'T2' })).toEqual([]);
  });
});
