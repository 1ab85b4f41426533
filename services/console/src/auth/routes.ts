import { z } from 'zod';
import { ROLES, signToken } from '@cad110/auth';
import { parseOr400, ProblemError, type RouteSpec } from '@cad110/http';
import type { PrismaClient } from '../prisma';
import { LoginThrottle } from './login-throttle';
import { verifyUser } from './users';

/** Access token lifetime, seconds (one 12-hour shift). */
export const TOKEN_LIFETIME_SECONDS = 12 * 3600;

const LoginBody = z
  .object({
    username: z.string().trim().min(1).max(64),
    password: z.string().min(1).max(200),
    workstation: z.string().trim().min(1).max(128).optional().describe('console workstation id, recorded in event metadata'),
  })
  .strict();

/** Every role but admin (admin is always allowed): any signed-in user. */
export const SIGNED_IN = ROLES.filter((r) => r !== 'admin');

const UserBody = z.object({ username: z.string(), displayName: z.string(), role: z.enum(ROLES) });
const LoginResult = z
  .object({
    accessToken: z.string().describe('JWT, HS256'),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().describe('seconds'),
    user: UserBody,
  })
  .meta({ id: 'LoginResult' });
const Me = UserBody.extend({ workstation: z.string().optional() }).meta({ id: 'Me' });

/**
 * Sign-in routes of the console.
 * - `POST /auth/login` `{username, password, workstation?}` → 200
 *   `{accessToken, tokenType: "Bearer", expiresIn (seconds), user: {username, displayName, role}}`;
 *   400 problem+json listing bad fields; 401 when the username or password is wrong or the user
 *   is disabled (the answer never says which); 429 with `Retry-After` (seconds) after too many
 *   failures for the username or from the address ({@link LoginThrottle}).
 * - `GET /auth/me` (bearer token, any role) → 200 `{username, displayName, role, workstation?}` from
 *   the verified token (tokens are stateless: every service accepts them until they expire); 401
 *   without a valid token.
 */
export function authRoutes(prisma: PrismaClient, secret: string, throttle = new LoginThrottle()): RouteSpec[] {
  return [
    {
      method: 'post',
      path: '/auth/login',
      operationId: 'login',
      summary: 'Sign in: an access token for one shift (12 h)',
      description: '401 when the username or password is wrong or the user is disabled (the answer never says which); 429 with Retry-After (seconds) after too many failures for the username or from the address.',
      tags: ['auth'],
      body: LoginBody,
      responses: {
        200: { description: 'Signed in', schema: LoginResult },
        401: { description: 'Wrong username or password' },
        429: { description: 'Too many failed sign-ins', headers: ['Retry-After'] },
      },
      handler: async (req, res) => {
        const body = parseOr400(LoginBody, req.body);
        const address = req.ip ?? 'unknown';
        const wait = throttle.retryAfter(body.username, address);
        if (wait > 0) {
          res.set('retry-after', String(wait));
          throw new ProblemError(429, 'Too many sign-in attempts', `Too many failed sign-ins: try again in ${wait} s.`, { retryAfterSeconds: wait });
        }
        const user = await verifyUser(prisma, body.username, body.password);
        if (!user) {
          throttle.failed(body.username, address);
          throw new ProblemError(401, 'Unauthorized', 'Wrong username or password.');
        }
        throttle.succeeded(body.username, address);
        const accessToken = signToken(
          { sub: user.username, role: user.role, name: user.displayName, ...(body.workstation ? { workstation: body.workstation } : {}) },
          secret,
          TOKEN_LIFETIME_SECONDS,
        );
        res.set('cache-control', 'no-store').json({ accessToken, tokenType: 'Bearer', expiresIn: TOKEN_LIFETIME_SECONDS, user });
      },
    },
    {
      method: 'get',
      path: '/auth/me',
      operationId: 'me',
      summary: 'The signed-in user, from the verified token',
      description: 'Tokens are stateless: every service accepts them until they expire.',
      tags: ['auth'],
      roles: SIGNED_IN,
      responses: { 200: { description: 'The user', schema: Me } },
      handler: (req, res) => {
        const claims = req.user!;
        res.json({ username: claims.sub, displayName: claims.name ?? claims.sub, role: claims.role, ...(claims.workstation ? { workstation: claims.workstation } : {}) });
      },
    },
  ];
}
