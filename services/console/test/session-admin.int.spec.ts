/**
 * Revocation by a supervisor (issue 19.5) on the real PostgreSQL: a supervisor lists who is
 * signed in and revokes every open session of a user; the revoked user's refresh is refused (401)
 * at once and their last access token expires within the refresh window; other roles get 403;
 * each revocation is in the audit trail.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { verifyToken } from '@cad110/auth';
import { dropDatabase } from '@cad110/db';
import { createRuntime } from '@cad110/runtime';
import { bearer, uniqueId } from '@cad110/testkit';
import { seedDemoUsers } from '../src/auth/users';
import { consoleConfig } from '../src/config';
import { deskSettings } from '../src/desk-settings';
import { createServer } from '../src/server';

describe('revocation of a user’s sessions by a supervisor', () => {
  let rt: Awaited<ReturnType<typeof createRuntime>>;
  let app: Express;
  let short: Express;
  const password = randomBytes(12).toString('base64url');
  const cfg = () => ({ ...consoleConfig(), webDist: '/nonexistent', desk: deskSettings({}) });

  beforeAll(async () => {
    bearer('call_taker'); // sets the token keys for the test process
    process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
    process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
    rt = await createRuntime({ name: 'console', serviceDir: `${__dirname}/..`, outbox: false });
    await seedDemoUsers(rt.db, password);
    app = createServer(rt, cfg()).app;
    // the same console with 5-second access tokens, so the end of the refresh window is seen in the test
    short = createServer(rt, { ...cfg(), accessTokenSeconds: 5 }).app;
  });

  afterAll(async () => {
    await rt.producer.disconnect();
    await rt.pool.end();
    await dropDatabase(rt.databaseUrl);
  });

  const login = async (a: Express, username: string, workstation: string) =>
    (await request(a).post('/auth/login').send({ username, password, workstation }).expect(200)).body as { accessToken: string; refreshToken: string };

  it('lists the open sessions and revokes all of a user’s: their refresh gets 401, others’ still work', async () => {
    const d1 = await login(app, 'dispatcher', 'ws-d1');
    const d2 = await login(short, 'dispatcher', 'ws-d2');
    // accepted while its lifetime runs (asked at once: on a loaded machine the steps below take seconds)
    await request(short).get('/auth/me').set('authorization', `Bearer ${d2.accessToken}`).expect(200);
    const ct = await login(app, 'calltaker', 'ws-c1');
    const sup = await login(app, 'supervisor', 'ws-sup');
    const auth = `Bearer ${sup.accessToken}`;

    const list = await request(app).get('/api/auth/sessions').set('authorization', auth).expect(200);
    expect(list.headers['cache-control']).toBe('no-store');
    const dispatcher = list.body.items.filter((s: { username: string }) => s.username === 'dispatcher');
    expect(dispatcher.map((s: { workstation: string }) => s.workstation).sort()).toEqual(['ws-d1', 'ws-d2']);
    expect(dispatcher[0]).toEqual({ username: 'dispatcher', displayName: '调度员 Dispatcher', role: 'dispatcher', workstation: expect.any(String), signedInAt: expect.any(String), expiresAt: expect.any(String) });
    expect(JSON.stringify(list.body)).not.toContain(d1.refreshToken.split('.')[1]);

    const r = await request(app).post('/api/auth/users/dispatcher/revoke-sessions').set('authorization', auth).expect(200);
    expect(r.body).toEqual({ username: 'dispatcher', revoked: 2 });
    await request(app).post('/auth/refresh').send({ refreshToken: d1.refreshToken }).expect(401);
    await request(short).post('/auth/refresh').send({ refreshToken: d2.refreshToken }).expect(401);
    // the others are untouched
    await request(app).post('/auth/refresh').send({ refreshToken: ct.refreshToken }).expect(200);
    await request(app).post('/auth/refresh').send({ refreshToken: sup.refreshToken }).expect(200);
    const after = await request(app).get('/api/auth/sessions').set('authorization', auth).expect(200);
    expect(after.body.items.map((s: { username: string }) => s.username)).not.toContain('dispatcher');
    expect(after.body.items.map((s: { username: string }) => s.username)).toEqual(expect.arrayContaining(['calltaker', 'supervisor']));
    // again: nothing left to revoke
    expect((await request(app).post('/api/auth/users/dispatcher/revoke-sessions').set('authorization', auth).expect(200)).body.revoked).toBe(0);

    // the revoked session's last access token (5 s) is refused once its lifetime — the refresh window — is over
    const exp = (JSON.parse(Buffer.from(d2.accessToken.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp;
    expect(exp).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 5);
    await new Promise((res) => setTimeout(res, Math.max(0, exp * 1000 - Date.now()) + 1100));
    await request(short).get('/auth/me').set('authorization', `Bearer ${d2.accessToken}`).expect(401);
    expect(() => verifyToken(d2.accessToken)).toThrow(expect.objectContaining({ status: 401 }));
    // a new sign-in opens a new session
    const again = await login(app, 'dispatcher', 'ws-d1');
    await request(app).post('/auth/refresh').send({ refreshToken: again.refreshToken }).expect(200);
  });

  it('records each revocation in the audit trail (who, whose, how many)', async () => {
    const trail = await request(app).get('/api/audit?action=sessions_revoked').set('authorization', bearer('supervisor')).expect(200);
    expect(trail.body.items).toEqual([
      expect.objectContaining({ action: 'sessions_revoked', actor: 'supervisor', subject: 'dispatcher', outcome: 'ok', workstation: 'ws-sup', detail: { revoked: 0, role: 'dispatcher' } }),
      expect.objectContaining({ action: 'sessions_revoked', actor: 'supervisor', subject: 'dispatcher', outcome: 'ok', workstation: 'ws-sup', detail: { revoked: 2, role: 'dispatcher' } }),
    ]);
  });

  it('is for supervisors and admins only: other roles get 403 and revoke nothing', async () => {
    const ct = await login(app, 'calltaker', 'ws-c2');
    for (const role of ['call_taker', 'dispatcher', 'analyst', 'ops'] as const) {
      await request(app).post('/api/auth/users/calltaker/revoke-sessions').set('authorization', bearer(role)).expect(403);
      await request(app).get('/api/auth/sessions').set('authorization', bearer(role)).expect(403);
    }
    const own = await request(app).post('/api/auth/users/calltaker/revoke-sessions').set('authorization', `Bearer ${ct.accessToken}`).expect(403);
    expect(own.headers['content-type']).toMatch(/application\/problem\+json/);
    await request(app).post('/api/auth/users/calltaker/revoke-sessions').expect(401);
    await request(app).post('/auth/refresh').send({ refreshToken: ct.refreshToken }).expect(200);
    // admin may
    expect((await request(app).post('/api/auth/users/calltaker/revoke-sessions').set('authorization', bearer('admin')).expect(200)).body.revoked).toBeGreaterThan(0);
    await request(app).post('/auth/refresh').send({ refreshToken: ct.refreshToken }).expect(401);
  });

  it('answers 404 problem+json with a code for an unknown user and 400 for a bad username', async () => {
    const unknown = await request(app).post('/api/auth/users/nobody/revoke-sessions').set('authorization', bearer('supervisor')).expect(404);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(unknown.body.code).toBe('unknown-user');
    const bad = await request(app).post(`/api/auth/users/${'x'.repeat(65)}/revoke-sessions`).set('authorization', bearer('supervisor')).expect(400);
    expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
  });
});
