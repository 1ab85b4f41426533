import express from 'express';
import request from 'supertest';
import { createBaseApp, finishApp } from '@cad110/http';
import { createLogger } from '@cad110/logging';
import { createMetrics } from '@cad110/telemetry';
import { LoginThrottle, MemoryLoginFailures } from './login-throttle';

describe('LoginThrottle', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('slows a username from one address after 5 failures within 5 minutes, until the oldest one is 5 minutes old', async () => {
    const t = new LoginThrottle(new MemoryLoginFailures(), 5, 20, 300, clock);
    for (let i = 0; i < 4; i++) {
      await t.failed('Wang', '10.0.0.1');
      now += 10_000;
    }
    expect(await t.retryAfter('wang', '10.0.0.1')).toBe(0);
    await t.failed('wang', '10.0.0.1');
    // first failure at 1_000_000; now = 1_040_000 → 260 s left
    expect(await t.retryAfter('WANG', '10.0.0.1')).toBe(260);
    now += 260_000;
    expect(await t.retryAfter('wang', '10.0.0.1')).toBe(0);
  });

  it('does not let a stranger lock someone else out: 5 wrong passwords from another desk leave the owner free (13.9)', async () => {
    const t = new LoginThrottle(new MemoryLoginFailures(), 5, 20, 300, clock);
    for (let i = 0; i < 5; i++) await t.failed('dispatcher', '10.9.9.9');
    expect(await t.retryAfter('dispatcher', '10.9.9.9')).toBeGreaterThan(0);
    expect(await t.retryAfter('dispatcher', '10.0.0.42')).toBe(0);
  });

  it('caps guessing one username spread over many addresses (100 per window)', async () => {
    const t = new LoginThrottle(new MemoryLoginFailures(), 5, 20, 300, clock);
    for (let i = 0; i < 100; i++) await t.failed('admin', `10.1.${i >> 4}.${i & 15}`);
    expect(await t.retryAfter('admin', '10.2.0.1')).toBeGreaterThan(0);
    expect(await t.retryAfter('someone-else', '10.2.0.1')).toBe(0);
  });

  it('limits an address after 20 failures for any usernames, and a success clears only that username from that address', async () => {
    const t = new LoginThrottle(new MemoryLoginFailures(), 5, 20, 300, clock);
    for (let i = 0; i < 20; i++) await t.failed(`user${i}`, '10.0.0.7');
    expect(await t.retryAfter('someone', '10.0.0.7')).toBeGreaterThan(0);
    expect(await t.retryAfter('someone', '10.0.0.8')).toBe(0);
    for (let i = 0; i < 5; i++) await t.failed('li', '10.0.1.1');
    expect(await t.retryAfter('li', '10.0.1.1')).toBeGreaterThan(0);
    await t.succeeded('li', '10.0.1.1');
    expect(await t.retryAfter('li', '10.0.1.1')).toBe(0);
  });
});

describe('the address the sign-in limit counts', () => {
  function app(env: NodeJS.ProcessEnv) {
    const saved = process.env.CAD110_TRUSTED_PROXIES;
    if (env.CAD110_TRUSTED_PROXIES === undefined) delete process.env.CAD110_TRUSTED_PROXIES;
    else process.env.CAD110_TRUSTED_PROXIES = env.CAD110_TRUSTED_PROXIES;
    const a = createBaseApp({ service: 'console', logger: createLogger('console'), metrics: createMetrics('console-test'), readiness: [] });
    if (saved === undefined) delete process.env.CAD110_TRUSTED_PROXIES;
    else process.env.CAD110_TRUSTED_PROXIES = saved;
    const throttle = new LoginThrottle(new MemoryLoginFailures(), 5, 20, 300);
    a.post('/login', express.json(), async (req, res) => {
      const wait = await throttle.retryAfter(String(req.body.username), req.ip ?? 'unknown');
      if (wait > 0) return res.status(429).json({ wait });
      await throttle.failed(String(req.body.username), req.ip ?? 'unknown');
      res.status(401).json({ ip: req.ip });
    });
    return finishApp(a, createLogger('console'));
  }

  it('is the socket address: a spoofed X-Forwarded-For neither changes it nor resets the limit', async () => {
    const a = app({});
    for (let i = 0; i < 20; i++) {
      const r = await request(a).post('/login').set('x-forwarded-for', `203.0.113.${i}`).send({ username: `u${i}` });
      expect(r.status).toBe(401);
      expect(r.body.ip).not.toMatch(/^203\.0\.113\./);
    }
    await request(a).post('/login').set('x-forwarded-for', '198.51.100.1').send({ username: 'fresh' }).expect(429);
  });

  it('is the forwarded client address behind a configured proxy (CAD110_TRUSTED_PROXIES)', async () => {
    const a = app({ CAD110_TRUSTED_PROXIES: 'loopback' });
    const r = await request(a).post('/login').set('x-forwarded-for', '203.0.113.7').send({ username: 'x' }).expect(401);
    expect(r.body.ip).toBe('203.0.113.7');
  });
});
