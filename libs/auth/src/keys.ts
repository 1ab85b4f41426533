/**
 * Token keys (issue 19.5): the console signs access tokens with an ES256 (ECDSA P-256) private
 * key, `CAD110_AUTH_PRIVATE_KEY`; every service verifies them with the public keys of
 * `CAD110_AUTH_PUBLIC_KEYS`, chosen by the token header's `kid`. No service but the console can
 * mint a token. Rotation: add the new public key to every service's `CAD110_AUTH_PUBLIC_KEYS`,
 * then give the console the new private key (its `kid` is found in the list), and once the old
 * tokens have expired drop the old public key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** A verifying key ring: `kid` → P-256 public key. */
export type PublicKeyRing = ReadonlyMap<string, KeyObject>;

/** The console's signing key and the `kid` its tokens carry. */
export interface SigningKey {
  kid: string;
  key: KeyObject;
}

const PUBLIC = 'CAD110_AUTH_PUBLIC_KEYS';
const PRIVATE = 'CAD110_AUTH_PRIVATE_KEY';
const HOW = 'generate a pair with `npx tsx libs/auth/src/keygen.ts`';

/** An env value may carry a PEM's line breaks as `\n` (docker compose .env files, one-line secrets). */
const unescape = (pem: string) => pem.trim().replace(/\\n/g, '\n');

function assertP256(key: KeyObject, name: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`${name} must hold EC P-256 keys (ES256), not ${key.asymmetricKeyType ?? key.type}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''}; ${HOW}`);
  }
}

/** The RFC 7638 JWK thumbprint of a P-256 public key (base64url SHA-256): the `kid` of a key listed without one. */
export function thumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  return createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');
}

function publicKeyOf(pem: unknown, where: string): KeyObject {
  if (typeof pem !== 'string') throw new Error(`${PUBLIC}: ${where} is not a PEM string; ${HOW}`);
  // createPublicKey would take a private key too (and derive its public half): refuse it, it does not belong in a shared list
  if (/PRIVATE KEY/.test(pem)) throw new Error(`${PUBLIC}: ${where} is a private key; list public keys only`);
  let key: KeyObject;
  try {
    key = createPublicKey(unescape(pem));
  } catch {
    throw new Error(`${PUBLIC}: ${where} is not a PEM public key; ${HOW}`);
  }
  assertP256(key, PUBLIC);
  return key;
}

/**
 * Parses `CAD110_AUTH_PUBLIC_KEYS`: a JSON object `{"<kid>": "<PEM>", …}`, or a JSON list of PEM
 * strings (each one's `kid` is its JWK thumbprint, {@link thumbprint}).
 * @throws Error with one line naming the variable when it is missing or malformed
 */
export function parsePublicKeys(value: string | undefined): PublicKeyRing {
  if (!value?.trim()) throw new Error(`${PUBLIC} must be set (the HS256 CAD110_AUTH_SECRET is no longer used): the public keys (JSON {"kid": "PEM"} or ["PEM"]) that verify access tokens; ${HOW}`);
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw new Error(`${PUBLIC} is not JSON: expected {"kid": "PEM", …} or ["PEM", …]; ${HOW}`);
  }
  const ring = new Map<string, KeyObject>();
  if (Array.isArray(json)) {
    json.forEach((pem, i) => {
      const key = publicKeyOf(pem, `entry ${i}`);
      ring.set(thumbprint(key), key);
    });
  } else if (json && typeof json === 'object') {
    for (const [kid, pem] of Object.entries(json)) {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(kid)) throw new Error(`${PUBLIC}: kid ${JSON.stringify(kid.slice(0, 70))} must be 1-64 letters, digits, dots, underscores or dashes`);
      ring.set(kid, publicKeyOf(pem, `kid ${kid}`));
    }
  } else {
    throw new Error(`${PUBLIC} must be a JSON object {"kid": "PEM", …} or list ["PEM", …]; ${HOW}`);
  }
  if (ring.size === 0) throw new Error(`${PUBLIC} lists no key; ${HOW}`);
  return ring;
}

/**
 * Parses `CAD110_AUTH_PRIVATE_KEY` (PEM, P-256) and finds its `kid`: the entry of `ring` holding
 * its public key. A console whose key is not in its own list would sign tokens no service takes.
 * @throws Error with one line naming the variable when it is missing, malformed or not listed
 */
export function parsePrivateKey(value: string | undefined, ring: PublicKeyRing): SigningKey {
  if (!value?.trim()) throw new Error(`${PRIVATE} must be set on the console: the PEM private key (EC P-256) it signs access tokens with; ${HOW}`);
  let key: KeyObject;
  try {
    key = createPrivateKey(unescape(value));
  } catch {
    throw new Error(`${PRIVATE} is not a PEM private key; ${HOW}`);
  }
  assertP256(key, PRIVATE);
  const pub = createPublicKey(key).export({ format: 'der', type: 'spki' });
  for (const [kid, candidate] of ring) if (candidate.export({ format: 'der', type: 'spki' }).equals(pub)) return { kid, key };
  throw new Error(`${PRIVATE}: its public key is not in ${PUBLIC} (add it there, on every service, before switching)`);
}

/** A fresh P-256 key pair as env values (PEM), with the public one listed under `kid` (default its thumbprint). For tests, the demo and keygen. */
export function generateAuthKeys(kid?: string): { privateKey: string; publicKey: string; kid: string; env: { CAD110_AUTH_PRIVATE_KEY: string; CAD110_AUTH_PUBLIC_KEYS: string } } {
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const privateKey = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const publicKey = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  const id = kid ?? thumbprint(pair.publicKey);
  return { privateKey, publicKey, kid: id, env: { CAD110_AUTH_PRIVATE_KEY: privateKey, CAD110_AUTH_PUBLIC_KEYS: JSON.stringify({ [id]: publicKey }) } };
}

const rings = new Map<string, PublicKeyRing>();
const signers = new Map<string, SigningKey>();

/** The verifying keys of `env` (parsed once per value). @throws Error naming the variable */
export function publicKeys(env: NodeJS.ProcessEnv = process.env): PublicKeyRing {
  const v = env[PUBLIC] ?? '';
  let ring = rings.get(v);
  if (!ring) {
    ring = parsePublicKeys(v);
    rings.set(v, ring);
  }
  return ring;
}

/** The console's signing key of `env` (parsed once per value). @throws Error naming the variable */
export function signingKey(env: NodeJS.ProcessEnv = process.env): SigningKey {
  const v = env[PRIVATE] ?? '';
  const cacheKey = `${v}\u0000${env[PUBLIC] ?? ''}`;
  let s = signers.get(cacheKey);
  if (!s) {
    s = parsePrivateKey(v, publicKeys(env));
    signers.set(cacheKey, s);
  }
  return s;
}

/**
 * Start-up check of a service's token keys: the public keys (and, with `sign`, the console's
 * private key). On a missing or malformed key: one stderr line `cad110 <service>: <VARIABLE> …`
 * and exit code 78 (EX_CONFIG), as for any bad variable.
 */
export function authKeysOrExit(service: string, opts: { sign?: boolean } = {}, env: NodeJS.ProcessEnv = process.env): void {
  try {
    publicKeys(env);
    if (opts.sign) signingKey(env);
  } catch (e) {
    process.stderr.write(`cad110 ${service}: invalid configuration: ${(e as Error).message}\n`);
    process.exit(78);
  }
}
