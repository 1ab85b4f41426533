import { z } from 'zod';
import { ROLES, type SigningKey } from '@cad110/auth';
import { parseOr400, ProblemError, type RouteSpec } from '@cad110/http';
import type { Sql } from '@cad110/db';
import { recordAudit } from './audit';
import { LoginThrottle, PgLoginFailures } from './login-throttle';
import { secondStep } from './second-factor';
import { accessTokenOf, openSession, revokeSession, SESSION_SECONDS } from './sessions';
import { recordLogin, verifyUser } from './users';

/** Default access token lifetime, seconds (`CONSOLE_ACCESS_TOKEN_SECONDS`): 5 minutes, then `POST /auth/refresh` (sessions.ts). */
export const TOKEN_LIFETIME_SECONDS = 300;

const LoginBody = z
  .object({
    username: z.string().trim().min(1).max(64),
    password: z.string().min(1).max(200),
    workstation: z.string().trim().min(1).max(128).optional().describe('console workstation id, recorded in event metadata'),
    totpCode: z.string().regex(/^\d{6}$/, 'must be 6 digits').optional().describe('the current code of the authenticator app (second step, or confirming an enrolment)'),
    recoveryCode: z.string().trim().min(10).max(16).optional().describe('a one-time recovery code instead of totpCode'),
  })
  .strict();

/** Every role but admin (admin is always allowed): any signed-in user. */
export const SIGNED_IN = ROLES.filter((r) => r !== 'admin');

const UserBody = z.object({ username: z.string(), displayName: z.string(), role: z.enum(ROLES) });
const LoginResult = z
  .object({
    accessToken: z.string().describe('JWT, ES256 (header kid)'),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().describe('seconds'),
    refreshToken: z.string().describe('opaque; POST /auth/refresh with it for a new access token until sign-out or the end of the shift'),
    refreshExpiresIn: z.number().int().describe('seconds'),
    user: UserBody,
    recoveryCodes: z.array(z.string()).optional().describe('only on the sign-in that confirms an enrolment: 10 one-time codes, shown once'),
  })
  .meta({ id: 'LoginResult' });
const Me = UserBody.extend({ workstation: z.string().optional() }).meta({ id: 'Me' });

/**
 * Sign-in routes of the console.
 * - `POST /auth/login` `{username, password, workstation?}` → 200
 *   `{accessToken, tokenType: "Bearer", expiresIn (seconds), refreshToken, refreshExpiresIn, user: {username, displayName, role}}`;
 *   400 problem+json listing bad fields; 401 when the username or password is wrong or the user
 *   is disabled (the answer never says which); 429 with `Retry-After` (seconds) after too many
 *   failures for the username or from the address ({@link LoginThrottle}). The second step
 *   (TOTP, `second-factor.ts`): 401 code `totp-required` / `totp-invalid`, 403 code
 *   `totp-enrolment-required` with `params: {secret, otpauthUri}` when `requireTotp`
 *   (`CONSOLE_REQUIRE_TOTP`) and the user has not enrolled; a wrong code counts as a failure.
 *   Every outcome is in the audit trail (`sign_in` with `detail.factor`, or `sign_in_failed`).
 * - `GET /auth/me` (bearer token, any role) → 200 `{username, displayName, role, workstation?}` from
 *   the verified token (tokens are stateless: every service accepts them until they expire); 401
 *   without a valid token.
 */
