import type { NextFunction, Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { ProblemError } from '@cad110/http';
import { publicKeys, signingKey, type PublicKeyRing, type SigningKey } from './keys';

export * from './keys';

/** The console's roles. `admin` may do everything. */
export const ROLES = ['call_taker', 'dispatcher', 'supervisor', 'analyst', 'ops', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Claims of a cad110 access token (JWT, ES256, header `kid`). */
export const ClaimsSchema = z.object({
  sub: z.string().min(1).max(128).describe('user id'),
  role: z.enum(ROLES),
  name: z.string().max(120).optional().describe('display name; never logged'),
  workstation: z.string().max(128).optional(),
  sid: z.string().max(64).optional().describe('console session id (refresh and sign-out)'),
});
export type Claims = z.infer<typeof ClaimsSchema>;

const ISSUER = 'cad110';

/** Signs an access token (ES256 with the console's key and its `kid`, issuer `cad110`, default lifetime 12 h — one shift). */
export function signToken(claims: Claims, signer: SigningKey = signingKey(), expiresInSeconds = 12 * 3600): string {
  return jwt.sign(ClaimsSchema.parse(claims), signer.key, { algorithm: 'ES256', keyid: signer.kid, issuer: ISSUER, expiresIn: expiresInSeconds });
}

/**
 * Verifies a token: the public key named by its header's `kid` (an unknown or missing `kid` is
 * refused), algorithm ES256 only (an HS256 token "signed" with a public key as its secret is
 * refused), issuer, expiry (an `exp` claim is required) and claims.
 * @throws ProblemError 401 when any check fails
 */
export function verifyToken(token: string, ring: PublicKeyRing = publicKeys()): Claims {
  const unauthorized = () => new ProblemError(401, 'Unauthorized', 'The access token is missing, invalid or expired.');
  // an ES256 verification costs ~0.3 ms of CPU and a desk sends the same token for minutes: the
  // claims of exactly these bytes, verified with this ring, are reused until the token's `exp`
  let verified = VERIFIED.get(ring);
  if (!verified) VERIFIED.set(ring, (verified = new Map()));
  const hit = verified.get(token);
  if (hit) {
    if (hit.expiresAtMs > Date.now()) return hit.claims;
    verified.delete(token);
    throw unauthorized();
  }
  const kid = jwt.decode(token, { complete: true })?.header.kid;
  const key = typeof kid === 'string' ? ring.get(kid) : undefined;
  if (!key) throw unauthorized();
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, key, { algorithms: ['ES256'], issuer: ISSUER });
  } catch {
    throw unauthorized();
  }
  // jsonwebtoken takes a token without `exp` as never expiring: a leaked one would be good forever (13.9)
  if (typeof payload === 'string' || typeof payload.exp !== 'number') throw unauthorized();
  const claims = ClaimsSchema.safeParse(payload);
  if (!claims.success) throw unauthorized();
  if (verified.size >= VERIFIED_MAX) verified.clear();
  verified.set(token, { claims: claims.data, expiresAtMs: payload.exp * 1000 });
  return claims.data;
}

/** Tokens verified per key ring (bounded: cleared when {@link VERIFIED_MAX} are held). */
const VERIFIED = new WeakMap<PublicKeyRing, Map<string, { claims: Claims; expiresAtMs: number }>>();
const VERIFIED_MAX = 4096;

declare module 'express-serve-static-core' {
  interface Request {
    /** the verified caller, set by {@link authenticate} */
    user?: Claims;
  }
}

/** Options of {@link authenticate}. */
export interface AuthenticateOptions {
  /**
   * Also accept the token as `?access_token=` — only for EventSource streams, which cannot send
   * headers. Off by default so tokens do not end up in URLs, access logs and span attributes.
   */
  queryToken?: boolean;
}

/**
 * Middleware: requires `Authorization: Bearer <token>` (or, with `queryToken`, `?access_token=`)
 * and puts the verified claims on `req.user`. 401 problem+json otherwise.
 */
export function authenticate(ring: PublicKeyRing = publicKeys(), opts: AuthenticateOptions = {}): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const header = req.header('authorization');
    const query = opts.queryToken && typeof req.query.access_token === 'string' ? req.query.access_token : undefined;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : query;
    if (!token) return next(new ProblemError(401, 'Unauthorized', 'Sign in: send Authorization: Bearer <token>.'));
    try {
      req.user = verifyToken(token, ring);
      next();
    } catch (e) {
      next(e);
    }
  };
}

/**
 * Middleware: allows the listed roles (and `admin`); 401 when not authenticated, 403 otherwise.
 * Use after {@link authenticate}.
 */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.user) return next(new ProblemError(401, 'Unauthorized', 'Sign in first.'));
    if (req.user.role !== 'admin' && !roles.includes(req.user.role)) {
      return next(new ProblemError(403, 'Forbidden', `Role ${req.user.role} may not do this; allowed: ${[...roles, 'admin'].join(', ')}.`));
    }
    next();
  };
}

/** True when the caller's role may see caller numbers unmasked. */
export function maySeeCallerNumbers(user: Claims | undefined): boolean {
  return !!user && ['call_taker', 'supervisor', 'admin'].includes(user.role);
}

/** Who acts, for event metadata: user id and role from the token, workstation from the token or header. */
export function actorOf(req: Request): { actor: { id: string; role: string }; workstation?: string; requestId?: string } {
  if (!req.user) throw new ProblemError(401, 'Unauthorized', 'Sign in first.');
  const workstation = req.user.workstation ?? req.header('x-workstation')?.slice(0, 128);
  const requestId = req.header('x-request-id')?.slice(0, 128);
  return { actor: { id: req.user.sub, role: req.user.role }, ...(workstation ? { workstation } : {}), ...(requestId ? { requestId } : {}) };
}

/**
 * The `authorize` of a route table (`serveRoutes` in libs/http): a route with roles gets
 * {@link authenticate} (with `?access_token=` when the route says `tokenInQuery`) and
 * {@link requireRole} of its roles; public routes get nothing.
 */
export function authorizeRoutes(ring: PublicKeyRing = publicKeys()): (route: { roles?: readonly string[]; tokenInQuery?: boolean }) => RequestHandler[] {
  const header = authenticate(ring);
  const query = authenticate(ring, { queryToken: true });
  return (route) => (route.roles ? [route.tokenInQuery ? query : header, requireRole(...(route.roles as Role[]))] : []);
}
