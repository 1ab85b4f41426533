/**
 * Issue 13 items 5 and 6 on the real PostgreSQL: the loser of two simultaneous assignments of one
 * unit is told where the unit is (409 problem+json with its incident, status and call sign), and a
 * status report without `at` is stamped after the row locks are held, not when it arrived.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import type { EventEnvelope } from '@cad110/contracts';
import { dropDatabase } from '@cad110/db';
import { createRuntime } from '@cad110/runtime';
import { bearer, uniqueId, waitFor } from '@cad110/testkit';
import { createServer } from '../src/server';
import { createDispatchContext, type DispatchContext } from '../src/context';
import { openIncident as openIncidentFor } from '../src/incidents/open';
import { seedUnits } from '../src/units/register';
import { loadSeed } from '../src/units/seed';

jest.setTimeout(120_000);

describe('dispatch: assignment races and default times', () => {
  let rt: Awaited<ReturnType<typeof createRuntime>>;
  let app: Express;
  let ctx: DispatchContext;
  let now = Date.parse('2026-11-29T13:00:00.000Z');
  const dispatcher = bearer('dispatcher');

  beforeAll(async () => {
    process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
    process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
    rt = await createRuntime({ name: 'dispatch', serviceDir: `${__dirname}/..` });
    ctx = createDispatchContext(rt, { clock: () => new Date(now), timeZone: 'Asia/Shanghai' });
    app = createServer(rt, ctx).app;
    await seedUnits(ctx, loadSeed());
  });

  afterAll(async () => {
    await rt.producer.disconnect();
    await rt.pool.end();
    await dropDatabase(rt.databaseUrl);
  });

  async function openIncident() {
    const callId = randomUUID();
    const t = new Date(now).toISOString();
    const call = { callId, handedAt: t, answeredAt: t, kind: 'report' as const, category: 'public-order', subtype: 'noise', priority: 3, flags: [], location: { district: 'Precinct 5' } };
    const cause = { eventId: randomUUID(), metadata: { actor: { id: 'test' }, correlationId: callId, causationId: null } } as unknown as EventEnvelope;
    return (await rt.db.transaction((tx) => openIncidentFor(ctx, tx, call, cause)))!;
  }
  const assign = (incidentId: string, body: object) => request(app).post(`/incidents/${incidentId}/assignments`).set('authorization', dispatcher).send(body);
  const status = (unitId: string, body: object) => request(app).post(`/units/${unitId}/status`).set('authorization', dispatcher).send(body);

  it('the loser of two simultaneous assignments of one unit is told the unit’s incident and status', async () => {
    const a = await openIncident();
    const b = await openIncident();
    for (let round = 0; round < 3; round++) {
      const unitId = ['OMP-4', 'OMP-2', 'OMP-3'][round]!;
      const [ra, rb] = await Promise.all([assign(a, { unitId }), assign(b, { unitId })]);
      const won = ra.status === 201 ? { res: ra, incidentId: a } : { res: rb, incidentId: b };
      const lost = ra.status === 201 ? rb : ra;
      expect([ra.status, rb.status].sort()).toEqual([201, 409]);
      expect(won.res.body.unitId).toBe(unitId);
      expect(lost.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(['busy', 'unit-busy']).toContain(lost.body.code);
      expect(lost.body.params).toEqual({ unitId, callSign: expect.any(String), status: 'dispatched', incidentId: won.incidentId });
      expect(lost.body.detail).toContain(won.incidentId);
      expect(lost.body.detail).not.toContain('try again');
    }
  });

  it('stamps a status report without `at` after the unit’s lock is held (no "before the last status change")', async () => {
    const incidentId = await openIncident();
    await assign(incidentId, { unitId: 'OMP-1' }).expect(201);
    const client = await rt.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`SELECT 1 FROM streams WHERE stream_id = 'unit-OMP-1' FOR UPDATE`);
      const arrived = now;
      const pending = status('OMP-1', { status: 'en-route' }).then((r) => r);
      await waitFor(
        async () => Number((await rt.pool.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n) > 0 || undefined,
        { timeoutMs: 10_000, intervalMs: 20, message: 'status report waiting on the unit lock' },
      );
      now += 45_000; // the report waits 45 s on the lock
      await client.query('COMMIT');
      const res = await pending;
      expect(res.status).toBe(200);
      const ev = (await rt.pool.query(`SELECT occurred_at FROM events WHERE stream_id = 'unit-OMP-1' ORDER BY version DESC LIMIT 1`)).rows[0];
      expect(new Date(ev.occurred_at).getTime()).toBe(arrived + 45_000);
    } finally {
      client.release();
    }
    // the unit's next report, sent at once, is not refused either
    await status('OMP-1', { status: 'cleared' }).expect(200);
  });
});
