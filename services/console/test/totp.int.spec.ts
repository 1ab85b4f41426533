/**
 * The TOTP second factor (issue 19.5) on the real PostgreSQL: with CONSOLE_REQUIRE_TOTP=true a
 * sign-in without a valid code is refused and one with a code (computed here by otpauth, as an
 * authenticator app does) succeeds; enrolment at sign-in and by a signed-in user; a recovery code
 * works once; codes are not replayed; every step is in the audit trail.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Express } from 'express';
import { Secret, TOTP } from 'otpauth';
import { dropDatabase } from '@cad110/db';
import { createRuntime } from '@cad110/runtime';
import { bearer, uniqueId } from '@cad110/testkit';
import { seedDemoUsers } from '../src/auth/users';
import { consoleConfig } from '../src/config';
import { deskSettings } from '../src/desk-settings';
import { createServer } from '../src/server';

describe('TOTP second factor', () => {
  let rt: Awaited<ReturnType<typeof createRuntime>>;
  let required: Express;
  let optional: Express;
  const password = randomBytes(12).toString('base64url');

  beforeAll(async () => {
    bearer('call_taker'); // sets the token keys for the test process
    process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
    process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
    rt = await createRuntime({ name: 'console', serviceDir: `${__dirname}/..`, outbox: false });
    await seedDemoUsers(rt.db, password);
    const base = { ...consoleConfig(), webDist: '/nonexistent', desk: deskSettings({}) };
    // the setting, validated: default off
    expect(base.requireTotp).toBe(false);
    expect(() => consoleConfig({ CONSOLE_REQUIRE_TOTP: 'maybe' })).toThrow(/CONSOLE_REQUIRE_TOTP/);
    required = createServer(rt, { ...base, requireTotp: consoleConfig({ CONSOLE_REQUIRE_TOTP: 'true' }).requireTotp }).app;
    optional = createServer(rt, base).app;
  });

  afterAll(async () => {
    await rt.producer.disconnect();
    await rt.pool.end();
    await dropDatabase(rt.databaseUrl);
  });

  /** what an authenticator app with this secret shows, `offsetSeconds` from now */
  const app = (secret: string, offsetSeconds = 0) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + offsetSeconds * 1000 });
  const signIn = (a: Express, username: string, extra: Record<string, string> = {}) => request(a).post('/auth/login').send({ username, password, workstation: 'ws-totp', ...extra });
  let secret = '';
  let recoveryCodes: string[] = [];
  let usedCode = '';

  it('with CONSOLE_REQUIRE_TOTP=true refuses a password-only sign-in and hands out an enrolment', async () => {
    const first = await signIn(required, 'supervisor').expect(403);
    // a right password without the second factor is not a sign-in: last_login_at stays empty
    const [row] = await rt.db.select<{ lastLoginAt: Date | null }>('SELECT last_login_at AS "lastLoginAt" FROM users WHERE username = $1', ['supervisor']);
    expect(row!.lastLoginAt).toBeNull();
    expect(first.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.body.accessToken).toBeUndefined();
    expect(first.body.code).toBe('totp-enrolment-required');
    secret = first.body.params.secret;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(first.body.params.otpauthUri).toMatch(new RegExp(`^otpauth://totp/cad110(:|%3A)supervisor\\?.*secret=${secret}`));
    // asked again (a double click, a reload): the same enrolment
    expect((await signIn(required, 'supervisor').expect(403)).body.params.secret).toBe(secret);
  });

  it('refuses a wrong code, then signs in with the code of the app and returns 10 recovery codes once', async () => {
    const wrong = await signIn(required, 'supervisor', { totpCode: app(secret, 300) }).expect(401);
    expect(wrong.body).toMatchObject({ code: 'totp-invalid' });
    expect(wrong.body.accessToken).toBeUndefined();
    await signIn(required, 'supervisor', { totpCode: 'abcdef' }).expect(400);
    usedCode = app(secret);
    const ok = await signIn(required, 'supervisor', { totpCode: usedCode }).expect(200);
    expect(ok.body.user).toMatchObject({ username: 'supervisor', role: 'supervisor' });
    recoveryCodes = ok.body.recoveryCodes;
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    for (const c of recoveryCodes) expect(c).toMatch(/^[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}$/);
    // only hashes are stored
    const rows = await rt.db.query<{ code_hash: string }>("SELECT code_hash FROM totp_recovery_codes WHERE username = 'supervisor'");
    expect(rows).toHaveLength(10);
    expect(JSON.stringify(rows)).not.toContain(recoveryCodes[0]!.slice(0, 5));
  });

  it('stamps last_login_at once the second factor succeeded', async () => {
    const [row] = await rt.db.select<{ lastLoginAt: Date | null }>('SELECT last_login_at AS "lastLoginAt" FROM users WHERE username = $1', ['supervisor']);
    expect(row!.lastLoginAt).not.toBeNull();
  });

  it('then asks every sign-in for a code: none → 401 totp-required, a used one → 401, the next step’s → 200', async () => {
    const none = await signIn(required, 'supervisor').expect(401);
    expect(none.body).toMatchObject({ code: 'totp-required' });
    expect(none.body.accessToken).toBeUndefined();
    // the code that confirmed the enrolment cannot sign in again (replay)
    await signIn(required, 'supervisor', { totpCode: usedCode }).expect(401);
    const next = await signIn(required, 'supervisor', { totpCode: app(secret, 30) }).expect(200);
    expect(next.body.recoveryCodes).toBeUndefined();
    await request(required).get('/auth/me').set('authorization', `Bearer ${next.body.accessToken}`).expect(200);
    // the setting off: an enrolled user still needs the code
    expect((await signIn(optional, 'supervisor').expect(401)).body.code).toBe('totp-required');
  });

  it('accepts a recovery code once (any case, without the dash), then refuses it', async () => {
    const code = recoveryCodes[3]!;
    await signIn(required, 'supervisor', { recoveryCode: code.toLowerCase().replace('-', '') }).expect(200);
    expect((await signIn(required, 'supervisor', { recoveryCode: code }).expect(401)).body.code).toBe('totp-invalid');
    await signIn(required, 'supervisor', { recoveryCode: recoveryCodes[4]! }).expect(200);
  });

  it('lets a signed-in user enrol; without the setting a user who has not enrolled signs in with the password', async () => {
    const s = await signIn(optional, 'analyst').expect(200);
    const auth = `Bearer ${s.body.accessToken}`;
    const started = await request(optional).post('/auth/totp/enrolment').set('authorization', auth).send({}).expect(200);
    expect(started.body).toMatchObject({ secret: expect.stringMatching(/^[A-Z2-7]{32}$/), otpauthUri: expect.stringMatching(/^otpauth:\/\/totp\//), digits: 6, periodSeconds: 30 });
    // not confirmed yet: still password only
    await signIn(optional, 'analyst').expect(200);
    expect((await request(optional).post('/auth/totp/enrolment').set('authorization', auth).send({ code: app(started.body.secret, 600) }).expect(400)).body.code).toBe('totp-invalid');
    const confirmed = await request(optional).post('/auth/totp/enrolment').set('authorization', auth).send({ code: app(started.body.secret) }).expect(200);
    expect(confirmed.body.recoveryCodes).toHaveLength(10);
    expect((await request(optional).post('/auth/totp/enrolment').set('authorization', auth).send({}).expect(409)).body.code).toBe('totp-already-enrolled');
    expect((await signIn(optional, 'analyst').expect(401)).body.code).toBe('totp-required');
    await signIn(optional, 'analyst', { totpCode: app(started.body.secret, 30) }).expect(200);
    await request(optional).post('/auth/totp/enrolment').send({}).expect(401);
    await signIn(optional, 'dispatcher').expect(200);
  });

  it('counts wrong codes in the sign-in limit: 429 after 5', async () => {
    for (let i = 0; i < 5; i++) await signIn(required, 'supervisor', { totpCode: '000000' }).expect(401);
    await signIn(required, 'supervisor', { totpCode: app(secret, 30) }).expect(429);
  });

  it('records every sign-in with its factor and every refused second step in the audit trail', async () => {
    const items = (await request(optional).get('/api/audit?limit=500').set('authorization', bearer('admin')).expect(200)).body.items as { action: string; actor: string; outcome: string; detail: Record<string, unknown> | null }[];
    const of = (actor: string) => items.filter((e) => e.actor === actor).map((e) => `${e.action}:${e.outcome}${e.detail?.factor ? `:${e.detail.factor}` : ''}`);
    expect(of('supervisor').reverse()).toEqual([
      'sign_in_failed:totp_enrolment_required',
      'sign_in_failed:totp_enrolment_required',
      'sign_in_failed:wrong_totp',
      'totp_enrolled:ok',
      'sign_in:ok:totp',
      'sign_in_failed:totp_required',
      'sign_in_failed:wrong_totp',
      'sign_in:ok:totp',
      'sign_in_failed:totp_required',
      'sign_in:ok:recovery_code',
      'sign_in_failed:wrong_totp',
      'sign_in:ok:recovery_code',
      ...Array(5).fill('sign_in_failed:wrong_totp'),
      'sign_in_failed:throttled',
    ]);
    expect(of('analyst')).toContain('sign_in:ok:password');
    expect(of('analyst')).toContain('totp_enrolled:ok');
    expect(of('dispatcher')).toEqual(['sign_in:ok:password']);
    expect(JSON.stringify(items)).not.toContain(secret);
    expect(JSON.stringify(items)).not.toContain(recoveryCodes[0]);
  });
});
