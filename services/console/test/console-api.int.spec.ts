import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { signToken, verifyToken } from '@cad110/auth';
import { topicName } from '@cad110/contracts';
import { dropDatabase } from '@cad110/db';
import { createRuntime } from '@cad110/runtime';
import { bearer, uniqueId, waitFor } from '@cad110/testkit';
import { seedDemoUsers } from '../src/auth/users';
import { freePortForTest, readSse, type SseReader } from './sse-client';
import { consoleConfig } from '../src/config';
import type { LiveFeed } from '../src/live/live-feed';
import { makePrisma, type ConsoleTx, type PrismaClient } from '../src/prisma';
import { createServer } from '../src/server';

/** The console service on the real PostgreSQL and Kafka: sign-in, live events, SPA, gateway errors. */
describe('console API', () => {
  let app: Express;
  let feed: LiveFeed;
  let server: Server;
  let base: string;
  let rt: Awaited<ReturnType<typeof createRuntime<PrismaClient, ConsoleTx>>>;
  const password = randomBytes(12).toString('base64url');
  const dist = mkdtempSync(join(tmpdir(), 'console-dist-'));
  let closedPort: number;

  beforeAll(async () => {
    bearer('call_taker'); // sets CAD110_AUTH_SECRET for the test process
    process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
    process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
    rt = await createRuntime<PrismaClient, ConsoleTx>({ name: 'console', serviceDir: `${__dirname}/..`, makePrisma, outbox: false });
    await seedDemoUsers(rt.prisma, password);
    closedPort = await freePortForTest();
    const cfg = { ...consoleConfig(), webDist: dist, upstreams: { ...consoleConfig().upstreams, intake: `http://127.0.0.1:${closedPort}` } };
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
    await rt.prisma.$disconnect();
    await rt.pool.end();
    await dropDatabase(rt.databaseUrl);
    rmSync(dist, { recursive: true, force: true });
  });

  describe('sign-in', () => {
    it('signs in a seeded user and returns a token with their role and workstation', async () => {
      const res = await request(app).post('/auth/login').send({ username: 'dispatcher', password, workstation: 'ws-7' }).expect(200);
      expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 43_200, user: { username: 'dispatcher', role: 'dispatcher' } });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(verifyToken(res.body.accessToken)).toMatchObject({ sub: 'dispatcher', role: 'dispatcher', workstation: 'ws-7' });
      const me = await request(app).get('/auth/me').set('authorization', `Bearer ${res.body.accessToken}`).expect(200);
      expect(me.body).toEqual({ username: 'dispatcher', displayName: '调度员 Dispatcher', role: 'dispatcher', workstation: 'ws-7' });
      const row = await rt.prisma.user.findUniqueOrThrow({ where: { username: 'dispatcher' } });
      expect(row.lastLoginAt).not.toBeNull();
      expect(row.passwordHash).toMatch(/^\$2[aby]\$10\$/);
      expect(row.passwordHash).not.toContain(password);
    });

    it('answers the same 401 for a wrong password and an unknown user', async () => {
      const wrong = await request(app).post('/auth/login').send({ username: 'dispatcher', password: `${password}x` }).expect(401);
      const unknown = await request(app).post('/auth/login').send({ username: 'nobody', password }).expect(401);
      expect(wrong.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(unknown.body.detail).toBe(wrong.body.detail);
    });

    it('refuses a disabled user', async () => {
      await rt.prisma.user.update({ where: { username: 'analyst' }, data: { active: false } });
      await request(app).post('/auth/login').send({ username: 'analyst', password }).expect(401);
      await rt.prisma.user.update({ where: { username: 'analyst' }, data: { active: true } });
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
      const shortLived = signToken({ sub: 'analyst', role: 'analyst' }, process.env.CAD110_AUTH_SECRET, 2);
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
      const skippedBefore = feed.skipped;
      await rt.producer.send({ topic: topicName('dispatch'), messages: [{ key: 'x', value: '{"not":"an envelope"}' }] });
      await waitFor(() => feed.skipped > skippedBefore, { timeoutMs: 30_000, message: 'bad message skipped' });
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
  });
});
