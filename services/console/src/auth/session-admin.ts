import { z } from 'zod';
import { ROLES } from '@cad110/auth';
import type { Sql } from '@cad110/db';
import { parseOr400, ProblemError, type RouteSpec } from '@cad110/http';
import { recordAudit } from './audit';

/**
 * Supervisor control of sessions (issue 19.5): who is signed in, and revocation of every open
 * session of a user (a lost workstation, a colleague who left the post signed in, a suspected
 * misuse). Revocation is the sign-out's (sessions.ts): the `revoked_at` of the sessions is set, so
 * their refresh tokens are refused at once (`POST /auth/refresh` → 401) and their last access
 * tokens — which the four services verify on their own — expire within the access token
 * lifetime (`CONSOLE_ACCESS_TOKEN_SECONDS`, default 5 minutes), the refresh window.
 */

/** An open session as the supervisor's list shows it (never the refresh token or its hash). */
export interface OpenSession {
  username: string;
  displayName: string;
  role: string;
  workstation: string | null;
  /** UTC ISO-8601 */
  signedInAt: string;
  /** UTC ISO-8601: the end of the shift (12 h after sign-in) */
  expiresAt: string;
}

/** Open sessions (not revoked, not past their shift) of active users, newest sign-in first; at most 500. */
export async function listOpenSessions(db: Sql): Promise<OpenSession[]> {
  const rows = await db.query<{ username: string; display_name: string; role: string; workstation: string | null; created_at: Date; expires_at: Date }>(
    `SELECT s.username, u.display_name, u.role, s.workstation, s.created_at, s.expires_at FROM sessions s JOIN users u ON u.username = s.username
      WHERE s.revoked_at IS NULL AND s.expires_at > now() AND u.active ORDER BY s.created_at DESC LIMIT 500`,
  );
  return rows.map((r) => ({
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    workstation: r.workstation,
    signedInAt: new Date(r.created_at).toISOString(),
    expiresAt: new Date(r.expires_at).toISOString(),
  }));
}

/** Revokes every open session of `username`. @returns how many sessions were open */
export async function revokeUserSessions(db: Sql, username: string): Promise<number> {
  return db.exec('UPDATE sessions SET revoked_at = now() WHERE username = $1 AND revoked_at IS NULL AND expires_at > now()', [username]);
}

const SessionItem = z
  .object({
    username: z.string(),
    displayName: z.string(),
    role: z.string(),
    workstation: z.string().nullable(),
    signedInAt: z.string().describe('UTC ISO-8601'),
    expiresAt: z.string().describe('UTC ISO-8601, end of the shift'),
  })
  .meta({ id: 'OpenSession' });
const SessionList = z.object({ items: z.array(SessionItem) }).meta({ id: 'OpenSessions' });
const UserParams = z.object({ username: z.string().trim().min(1).max(64) });
const Revoked = z.object({ username: z.string(), revoked: z.number().int().describe('sessions that were open') }).meta({ id: 'SessionsRevoked' });

/**
 * - `GET /api/auth/sessions` (supervisor, admin) → 200 `{items: OpenSession[]}`: who is signed in.
 * - `POST /api/auth/users/{username}/revoke-sessions` (supervisor, admin) → 200 `{username, revoked}`
 *   (`revoked`: how many sessions were open, 0 when none); 400 problem+json for a bad username;
 *   404 problem+json (code `unknown-user`) for a user the console does not know. Recorded in the
 *   audit trail as `sessions_revoked` (actor the supervisor, subject the user, detail `{revoked}`).
 */
export function sessionAdminRoutes(db: Sql): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/api/auth/sessions',
      operationId: 'openSessions',
      summary: 'Who is signed in: the open sessions',
      description: 'Sessions not signed out, not revoked and not past their shift (12 h), of active users; newest sign-in first; at most 500. Times UTC ISO-8601.',
      tags: ['auth'],
      roles: ['supervisor'],
      responses: { 200: { description: 'Open sessions', schema: SessionList } },
      handler: async (_req, res) => {
        res.set('cache-control', 'no-store').json({ items: await listOpenSessions(db) });
      },
    },
    {
      method: 'post',
      path: '/api/auth/users/:username/revoke-sessions',
      operationId: 'revokeUserSessions',
      summary: "Revoke every open session of a user (audited)",
      description:
        "Their refresh is refused at once (401); their last access tokens expire within the access token lifetime (CONSOLE_ACCESS_TOKEN_SECONDS, default 300 s). `revoked`: sessions that were open. 404 (code `unknown-user`) for an unknown user. Recorded in the audit trail as `sessions_revoked`.",
      tags: ['auth'],
      roles: ['supervisor'],
      params: UserParams,
      bodyOptional: true,
      responses: { 200: { description: 'Sessions revoked', schema: Revoked }, 404: { description: 'Unknown user' } },
      handler: async (req, res) => {
        const { username } = parseOr400(UserParams, req.params);
        const [user] = await db.query<{ username: string; role: string }>('SELECT username, role FROM users WHERE username = $1', [username]);
        if (!user) throw new ProblemError(404, 'Not found', `user ${username} does not exist`, { code: 'unknown-user' });
        const revoked = await revokeUserSessions(db, user.username);
        const claims = req.user!;
        await recordAudit(db, {
          action: 'sessions_revoked',
          outcome: 'ok',
          actor: claims.sub,
          subject: user.username,
          address: req.ip ?? 'unknown',
          ...(claims.workstation ? { workstation: claims.workstation } : {}),
          detail: { revoked, role: (ROLES as readonly string[]).includes(user.role) ? user.role : null },
        });
        res.set('cache-control', 'no-store').json({ username: user.username, revoked });
      },
    },
  ];
}
