import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { signToken, type SigningKey } from '@cad110/auth';
import type { Sql } from '@cad110/db';
import { parseOr400, ProblemError, type RouteSpec } from '@cad110/http';
import { isRole, type PublicUser } from './users';

/**
 * Sessions (issue 19.5): a sign-in opens a session for one shift (12 h) in the console's database
 * (table `sessions`) and returns a short access token (`CONSOLE_ACCESS_TOKEN_SECONDS`, default
 * 5 minutes, claim `sid`) and an opaque refresh token (`<sid>.<secret>`, only its SHA-256 stored).
 * `POST /auth/refresh` gives a new access token while the session is open, its user active, and
 * takes the user's current role. Sign-out revokes the session: its refresh is refused at once,
 * and its last access token — which the four services verify on their own and cannot ask the
 * console about — expires within the access token lifetime.
 */
export const SESSION_SECONDS = 12 * 3600;

const sha256 = (s: string) => createHash('sha256').update(s).digest();

export interface OpenedSession {
  sid: string;
  refreshToken: string;
}

/** Opens a session for `user`. */
export async function openSession(db: Sql, username: string, workstation: string | undefined): Promise<OpenedSession> {
  const sid = randomBytes(12).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  await db.exec(`INSERT INTO sessions (id, username, workstation, refresh_hash, expires_at) VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`, [
    sid,
    username,
    workstation ?? null,
    sha256(secret).toString('hex'),
    SESSION_SECONDS,
  ]);
  return { sid, refreshToken: `${sid}.${secret}` };
}

/** Revokes a session (sign-out). @returns whether an open session was revoked */
export async function revokeSession(db: Sql, sid: string): Promise<boolean> {
  return (await db.exec('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [sid])) > 0;
}

interface SessionRow {
  id: string;
  username: string;
  workstation: string | null;
  refresh_hash: string;
  display_name: string;
  role: string;
}

/** The open session and active user of a refresh token, or undefined (unknown, wrong secret, revoked, expired, user disabled). */
export async function sessionOf(db: Sql, refreshToken: string): Promise<{ sid: string; workstation?: string; user: PublicUser } | undefined> {
  const [sid, secret] = refreshToken.split('.');
  if (!sid || !secret) return undefined;
  const [row] = await db.query<SessionRow>(
    `SELECT s.id, s.username, s.workstation, s.refresh_hash, u.display_name, u.role FROM sessions s JOIN users u ON u.username = s.username
      WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active`,
    [sid],
  );
  if (!row || !isRole(row.role)) return undefined;
  const stored = Buffer.from(row.refresh_hash, 'hex');
  const given = sha256(secret);
  if (stored.length !== given.length || !timingSafeEqual(stored, given)) return undefined;
  return { sid: row.id, ...(row.workstation ? { workstation: row.workstation } : {}), user: { username: row.username, displayName: row.display_name, role: row.role } };
}

/** An access token of a session. */
export function accessTokenOf(signer: SigningKey, user: PublicUser, sid: string, workstation: string | undefined, lifetimeSeconds: number): string {
  return signToken({ sub: user.username, role: user.role, name: user.displayName, sid, ...(workstation ? { workstation } : {}) }, signer, lifetimeSeconds);
}

const RefreshBody = z.object({ refreshToken: z.string().min(3).max(200) }).strict();
const UserBody = z.object({ username: z.string(), displayName: z.string(), role: z.string() });
const RefreshResult = z
  .object({ accessToken: z.string().describe('JWT, ES256 (header kid)'), tokenType: z.literal('Bearer'), expiresIn: z.number().int().describe('seconds'), user: UserBody })
  .meta({ id: 'RefreshResult' });

/** `POST /auth/refresh` (public: the refresh token is the credential). */
export function refreshRoutes(db: Sql, signer: SigningKey, lifetimeSeconds: number): RouteSpec[] {
  return [
    {
      method: 'post',
      path: '/auth/refresh',
      operationId: 'refresh',
      summary: 'A new access token for an open session',
      description: "200 with a new access token (the user's current role) while the session is open; 401 once it is signed out, past its shift (12 h), or its user is disabled.",
      tags: ['auth'],
      body: RefreshBody,
      responses: { 200: { description: 'A new access token', schema: RefreshResult }, 401: { description: 'Session closed or unknown' } },
      handler: async (req, res) => {
        const body = parseOr400(RefreshBody, req.body);
        const s = await sessionOf(db, body.refreshToken);
        if (!s) throw new ProblemError(401, 'Unauthorized', 'The session is signed out or expired: sign in again.');
        const accessToken = accessTokenOf(signer, s.user, s.sid, s.workstation, lifetimeSeconds);
        res.set('cache-control', 'no-store').json({ accessToken, tokenType: 'Bearer', expiresIn: lifetimeSeconds, user: s.user });
      },
    },
  ];
}
