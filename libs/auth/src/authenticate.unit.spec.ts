import type { NextFunction, Request, Response } from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { authenticate, generateAuthKeys, parsePublicKeys, publicKeys, signingKey, signToken, verifyToken } from './index';

const KEYS = generateAuthKeys('unit-1');
const SECRET = publicKeys(KEYS.env);
const SIGNER = signingKey(KEYS.env);

/** Runs the middleware on a request with the given header and query; resolves with what it passed to next(). */
function run(mw: ReturnType<typeof authenticate>, headers: Record<string, string>, query: Record<string, string>): { err: unknown; req: Request } {
  const req = { header: (n: string) => headers[n.toLowerCase()], query } as unknown as Request;
  let err: unknown = 'next not called';
  mw(req, {} as Response, ((e?: unknown) => (err = e)) as NextFunction);
  return { err, req };
}

describe('authenticate', () => {
  const token = signToken({ sub: 'li.wei', role: 'dispatcher' }, SIGNER);

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

describe('keys and token expiry (13.9, 19.5)', () => {
  it('refuses the .env.example placeholders, a missing, malformed or wrong kind of key at start-up, naming the variable', () => {
    const example = readFileSync(join(__dirname, '..', '..', '..', '.env.example'), 'utf8');
    const pub = example.match(/^CAD110_AUTH_PUBLIC_KEYS=(.*)$/m)![1]!;
    const priv = example.match(/^CAD110_AUTH_PRIVATE_KEY=(.*)$/m)![1]!;
    expect(() => publicKeys({ CAD110_AUTH_PUBLIC_KEYS: pub })).toThrow(/^CAD110_AUTH_PUBLIC_KEYS/);
    expect(() => signingKey({ ...KEYS.env, CAD110_AUTH_PRIVATE_KEY: priv })).toThrow(/^CAD110_AUTH_PRIVATE_KEY is not a PEM private key/);
    expect(() => publicKeys({})).toThrow(/^CAD110_AUTH_PUBLIC_KEYS must be set/);
    // the old shared secret alone is refused with a hint, not taken as a key
    expect(() => publicKeys({ CAD110_AUTH_SECRET: 'kV3q9Zr7Lx2Wm8Tn4Yb6Hc1Jd5Fg0Ps-uE_aQ' })).toThrow(/^CAD110_AUTH_PUBLIC_KEYS must be set \(the HS256 CAD110_AUTH_SECRET is no longer used\)/);
    expect(() => parsePublicKeys('{"k1": "change-me"}')).toThrow(/^CAD110_AUTH_PUBLIC_KEYS: kid k1 is not a PEM public key/);
    expect(() => parsePublicKeys('{}')).toThrow(/lists no key/);
    expect(() => parsePublicKeys('"pem"')).toThrow(/JSON object/);
    expect(() => parsePublicKeys('{"k1": ' + JSON.stringify(KEYS.privateKey) + '}')).toThrow(/is a private key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(() => parsePublicKeys(JSON.stringify([rsa]))).toThrow(/EC P-256/);
    expect(() => signingKey({ CAD110_AUTH_PRIVATE_KEY: generateAuthKeys().privateKey, CAD110_AUTH_PUBLIC_KEYS: KEYS.env.CAD110_AUTH_PUBLIC_KEYS })).toThrow(/its public key is not in CAD110_AUTH_PUBLIC_KEYS/);
    expect(() => signingKey({ CAD110_AUTH_PUBLIC_KEYS: KEYS.env.CAD110_AUTH_PUBLIC_KEYS })).toThrow(/^CAD110_AUTH_PRIVATE_KEY must be set/);
    // every message is one line
    for (const bad of [pub, '', '[1]', '{"a b": "x"}']) expect(() => parsePublicKeys(bad)).toThrow(/^[^\n]+$/);
    // PEM line breaks may come as \n (one-line env values)
    expect(signingKey({ ...KEYS.env, CAD110_AUTH_PRIVATE_KEY: KEYS.privateKey.replace(/\n/g, '\\n') }).kid).toBe('unit-1');
  });

  it('refuses a correctly signed token without exp (it would never expire)', () => {
    const forever = jwt.sign({ sub: 'li.wei', role: 'admin' }, SIGNER.key, { algorithm: 'ES256', keyid: 'unit-1', issuer: 'cad110' });
    expect(() => verifyToken(forever, SECRET)).toThrow(expect.objectContaining({ status: 401 }));
    const { err } = run(authenticate(SECRET), { authorization: `Bearer ${forever}` }, {});
    expect(err).toMatchObject({ status: 401 });
    // the same claims with an expiry pass
    expect(verifyToken(signToken({ sub: 'li.wei', role: 'admin' }, SIGNER), SECRET)).toMatchObject({ role: 'admin' });
  });
});

describe('verified-token reuse', () => {
  afterEach(() => jest.useRealTimers());

  it('a token verified once is still refused after its exp', () => {
    jest.useFakeTimers({ now: Date.now() });
    const token = signToken({ sub: 'li.wei', role: 'dispatcher' }, SIGNER, 60);
    expect(verifyToken(token, SECRET).sub).toBe('li.wei');
    expect(verifyToken(token, SECRET).sub).toBe('li.wei');
    jest.setSystemTime(Date.now() + 61_000);
    expect(() => verifyToken(token, SECRET)).toThrow(expect.objectContaining({ status: 401 }));
  });

  it('a token verified with one key ring is not taken by another ring', () => {
    const token = signToken({ sub: 'li.wei', role: 'dispatcher' }, SIGNER, 60);
    expect(verifyToken(token, SECRET).role).toBe('dispatcher');
    const other = publicKeys(generateAuthKeys('unit-1').env);
    expect(() => verifyToken(token, other)).toThrow(expect.objectContaining({ status: 401 }));
  });
});
