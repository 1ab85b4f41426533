import { Router } from 'express';
import { z } from 'zod';
import { authenticate, signToken } from '@cad110/auth';
import { parseOr400, ProblemError } from '@cad110/http';
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
export function authRoutes(prisma: PrismaClient, secret: string, throttle = new LoginThrottle()): Router {
  const r = Router();

  r.post('/auth/login', async (req, res) => {
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
    throttle.succeeded(body.username);
    const accessToken = signToken(
      { sub: user.username, role: user.role, name: user.displayName, ...(body.workstation ? { workstation: body.workstation } : {}) },
      secret,
      TOKEN_LIFETIME_SECONDS,
    );
    res.set('cache-control', 'no-store').json({ accessToken, tokenType: 'Bearer', expiresIn: TOKEN_LIFETIME_SECONDS, user });
  });

  r.get('/auth/me', authenticate(secret), (req, res) => {
    const claims = req.user!;
    res.json({ username: claims.sub, displayName: claims.name ?? claims.sub, role: claims.role, ...(claims.workstation ? { workstation: claims.workstation } : {}) });
  });

  return r;
}
