import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import { ProblemError } from '@cad110/http';

/** The console's roles. `admin` may do everything. */
export const ROLES = ['call_taker', 'dispatcher', 'supervisor', 'analyst', 'ops', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Claims of a cad110 access token (JWT, HS256). */
export const ClaimsSchema = z.object({
  sub: z.string().min(1).max(128).describe('user id'),
  role: z.enum(ROLES),
  name: z.string().max(120).optional().describe('display name; never logged'),
  workstation: z.string().max(128).optional(),
});
export type Claims = z.infer<typeof ClaimsSchema>;

const ISSUER = 'cad110';
const MIN_SECRET_LENGTH = 32;

/** Fewest distinct characters a secret must have: 32 random base64 characters have ~25 (a run like `aaaa…` or `0123…` has few). */
const MIN_DISTINCT_CHARACTERS = 12;
/** Words of placeholders (the `.env.example` value, `changeme`, `secret`, `example`, …), case-insensitive, `-`/`_` ignored. */
const PLACEHOLDER = /change.?me|placeholder|example|your.?secret|replace|^(secret|password|test)+$/i;

/**
 * The shared signing secret from `CAD110_AUTH_SECRET`: at least 32 characters, at least 12
 * distinct ones, and not a placeholder such as the `.env.example` value.
 * @throws Error when it is missing, short, repetitive or a placeholder — services refuse to start with one (issue 13.9)
 */
export function authSecret(env: NodeJS.ProcessEnv = process.env): string {
  const s = env.CAD110_AUTH_SECRET;
  const fix = 'e.g. `openssl rand -base64 36`';
  if (!s || s.length < MIN_SECRET_LENGTH) throw new Error(`CAD110_AUTH_SECRET must be set to at least ${MIN_SECRET_LENGTH} random characters (${fix})`);
  if (PLACEHOLDER.test(s.replace(/[-_\s]/g, ''))) throw new Error(`CAD110_AUTH_SECRET is a placeholder; set it to ${MIN_SECRET_LENGTH}+ random characters (${fix})`);
  if (new Set(s).size < MIN_DISTINCT_CHARACTERS) throw new Error(`CAD110_AUTH_SECRET has fewer than ${MIN_DISTINCT_CHARACTERS} distinct characters; set it to random characters (${fix})`);
  return s;
}

const keys = new Map<string, KeyObject>();

/**
 * The secret as a KeyObject, made once: given a string, jsonwebtoken first tries it as a PEM
 * public key (an exception per call) — measured at 10 % of intake's CPU before this cache.
 */
function keyOf(secret: string): KeyObject {
  let k = keys.get(secret);
  if (!k) {
    k = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, k);
  }
  return k;
}

/** Signs an access token (HS256, issuer `cad110`, default lifetime 12 h — one shift). */
export function signToken(claims: Claims, secret = authSecret(), expiresInSeconds = 12 * 3600): string {
  return jwt.sign(ClaimsSchema.parse(claims), keyOf(secret), { algorithm: 'HS256', issuer: ISSUER, expiresIn: expiresInSeconds });
}

/**
 * Verifies a token's signature, issuer, expiry (an `exp` claim is required) and claims.
 * @throws ProblemError 401 when any check fails
 */
export function verifyToken(token: string, secret = authSecret()): Claims {
  const unauthorized = () => new ProblemError(401, 'Unauthorized', 'The access token is missing, invalid or expired.');
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, keyOf(secret), { algorithms: ['HS256'], issuer: ISSUER });
  } catch {
    throw unauthorized();
  }
  // jsonwebtoken takes a token without `exp` as never expiring: a leaked one would be good forever (13.9)
  if (typeof payload === 'string' || typeof payload.exp !== 'number') throw unauthorized();
  const claims = ClaimsSchema.safeParse(payload);
  if (!claims.success) throw unauthorized();
  return claims.data;
}

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
export function authenticate(secret = authSecret(), opts: AuthenticateOptions = {}): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const header = req.header('authorization');
    const query = opts.queryToken && typeof req.query.access_token === 'string' ? req.query.access_token : undefined;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : query;
    if (!token) return next(new ProblemError(401, 'Unauthorized', 'Sign in: send Authorization: Bearer <token>.'));
    try {
      req.user = verifyToken(token, secret);
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
export function authorizeRoutes(secret = authSecret()): (route: { roles?: readonly string[]; tokenInQuery?: boolean }) => RequestHandler[] {
  const header = authenticate(secret);
  const query = authenticate(secret, { queryToken: true });
  return (route) => (route.roles ? [route.tokenInQuery ? query : header, requireRole(...(route.roles as Role[]))] : []);
}
