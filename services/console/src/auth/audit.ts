import type { NextFunction, Request, Response } from 'express';
import { z } from 'zod';
import { maySeeCallerNumbers, verifyToken, type PublicKeyRing } from '@cad110/auth';
import type { Sql } from '@cad110/db';
import { parseQuery, type RouteSpec } from '@cad110/http';
import type { Logger } from '@cad110/logging';

/**
 * The audit trail (issue 19.5; MLPS 2.0 level 3 asks for one): every sign-in (success, wrong
 * username or password, refused by the sign-in limit), sign-out, role change (users CLI, demo
 * seeding), revocation of a user's sessions by a supervisor (session-admin.ts), enrolment and reset
 * of a TOTP second factor (`sign_in` records which factor signed in: `detail.factor`) and caller-number
 * reveal (`?reveal=caller` through the gateway) is a row of
 * `audit_events` in the console's database. Never a password or a token; a caller number never
 * (the row names the call). Read by supervisors and admins with `GET /api/audit`.
 */
export const AUDIT_ACTIONS = ['sign_in', 'sign_in_failed', 'sign_out', 'role_change', 'caller_reveal', 'sessions_revoked', 'totp_enrolled', 'totp_reset'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEntry {
  action: AuditAction;
  /** who acted: the signed-in user, the username typed at a failed sign-in, or the tool (`users-cli`) */
  actor?: string;
  /** what it was done to: the user whose role changed, the call whose caller was revealed */
  subject?: string;
  /** `ok`, `wrong_credentials`, `throttled`, or the HTTP status of a reveal that did not succeed */
  outcome: string;
  address?: string;
  workstation?: string;
  /** small JSON facts, e.g. `{from, to}` of a role change */
  detail?: Record<string, unknown>;
}

/** Appends one entry. */
export async function recordAudit(db: Sql, e: AuditEntry): Promise<void> {
  await db.exec('INSERT INTO audit_events (action, actor, subject, outcome, address, workstation, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    e.action,
    e.actor?.slice(0, 64) ?? null,
    e.subject?.slice(0, 128) ?? null,
    e.outcome.slice(0, 32),
    e.address?.slice(0, 64) ?? null,
    e.workstation?.slice(0, 128) ?? null,
    e.detail ? JSON.stringify(e.detail) : null,
  ]);
}

const AuditEvent = z
  .object({
    id: z.string().describe('sequence number, as a string'),
    at: z.string().describe('UTC ISO-8601'),
    action: z.enum(AUDIT_ACTIONS),
    actor: z.string().nullable(),
    subject: z.string().nullable(),
    outcome: z.string(),
    address: z.string().nullable(),
    workstation: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'AuditEvent' });
const AuditPage = z.object({ items: z.array(AuditEvent), nextBefore: z.string().optional().describe('pass as `before` for the next (older) page') }).meta({ id: 'AuditPage' });
const AuditQuery = z
  .object({
    action: z.enum(AUDIT_ACTIONS).optional(),
    actor: z.string().max(64).optional(),
    before: z.string().regex(/^\d{1,19}$/).optional().describe('only entries with a smaller id (paging)'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

interface Row {
  id: string;
  at: Date;
  action: AuditAction;
  actor: string | null;
  subject: string | null;
  outcome: string;
  address: string | null;
  workstation: string | null;
  detail: Record<string, unknown> | null;
}

/** `GET /api/audit`: the newest entries first, for supervisors and admins. */
export function auditRoutes(db: Sql): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/api/audit',
      operationId: 'audit',
      summary: 'The audit trail: sign-ins, sign-outs, role changes, caller reveals, session revocations',
      description: 'Newest first; filter by `action` or `actor`; page with `before` (= `nextBefore` of the previous page). No passwords or tokens are ever recorded.',
      tags: ['auth'],
      roles: ['supervisor'],
      query: AuditQuery,
      responses: { 200: { description: 'A page of entries', schema: AuditPage } },
      handler: async (req, res) => {
        const q = parseQuery(AuditQuery, req);
        const rows = await db.query<Row>(
          `SELECT id::text AS id, at, action, actor, subject, outcome, address, workstation, detail FROM audit_events
            WHERE ($1::text IS NULL OR action = $1) AND ($2::text IS NULL OR actor = $2) AND ($3::bigint IS NULL OR id < $3)
            ORDER BY audit_events.id DESC LIMIT $4`,
          [q.action ?? null, q.actor ?? null, q.before ?? null, q.limit],
        );
        const items = rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() }));
        res.set('cache-control', 'no-store').json({ items, ...(rows.length === q.limit ? { nextBefore: rows[rows.length - 1]!.id } : {}) });
      },
    },
  ];
}

/**
 * Middleware in front of the gateway: a request for a call with `?reveal=caller` through
 * `/api/intake/calls/:id` is recorded once its answer is sent (outcome `ok` on 2xx, `masked` for a
 * role intake shows only the masked number, else the status). The actor is the verified token's; a request without a valid token is not recorded
 * (intake answers it 401 and reveals nothing).
 */
export function auditReveals(db: Sql, ring: PublicKeyRing, logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const m = /^\/api\/intake\/calls\/([^/?]+)/.exec(req.path);
    if (!m || req.method !== 'GET' || req.query.reveal !== 'caller') return next();
    const header = req.header('authorization');
    let claims;
    try {
      claims = header?.startsWith('Bearer ') ? verifyToken(header.slice(7), ring) : undefined;
    } catch {
      claims = undefined;
    }
    if (claims) {
      const who = claims;
      res.on('finish', () => {
        // intake answers other roles 200 with the number masked
        const outcome = res.statusCode < 200 || res.statusCode > 299 ? String(res.statusCode) : maySeeCallerNumbers(who) ? 'ok' : 'masked';
        recordAudit(db, { action: 'caller_reveal', actor: who.sub, subject: decodeURIComponent(m[1]!), outcome, address: req.ip, ...(who.workstation ? { workstation: who.workstation } : {}), detail: { role: who.role } }).catch((err) =>
          logger.error({ err }, 'audit of a caller reveal failed'),
        );
      });
    }
    next();
  };
}
