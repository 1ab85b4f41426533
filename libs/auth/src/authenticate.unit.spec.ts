import type { NextFunction, Request, Response } from 'express';
import { authenticate, signToken } from './index';

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
