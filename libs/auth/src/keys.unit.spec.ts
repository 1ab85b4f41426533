/**
 * ES256 tokens with `kid` (issue 19.5): only the console's private key makes a token the
 * services take; rotation by the public key list.
 */
import jwt from 'jsonwebtoken';
import { generateAuthKeys, publicKeys, signingKey, signToken, thumbprint, verifyToken } from './index';
import { createPublicKey } from 'node:crypto';

const claims = { sub: 'mallory', role: 'admin' as const };
const old = generateAuthKeys('2026-11');
const next = generateAuthKeys('2026-12');
const ring = publicKeys(old.env);
const refused = expect.objectContaining({ status: 401 });

describe('verifyToken refuses every token the console did not sign', () => {
  it('takes the console key', () => {
    expect(verifyToken(signToken(claims, signingKey(old.env)), ring)).toMatchObject(claims);
  });

  it('refuses a token signed by another EC key, even under the listed kid', () => {
    const other = generateAuthKeys('2026-11');
    expect(() => verifyToken(signToken(claims, signingKey(other.env)), ring)).toThrow(refused);
  });

  it('refuses HS256 "signed" with the public key as secret (algorithm confusion)', () => {
    for (const secret of [old.publicKey, Buffer.from(old.publicKey)]) {
      // jsonwebtoken will not sign HS256 with a PEM public key, so the token is put together by hand
      const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const body = `${enc({ alg: 'HS256', typ: 'JWT', kid: '2026-11' })}.${enc({ ...claims, iss: 'cad110', exp: Math.floor(Date.now() / 1000) + 600 })}`;
      const sig = require('node:crypto').createHmac('sha256', secret).update(body).digest('base64url');
      expect(() => verifyToken(`${body}.${sig}`, ring)).toThrow(refused);
    }
  });

  it('refuses an unknown kid, a missing kid and alg none', () => {
    const priv = signingKey(old.env).key;
    expect(() => verifyToken(jwt.sign(claims, priv, { algorithm: 'ES256', keyid: 'nope', issuer: 'cad110', expiresIn: 60 }), ring)).toThrow(refused);
    expect(() => verifyToken(jwt.sign(claims, priv, { algorithm: 'ES256', issuer: 'cad110', expiresIn: 60 }), ring)).toThrow(refused);
    expect(() => verifyToken(jwt.sign(claims, '', { algorithm: 'none', keyid: '2026-11', issuer: 'cad110', expiresIn: 60 } as jwt.SignOptions), ring)).toThrow(refused);
  });

  it('refuses a token without exp, an expired one and one of another issuer', () => {
    const priv = signingKey(old.env).key;
    expect(() => verifyToken(jwt.sign(claims, priv, { algorithm: 'ES256', keyid: '2026-11', issuer: 'cad110' }), ring)).toThrow(refused);
    expect(() => verifyToken(signToken(claims, signingKey(old.env), -1), ring)).toThrow(refused);
    expect(() => verifyToken(jwt.sign(claims, priv, { algorithm: 'ES256', keyid: '2026-11', issuer: 'elsewhere', expiresIn: 60 }), ring)).toThrow(refused);
  });
});

describe('rotation', () => {
  const both = publicKeys({ CAD110_AUTH_PUBLIC_KEYS: JSON.stringify({ '2026-11': old.publicKey, '2026-12': next.publicKey }) });
  const onlyNext = publicKeys(next.env);
  const oldToken = signToken(claims, signingKey(old.env));

  it('the console switched to the new key finds its kid in the list; both kids verify while both are listed', () => {
    const signer = signingKey({ CAD110_AUTH_PRIVATE_KEY: next.privateKey, CAD110_AUTH_PUBLIC_KEYS: JSON.stringify({ '2026-11': old.publicKey, '2026-12': next.publicKey }) });
    expect(signer.kid).toBe('2026-12');
    expect(verifyToken(signToken(claims, signer), both)).toMatchObject(claims);
    expect(verifyToken(oldToken, both)).toMatchObject(claims);
  });

  it('the old kid is refused once its key is dropped', () => {
    expect(() => verifyToken(oldToken, onlyNext)).toThrow(refused);
  });

  it('a list without kids names each key by its JWK thumbprint', () => {
    const listed = { CAD110_AUTH_PUBLIC_KEYS: JSON.stringify([old.publicKey, next.publicKey]), CAD110_AUTH_PRIVATE_KEY: old.privateKey };
    const signer = signingKey(listed);
    expect(signer.kid).toBe(thumbprint(createPublicKey(old.publicKey)));
    expect(verifyToken(signToken(claims, signer), publicKeys(listed))).toMatchObject(claims);
  });
});