export function authRoutes(
  db: Sql,
  signer: SigningKey,
  lifetimeSeconds = TOKEN_LIFETIME_SECONDS,
  throttle = new LoginThrottle(new PgLoginFailures(db)),
  opts: { requireTotp?: boolean } = {},
): RouteSpec[] {
  return [
    {
      method: 'post',
      path: '/auth/login',
      operationId: 'login',
      summary: 'Sign in: a short access token and a refresh token for one shift (12 h)',
      description:
        '401 when the username or password is wrong or the user is disabled (the answer never says which); 429 with Retry-After (seconds) after too many failures for the username or from the address. Second factor: a user with TOTP must also send `totpCode` or `recoveryCode` (401 code `totp-required` without, `totp-invalid` when wrong); with CONSOLE_REQUIRE_TOTP a user without TOTP gets 403 code `totp-enrolment-required` with `params: {secret, otpauthUri}` and signs in again with a code of it (the answer then carries `recoveryCodes`, once).',
      tags: ['auth'],
      body: LoginBody,
      responses: {
        200: { description: 'Signed in', schema: LoginResult },
        401: { description: 'Wrong username or password, or a second factor needed or wrong (code totp-required, totp-invalid)' },
        403: { description: 'Second factor enrolment required (code totp-enrolment-required, params {secret, otpauthUri})' },
        429: { description: 'Too many failed sign-ins', headers: ['Retry-After'] },
      },
      handler: async (req, res) => {
        res.set('cache-control', 'no-store');
        const body = parseOr400(LoginBody, req.body);
        const address = req.ip ?? 'unknown';
        const wait = await throttle.retryAfter(body.username, address);
        const seen = { actor: body.username, address, ...(body.workstation ? { workstation: body.workstation } : {}) };
        if (wait > 0) {
          await recordAudit(db, { action: 'sign_in_failed', outcome: 'throttled', ...seen });
          res.set('retry-after', String(wait));
          throw new ProblemError(429, 'Too many sign-in attempts', `Too many failed sign-ins: try again in ${wait} s.`, { retryAfterSeconds: wait });
        }
        const user = await verifyUser(db, body.username, body.password);
        if (!user) {
          await throttle.failed(body.username, address);
          await recordAudit(db, { action: 'sign_in_failed', outcome: 'wrong_credentials', ...seen });
          throw new ProblemError(401, 'Unauthorized', 'Wrong username or password.');
        }
        const second = await secondStep(db, user.username, body, opts.requireTotp ?? false);
        if (!second.ok) {
          if (second.outcome === 'wrong_totp') await throttle.failed(body.username, address);
          await recordAudit(db, { action: 'sign_in_failed', outcome: second.outcome, ...seen, actor: user.username });
          throw second.problem;
        }
        await throttle.succeeded(body.username, address);
        await recordLogin(db, user.username);
        if (second.recoveryCodes) await recordAudit(db, { action: 'totp_enrolled', outcome: 'ok', ...seen, actor: user.username, subject: user.username });
        await recordAudit(db, { action: 'sign_in', outcome: 'ok', ...seen, actor: user.username, detail: { role: user.role, factor: second.factor, ...(second.recoveryCodes ? { enrolled: true } : {}) } });
        const session = await openSession(db, user.username, body.workstation);
        const accessToken = accessTokenOf(signer, user, session.sid, body.workstation, lifetimeSeconds);
        res.json({
          accessToken,
          tokenType: 'Bearer',
          expiresIn: lifetimeSeconds,
          refreshToken: session.refreshToken,
          refreshExpiresIn: SESSION_SECONDS,
          user,
          ...(second.recoveryCodes ? { recoveryCodes: second.recoveryCodes } : {}),
        });
      },
    },
    {
      method: 'get',
      path: '/auth/me',
      operationId: 'me',
      summary: 'The signed-in user, from the verified token',
      description: 'Access tokens are stateless: every service accepts them until they expire (minutes; POST /auth/refresh for the next).',
      tags: ['auth'],
      roles: SIGNED_IN,
      responses: { 200: { description: 'The user', schema: Me } },
      handler: (req, res) => {
        const claims = req.user!;
        res.json({ username: claims.sub, displayName: claims.name ?? claims.sub, role: claims.role, ...(claims.workstation ? { workstation: claims.workstation } : {}) });
      },
    },
    {
      method: 'post',
      path: '/auth/logout',
      operationId: 'logout',
      summary: 'Sign out: the session is revoked and recorded in the audit trail',
      description: 'The SPA calls it when the user signs out, before it forgets the token. 204. The session\'s refresh token is refused from then on; its last access token expires within the access token lifetime.',
      tags: ['auth'],
      roles: SIGNED_IN,
      responses: { 204: { description: 'Signed out' } },
      handler: async (req, res) => {
        const claims = req.user!;
        // its refresh is refused from now on; its access token expires within its lifetime (the services cannot ask the console)
        if (claims.sid) await revokeSession(db, claims.sid);
        await recordAudit(db, { action: 'sign_out', outcome: 'ok', actor: claims.sub, address: req.ip ?? 'unknown', ...(claims.workstation ? { workstation: claims.workstation } : {}) });
        res.status(204).end();
      },
    },
  ];
}
