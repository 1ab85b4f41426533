import type { NextFunction, Request, Response } from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { authSecret, authenticate, signToken, verifyToken } from './index';

const SECRET = 'unit-test-secret-0123456789-0123456789';

/** Runs the middleware on a request with the given header and query; resolves with what it passed to next(). */
function run(mw: ReturnType<typeof authenticate>, headers: Record<string, string>, query: Record<string, string>): { err: unknown; req: Request } {
  const req = { header: (n: string) => headers[n.toLowerCase()], query } as unknown as Request;
  let err: unknown = 'next not called';
  mw(req, {} as Response, ((e?: unknown) => (err = e)) as NextFunction);
  return { err, req };
}

describe('authenticate', () => {
  const token = signToken({ sub: 'li.wei', role: 'dispatcher' }, SECRET);

  it('accepts a bearer header', () => {
    const { err, req } = run(authenticate(SECRET), { authorization: `Bearer ${token}` }, {});
    expect(err).toBeUndefined();
    expect(req.user).toMatchObject({ sub: 'li.wei', role: 'dispatcher' });
  });

  it('ignores ?access_token= unless the route opts in (tokens stay out of URLs)', () => {
    const { err } = run(authenticate(SECRET), {}, { access_token: token });
    expect(err).toMatchObject({ status: 401 });
  });

  it('takes ?access_token= on routes that opt in (EventSource streams)', () => {
    const { err, req } = run(authenticate(SECRET, { queryToken: true }), {}, { access_token: token });
    expect(err).toBeUndefined();
    expect(req.user?.role).toBe('dispatcher');
  });
});

describe('secrets and token expiry (13.9)', () => {
  it('refuses the .env.example placeholder, short and repetitive secrets at start-up', () => {
    const example = readFileSync(join(__dirname, '..', '..', '..', '.env.example'), 'utf8').match(/^CAD110_AUTH_SECRET=(.*)$/m)![1]!;
    expect(() => authSecret({ CAD110_AUTH_SECRET: example })).toThrow(/placeholder/);
    expect(() => authSecret({ CAD110_AUTH_SECRET: 'changeme-changeme-changeme-changeme' })).toThrow(/placeholder/);
    expect(() => authSecret({ CAD110_AUTH_SECRET: 'short-0123456789' })).toThrow(/at least 32/);
    expect(() => authSecret({ CAD110_AUTH_SECRET: 'ab'.repeat(20) })).toThrow(/distinct/);
    expect(() => authSecret({})).toThrow(/at least 32/);
    const good = 'kV3q9Zr7Lx2Wm8Tn4Yb6Hc1Jd5Fg0Ps-uE_aQ';
    expect(authSecret({ CAD110_AUTH_SECRET: good })).toBe(good);
  });

  it('refuses a correctly signed token without exp (it would never expire)', () => {
    const forever = jwt.sign({ sub: 'li.wei', role: 'admin' }, SECRET, { algorithm: 'HS256', issuer: 'cad110' });
    expect(() => verifyToken(forever, SECRET)).toThrow(expect.objectContaining({ status: 401 }));
    const { err } = run(authenticate(SECRET), { authorization: `Bearer ${forever}` }, {});
    expect(err).toMatchObject({ status: 401 });
    // the same claims with an expiry pass
    expect(verifyToken(signToken({ sub: 'li.wei', role: 'admin' }, SECRET), SECRET)).toMatchObject({ role: 'admin' });
  });
});
