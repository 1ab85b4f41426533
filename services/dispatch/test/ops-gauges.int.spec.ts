/**
 * Dispatch's ops gauges (issue 19 item 4) on the real PostgreSQL and Kafka, read through GET /metrics
 * as Prometheus scrapes them: pending incidents and the oldest pending per priority, units available per
 * district and type, open overdue alerts — each moving as incidents open, units are dispatched and timers fire.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import type { EventEnvelope } from '@cad110/contracts';
import { dropDatabase } from '@cad110/db';
import { createRuntime } from '@cad110/runtime';
import { bearer, uniqueId } from '@cad110/testkit';
import { createServer } from '../src/server';
import { createDispatchContext, type DispatchContext } from '../src/context';
import { openIncident as openIncidentFor } from '../src/incidents/open';
import { readOpsFigures, registerOpsGauges } from '../src/ops/gauges';
import { checkOverdue } from '../src/timers/overdue';
import { seedUnits } from '../src/units/register';
import { loadSeed } from '../src/units/seed';
import { anchorOf } from '../src/map/county-map';

jest.setTimeout(120_000);

describe('ops gauges on GET /metrics', () => {
  let rt: Awaited<ReturnType<typeof createRuntime>>;
  let app: Express;
  let ctx: DispatchContext;
  // fake clock: 2026-11-29 21:00 in Asia/Shanghai (every seeded 24 h and night shift on duty)
  let now = Date.parse('2026-11-29T13:00:00.000Z');
  const tick = (seconds: number) => (now += seconds * 1000);
  const dispatcher = bearer('dispatcher');
  const seed = loadSeed();
  const post = (id: string) => anchorOf(seed.find((u) => u.unitId === id)!.geometry as never)!;

  beforeAll(async () => {
    process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
    process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
    rt = await createRuntime({ name: 'dispatch', serviceDir: `${__dirname}/..` });
    ctx = createDispatchContext(rt, { clock: () => new Date(now), timeZone: 'Asia/Shanghai' });
    app = createServer(rt, ctx).app;
    registerOpsGauges(rt.metrics.registry, () => readOpsFigures(ctx));
    await seedUnits(ctx, seed);
  });

  afterAll(async () => {
    await rt.relay.stop();
    await rt.producer.disconnect();
    await rt.pool.end();
    await dropDatabase(rt.databaseUrl);
  });

  async function openIncident(priority: number, district: string, at = now) {
    const callId = randomUUID();
    const t = new Date(at).toISOString();
    const call = { callId, handedAt: t, answeredAt: t, kind: 'report' as const, category: 'public-order', subtype: 'noise', priority, flags: [], location: { ...post('OMP-3'), district } };
    const cause = { eventId: randomUUID(), metadata: { actor: { id: 'test' }, correlationId: callId, causationId: null } } as unknown as EventEnvelope;
    return (await rt.db.transaction((tx) => openIncidentFor(ctx, tx, call, cause)))!;
  }

  /** One scrape, as `name{labels} value` lines parsed into a map (gauges are re-read at most once a second). */
  async function scrape(): Promise<Map<string, number>> {
    await new Promise((r) => setTimeout(r, 1100));
    const text = (await request(app).get('/metrics').expect(200)).text;
    const out = new Map<string, number>();
    for (const line of text.split('\n')) {
      const m = /^(cad110_(?:incidents_pending|incidents_oldest_pending_seconds|units_available|alerts_overdue_open))\{([^}]*)\} (\S+)$/.exec(line);
      if (m) out.set(`${m[1]}{${(m[2] ?? '').replace(/,?service="dispatch"/, '').replace(/^,/, '')}}`, Number(m[3]));
    }
    return out;
  }
  const units = (seedFilter: (u: (typeof seed)[number]) => boolean) => seed.filter(seedFilter).length;

  it('start from an empty queue with every seeded unit available, then follow incidents, dispatches and overdue timers', async () => {
    const first = await scrape();
    for (const p of [1, 2, 3, 4]) {
      expect(first.get(`cad110_incidents_pending{priority="${p}"}`)).toBe(0);
      expect(first.get(`cad110_incidents_oldest_pending_seconds{priority="${p}"}`)).toBe(0);
    }
    expect(first.get('cad110_alerts_overdue_open{kind="not-en-route"}')).toBe(0);
    expect(first.get('cad110_alerts_overdue_open{kind="check-in-due"}')).toBe(0);
    const omp = seed.find((u) => u.unitId === 'OMP-3')!;
    const sameKind = units((u) => u.district === omp.district && u.type === omp.type && !u.replay);
    const figures = await readOpsFigures(ctx);
    const availableNow = figures.unitsAvailable.find((u) => u.district === omp.district && u.type === omp.type)!.count;
    expect(availableNow).toBeGreaterThan(0);
    expect(availableNow).toBeLessThanOrEqual(sameKind);
    expect(first.get(`cad110_units_available{district="${omp.district}",type="${omp.type}"}`)).toBe(availableNow);
    // every district on the map is exported, with or without units
    for (const d of ctx.map.districts.keys()) expect([...first.keys()].some((k) => k.startsWith(`cad110_units_available{district="${d}"`))).toBe(true);

    // two P1 (opened 300 s and 100 s ago), one P3
    await openIncident(1, omp.district, now - 300_000);
    const p1b = await openIncident(1, omp.district, now - 100_000);
    await openIncident(3, omp.district);
    const queued = await scrape();
    expect(queued.get('cad110_incidents_pending{priority="1"}')).toBe(2);
    expect(queued.get('cad110_incidents_oldest_pending_seconds{priority="1"}')).toBe(300);
    expect(queued.get('cad110_incidents_pending{priority="3"}')).toBe(1);
    expect(queued.get('cad110_incidents_oldest_pending_seconds{priority="3"}')).toBe(0);
    expect(queued.get('cad110_incidents_pending{priority="2"}')).toBe(0);

    // OMP-3 dispatched to the second P1: one fewer pending P1, one fewer unit available, and after 61 s not en route
    await request(app).post(`/incidents/${p1b}/assignments`).set('authorization', dispatcher).send({ unitId: 'OMP-3' }).expect(201);
    tick(61);
    expect(await checkOverdue(ctx)).toEqual([{ unitId: 'OMP-3', kind: 'not-en-route', sequence: 1 }]);
    const dispatched = await scrape();
    expect(dispatched.get('cad110_incidents_pending{priority="1"}')).toBe(1);
    expect(dispatched.get('cad110_incidents_oldest_pending_seconds{priority="1"}')).toBe(361);
    expect(dispatched.get(`cad110_units_available{district="${omp.district}",type="${omp.type}"}`)).toBe(availableNow - 1);
    expect(dispatched.get('cad110_alerts_overdue_open{kind="not-en-route"}')).toBe(1);

    // the unit reports en route: the alert is no longer open
    await request(app).post('/units/OMP-3/status').set('authorization', dispatcher).send({ status: 'en-route' }).expect(200);
    const enRoute = await scrape();
    expect(enRoute.get('cad110_alerts_overdue_open{kind="not-en-route"}')).toBe(0);
  });

  it('a district whose units are all busy or out of service reads 0 (the NoUnitAvailableInDistrict alert)', async () => {
    const omp = seed.find((u) => u.unitId === 'OMP-3')!;
    const busy = seed.filter((u) => u.district === omp.district && !u.replay).map((u) => u.unitId);
    for (const id of busy) await request(app).post(`/units/${id}/status`).set('authorization', dispatcher).send({ status: 'out-of-service' });
    const s = await scrape();
    const district = [...s].filter(([k]) => k.startsWith(`cad110_units_available{district="${omp.district}"`));
    expect(district.length).toBeGreaterThan(0);
    expect(district.reduce((sum, [, v]) => sum + v, 0)).toBe(0);
  });

  it('a failed read leaves the gauges out of the scrape instead of reporting a calm queue', async () => {
    const { createMetrics } = await import('@cad110/telemetry');
    const m = createMetrics('dispatch');
    const errors: unknown[] = [];
    registerOpsGauges(m.registry, () => Promise.reject(new Error('database down')), (e) => errors.push(e));
    const text = await m.registry.metrics();
    expect(text).not.toMatch(/^cad110_incidents_pending\{/m);
    expect(text).not.toMatch(/^cad110_units_available\{/m);
    expect(errors).toHaveLength(1);
  });
});
