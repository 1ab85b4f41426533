import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { publicKeys, signToken, verifyToken } from '@cad110/auth';
import { topicName } from '@cad110/contracts';
import { dropDatabase } from '@cad110/db';
import { createRuntime } from '@cad110/runtime';
import { bearer, uniqueId, waitFor } from '@cad110/testkit';
import express from 'express';
import { seedDemoUsers, upsertUser } from '../src/auth/users';
import { auditReveals } from '../src/auth/audit';
import { freePortForTest, readSse, type SseReader } from './sse-client';
import { consoleConfig } from '../src/config';
import type { LiveFeed } from '../src/live/live-feed';
import { createServer } from '../src/server';
import { deskSettings } from '../src/desk-settings';

/** The console service on the real PostgreSQL and Kafka: sign-in, live events, SPA, gateway errors. */
describe('console API', () => {
  let app: Express;
  let feed: LiveFeed;
  let server: Server;
  let base: string;
  let rt: Awaited<ReturnType<typeof createRuntime>>;
  const password = randomBytes(12).toString('base64url');
  const dist = mkdtempSync(join(tmpdir(), 'console-dist-'));
  let closedPort: number;

  beforeAll(async () => {
    bearer('call_taker'); // sets the token keys (CAD110_AUTH_PRIVATE_KEY, CAD110_AUTH_PUBLIC_KEYS) for the test process
    process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
    process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
    rt = await createRuntime({ name: 'console', serviceDir: `${__dirname}/..`, outbox: false });
    await seedDemoUsers(rt.db, password);
    closedPort = await freePortForTest();
    const desk = deskSettings({ CONSOLE_MAP_TILE_URL: 'http://gis.bureau.local/tiles/{z}/{x}/{y}.png', CONSOLE_MAP_TILE_CRS: 'GCJ02', CONSOLE_UNIT_THRESHOLDS: '{"en-route":{"amber":300,"red":900}}' });
    const cfg = { ...consoleConfig(), webDist: dist, upstreams: { ...consoleConfig().upstreams, intake: `http://127.0.0.1:${closedPort}` }, desk };
    ({ app, feed } = createServer(rt, cfg));
    await feed.start();
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    await waitFor(() => feed.ready, { timeoutMs: 60_000, message: 'live consumer joined its group' });
  });

  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await feed?.stop();
    await rt.producer.disconnect();
    await rt.pool.end();
    await dropDatabase(rt.databaseUrl);
    rmSync(dist, { recursive: true, force: true });
  });

  describe('sign-in', () => {
    it('signs in a seeded user and returns a token with their role and workstation', async () => {
      const res = await request(app).post('/auth/login').send({ username: 'dispatcher', password, workstation: 'ws-7' }).expect(200);
      expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 300, refreshToken: expect.any(String), refreshExpiresIn: 43_200, user: { username: 'dispatcher', role: 'dispatcher' } });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(verifyToken(res.body.accessToken)).toMatchObject({ sub: 'dispatcher', role: 'dispatcher', workstation: 'ws-7' });
      const me = await request(app).get('/auth/me').set('authorization', `Bearer ${res.body.accessToken}`).expect(200);
      expect(me.body).toEqual({ username: 'dispatcher', displayName: '调度员 Dispatcher', role: 'dispatcher', workstation: 'ws-7' });
      const [row] = await rt.db.select<{ passwordHash: string; lastLoginAt: Date | null }>("SELECT * FROM users WHERE username = 'dispatcher'");
      expect(row!.lastLoginAt).not.toBeNull();
      expect(row!.passwordHash).toMatch(/^\$2[aby]\$10\$/);
      expect(row!.passwordHash).not.toContain(password);
    });

    it('answers the same 401 for a wrong password and an unknown user', async () => {
      const wrong = await request(app).post('/auth/login').send({ username: 'dispatcher', password: `${password}x` }).expect(401);
      const unknown = await request(app).post('/auth/login').send({ username: 'nobody', password }).expect(401);
      expect(wrong.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(unknown.body.detail).toBe(wrong.body.detail);
    });

    it('refuses a disabled user', async () => {
      await rt.db.exec("UPDATE users SET active = false WHERE username = 'analyst'");
      await request(app).post('/auth/login').send({ username: 'analyst', password }).expect(401);
      await rt.db.exec("UPDATE users SET active = true WHERE username = 'analyst'");
      await request(app).post('/auth/login').send({ username: 'analyst', password }).expect(200);
    });

    it('lists every bad field of a login body in one 400', async () => {
      const res = await request(app).post('/auth/login').send({ username: '', password: 5, extra: true }).expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['(body)', 'password', 'username']);
    });

    it('refuses further attempts for a username with 429 after 5 failures, even with the right password', async () => {
      for (let i = 0; i < 5; i++) await request(app).post('/auth/login').send({ username: 'supervisor', password: `guess-${i}` }).expect(401);
      const res = await request(app).post('/auth/login').send({ username: 'supervisor', password }).expect(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(res.body.title).toBe('Too many sign-in attempts');
      await request(app).post('/auth/login').send({ username: 'ops', password }).expect(200); // other users are not locked out
    });

    it('answers /auth/me with 401 without a token', async () => {
      await request(app).get('/auth/me').expect(401);
      await request(app).get('/auth/me').set('authorization', 'Bearer nope').expect(401);
    });
  });

  describe('sessions: short access tokens, refresh, revocation on sign-out (issue 19.5)', () => {
    const login = async (a: Express, username: string) => (await request(a).post('/auth/login').send({ username, password, workstation: 'ws-s' }).expect(200)).body as { accessToken: string; refreshToken: string; expiresIn: number };
    const exp = (t: string) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()) as { exp: number; iat: number; sid: string; role: string };

    it('gives a 5-minute access token and renews it with the refresh token, same session, current role', async () => {
      const s = await login(app, 'analyst');
      expect(exp(s.accessToken).exp - exp(s.accessToken).iat).toBe(300);
      const r = await request(app).post('/auth/refresh').send({ refreshToken: s.refreshToken }).expect(200);
      expect(r.headers['cache-control']).toBe('no-store');
      expect(verifyToken(r.body.accessToken)).toMatchObject({ sub: 'analyst', role: 'analyst', workstation: 'ws-s', sid: exp(s.accessToken).sid });
      await request(app).post('/auth/refresh').send({ refreshToken: `${s.refreshToken.split('.')[0]}.not-the-secret` }).expect(401);
      await request(app).post('/auth/refresh').send({ refreshToken: 'nope.nope' }).expect(401);
      // a disabled user's session is not renewed
      await rt.db.exec("UPDATE users SET active = false WHERE username = 'analyst'");
      await request(app).post('/auth/refresh').send({ refreshToken: s.refreshToken }).expect(401);
      await rt.db.exec("UPDATE users SET active = true WHERE username = 'analyst'");
      await request(app).post('/auth/refresh').send({ refreshToken: s.refreshToken }).expect(200);
    });

    it('refuses the refresh of a signed-out session at once, and its last access token expires within its lifetime', async () => {
      // a console with 5-second access tokens on the same database, so the expiry is seen in the test
      // (5, not less: on a loaded machine the sign-out below can come seconds after the sign-in)
      const short = createServer(rt, { ...consoleConfig(), webDist: dist, desk: deskSettings({}), accessTokenSeconds: 5 }).app;
      const s = await login(short, 'ops');
      await request(short).post('/auth/refresh').send({ refreshToken: s.refreshToken }).expect(200);
      await request(short).post('/auth/logout').set('authorization', `Bearer ${s.accessToken}`).expect(204);
      await request(short).post('/auth/refresh').send({ refreshToken: s.refreshToken }).expect(401);
      const [row] = await rt.db.query<{ revoked: boolean }>('SELECT revoked_at IS NOT NULL AS revoked FROM sessions WHERE id = $1', [exp(s.accessToken).sid]);
      expect(row?.revoked).toBe(true);
      // the services verify access tokens on their own: the last one holds until its exp, then every service refuses it
      expect(exp(s.accessToken).exp * 1000).toBeLessThanOrEqual(Date.now() + 5000);
      await new Promise((r) => setTimeout(r, Math.max(0, exp(s.accessToken).exp * 1000 - Date.now()) + 1100));
      await request(short).get('/auth/me').set('authorization', `Bearer ${s.accessToken}`).expect(401);
      expect(() => verifyToken(s.accessToken)).toThrow(expect.objectContaining({ status: 401 }));
    });
  });

  describe('audit trail (issue 19.5)', () => {
    type Entry = { action: string; actor: string | null; subject: string | null; outcome: string; address: string | null; workstation: string | null; detail: Record<string, unknown> | null };
    const trail = async (query = '') => (await request(app).get(`/api/audit?limit=500${query}`).set('authorization', bearer('supervisor')).expect(200)).body.items as Entry[];

    it('records sign-ins, failures (wrong or throttled) and sign-outs, never a password', async () => {
      const ok = await request(app).post('/auth/login').send({ username: 'calltaker', password, workstation: 'ws-audit' }).expect(200);
      await request(app).post('/auth/login').send({ username: 'dispatcher', password: `${password}-wrong` }).expect(401);
      await request(app).post('/auth/logout').set('authorization', `Bearer ${ok.body.accessToken}`).expect(204);
      const items = await trail();
      expect(items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action: 'sign_in', actor: 'calltaker', outcome: 'ok', workstation: 'ws-audit', address: expect.stringMatching(/127\.0\.0\.1/), detail: { role: 'call_taker', factor: 'password' } }),
          expect.objectContaining({ action: 'sign_in_failed', actor: 'dispatcher', outcome: 'wrong_credentials' }),
          // the 429s of the sign-in limit test above
          expect.objectContaining({ action: 'sign_in_failed', actor: 'supervisor', outcome: 'throttled' }),
          expect.objectContaining({ action: 'sign_out', actor: 'calltaker', outcome: 'ok', workstation: 'ws-audit' }),
        ]),
      );
      // newest first (by the bigint id, not its text: "10" < "9")
      expect(items[0]).toMatchObject({ action: 'sign_out' });
      expect(JSON.stringify(items)).not.toContain(password);
      expect((await trail('&action=sign_out')).every((e) => e.action === 'sign_out')).toBe(true);
    });

    it('records role changes (users CLI, demo seeding) with the old and new role', async () => {
      expect(await trail('&action=role_change')).toEqual(expect.arrayContaining([expect.objectContaining({ actor: 'demo-seed', subject: 'analyst', detail: { from: null, to: 'analyst' } })]));
      await upsertUser(rt.db, { username: 'audit.user', role: 'dispatcher', displayName: 'A', password: `${password}-audit` }, 'users-cli:root');
      await upsertUser(rt.db, { username: 'audit.user', role: 'supervisor', displayName: 'A', password: `${password}-audit` }, 'users-cli:root');
      await upsertUser(rt.db, { username: 'audit.user', role: 'supervisor', displayName: 'B', password: `${password}-audit` }, 'users-cli:root');
      const changes = (await trail('&action=role_change')).filter((e) => e.subject === 'audit.user');
      expect(changes.map((e) => e.detail)).toEqual([{ from: 'dispatcher', to: 'supervisor' }, { from: null, to: 'dispatcher' }]);
    });

    it('records a caller-number reveal through the gateway, with who and which call', async () => {
      const probe = express();
      probe.use(auditReveals(rt.db, publicKeys(), rt.logger));
      probe.get('/api/intake/calls/:id', (_req, res) => res.json({}));
      await request(probe).get('/api/intake/calls/call-123?reveal=caller').set('authorization', bearer('call_taker', 'li.ct')).expect(200);
      await request(probe).get('/api/intake/calls/call-456?reveal=caller').set('authorization', bearer('dispatcher', 'wang.d')).expect(200);
      await request(probe).get('/api/intake/calls/call-789').set('authorization', bearer('call_taker', 'li.ct')).expect(200);
      const reveals = await waitFor(async () => {
        const r = await trail('&action=caller_reveal');
        return r.length >= 2 ? r : undefined;
      });
      // only the two asked with reveal=caller; a dispatcher gets the masked number (intake's rule)
      expect(reveals).toHaveLength(2);
      expect(reveals).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ actor: 'wang.d', subject: 'call-456', outcome: 'masked' }),
          expect.objectContaining({ actor: 'li.ct', subject: 'call-123', outcome: 'ok', detail: { role: 'call_taker' } }),
        ]),
      );
    });

    it('is for supervisors and admins only', async () => {
      await request(app).get('/api/audit').set('authorization', bearer('dispatcher')).expect(403);
      await request(app).get('/api/audit').set('authorization', bearer('analyst')).expect(403);
      await request(app).get('/api/audit').expect(401);
      await request(app).get('/api/audit?limit=1').set('authorization', bearer('admin')).expect(200);
    });
  });

  describe('live updates', () => {
    let sse: SseReader | undefined;
    afterEach(() => sse?.close());

    const envelope = (type: string, data: Record<string, unknown>, callId: string) => ({
      eventId: randomUUID(),
      type,
      schemaVersion: 1,
      streamId: `call-${callId}`,
      streamVersion: 1,
      occurredAt: new Date().toISOString(),
      recordedAt: new Date().toISOString(),
      source: 'intake',
      metadata: { actor: { id: 'calltaker', role: 'call_taker' }, workstation: 'ws-3', correlationId: callId, causationId: null },
      data,
    });

    it('streams new Kafka events as public envelopes, with no caller number, name, address or narrative', async () => {
      const token = bearer('analyst').slice(7);
      sse = await readSse(`${base}/api/live?access_token=${token}`);
      expect(sse.status).toBe(200);
      expect(sse.contentType).toMatch(/^text\/event-stream/);
      const callId = randomUUID();
      const leaky = envelope('CallerRecorded', { callId, callerNumber: '13812341234', callerName: 'Wang Wu' }, callId);
      const classified = envelope('CallClassified', { callId, kind: 'report', category: 'criminal', subtype: 'snatching', priority: 2, flags: [], taxonomyVersion: '1', classifiedAt: new Date().toISOString() }, callId);
      const located = envelope('CallLocated', { callId, address: '88 Renmin Rd', lat: 29.1, lon: 119.6, district: 'south', source: 'manual' }, callId);
      const narrative = envelope('CallNarrativeAppended', { callId, text: 'bag snatched near the bank' }, callId);
      await rt.producer.send({
        topic: topicName('calls'),
        messages: [leaky, classified, located, narrative].map((e) => ({ key: callId, value: JSON.stringify(e) })),
      });
      const got = await sse.waitForData((d) => d.filter((x) => (x as { ids?: { callId?: string } }).ids?.callId === callId).length >= 4, 30_000);
      const mine = got.filter((x) => (x as { ids?: { callId?: string } }).ids?.callId === callId);
      expect(mine.map((e) => (e as { type: string }).type)).toEqual(['CallerRecorded', 'CallClassified', 'CallLocated', 'CallNarrativeAppended']);
      expect(mine[1]).toEqual({
        eventId: classified.eventId,
        type: 'CallClassified',
        source: 'intake',
        streamId: `call-${callId}`,
        streamVersion: 1,
        occurredAt: classified.occurredAt,
        recordedAt: classified.recordedAt,
        ids: { callId },
        classification: { kind: 'report', category: 'criminal', subtype: 'snatching', priority: 2 },
      });
      expect(mine[2]).toMatchObject({ district: 'south' });
      for (const secret of ['13812341234', 'Wang Wu', 'Renmin', '29.1', 'bag snatched', 'ws-3', 'calltaker']) expect(sse.raw).not.toContain(secret);
    });

    it('ends the stream when the token expires', async () => {
      const shortLived = signToken({ sub: 'analyst', role: 'analyst' }, undefined, 2);
      sse = await readSse(`${base}/api/live`, { authorization: `Bearer ${shortLived}` });
      expect(sse.status).toBe(200);
      const reader = sse;
      await waitFor(() => reader.ended, { timeoutMs: 20_000, message: 'stream ended at token expiry' });
    });

    it('answers 401 to a stream request without a valid token', async () => {
      const r = await fetch(`${base}/api/live`);
      expect(r.status).toBe(401);
      const r2 = await fetch(`${base}/api/live?access_token=forged`);
      expect(r2.status).toBe(401);
    });

    it('skips messages that are not event envelopes', async () => {
      const unsubscribe = feed.subscribe(() => undefined);
      try {
        const skippedBefore = feed.skipped;
        await rt.producer.send({ topic: topicName('dispatch'), messages: [{ key: 'x', value: '{"not":"an envelope"}' }] });
        await waitFor(() => feed.skipped > skippedBefore, { timeoutMs: 30_000, message: 'bad message skipped' });
      } finally {
        unsubscribe();
      }
    });

    it('does not parse the events while no stream is open (counted as unwatched)', async () => {
      await waitFor(() => feed.listenerCount === 0, { timeoutMs: 10_000, message: 'the earlier streams closed' });
      const before = { unwatched: feed.unwatched, skipped: feed.skipped, forwarded: feed.forwarded };
      await rt.producer.send({ topic: topicName('dispatch'), messages: [{ key: 'y', value: '{"not":"an envelope"}' }] });
      await waitFor(() => feed.unwatched > before.unwatched, { timeoutMs: 30_000, message: 'message counted unwatched' });
      expect({ skipped: feed.skipped, forwarded: feed.forwarded }).toEqual({ skipped: before.skipped, forwarded: before.forwarded });
    });
  });

  describe('SPA and gateway', () => {
    it('answers 503 while the web build is missing, then serves index.html for client routes', async () => {
      const missing = await request(app).get('/').set('accept', 'text/html').expect(503);
      expect(missing.body.title).toBe('Console not built');
      writeFileSync(join(dist, 'index.html'), '<!doctype html><title>cad110</title>');
      const res = await request(app).get('/dispatch').set('accept', 'text/html').expect(200);
      expect(res.text).toContain('<title>cad110</title>');
      expect(res.headers['cache-control']).toBe('no-cache');
      await request(app).get('/api/nothing-here').set('accept', 'text/html').expect(404);
    });

    it('answers 502 problem+json when a service is unreachable', async () => {
      const res = await request(app).get('/api/intake/calls').set('authorization', bearer('call_taker')).expect(502);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({ title: 'Bad gateway', upstream: 'intake' });
    });

    it('serves the taxonomy to any signed-in role and 401 otherwise', async () => {
      await request(app).get('/api/console/taxonomy').expect(401);
      const res = await request(app).get('/api/console/taxonomy').set('authorization', bearer('ops')).expect(200);
      expect(res.body.categories.length).toBeGreaterThan(3);
    });

    it("serves the desk's map tiles and unit-board thresholds from the validated configuration", async () => {
      await request(app).get('/api/console/config').expect(401);
      const res = await request(app).get('/api/console/config').set('authorization', bearer('dispatcher')).expect(200);
      expect(res.body.mapTiles).toEqual({ url: 'http://gis.bureau.local/tiles/{z}/{x}/{y}.png', crs: 'GCJ02', attribution: '' });
      expect(res.body.unitStatusThresholds['en-route']).toEqual({ amber: 300, red: 900 });
      expect(res.body.unitStatusThresholds.dispatched).toEqual({ amber: 60, red: 120 });
      expect(typeof res.body.timeZone).toBe('string');
      // unset: the offline county map
      expect(consoleConfig({}).desk.mapTiles).toBeNull();
    });
  });
});
