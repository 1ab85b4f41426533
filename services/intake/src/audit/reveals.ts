import type { Request } from 'express';
import { z } from 'zod';
import { maySeeCallerNumbers } from '@cad110/auth';
import type { Sql } from '@cad110/db';
import { parseQuery, type RouteSpec } from '@cad110/http';

/**
 * The audit of caller-number reveals made at intake (issue 19.5): every `GET /calls/{id}?reveal=caller`
 * for an existing call is a row of `caller_reveals` — directly at intake or through the console's
 * gateway (which keeps its own entry in the console's audit trail as well). Who (token subject,
 * role, workstation), which call, when, the request id, and `revealed` or `masked` (roles that
 * may not see numbers get the masked number). Never the number itself. The row is written before
 * the answer is sent: if it cannot be written, the request fails (500) and nothing is revealed.
 */
export type RevealOutcome = 'revealed' | 'masked';

/**
 * Records one reveal of the caller of `callId` asked by `req`'s user.
 * @returns the outcome recorded: `revealed` when the role may see caller numbers, else `masked`
 */
export async function recordReveal(db: Sql, req: Request, callId: string): Promise<RevealOutcome> {
  const user = req.user!;
  const outcome: RevealOutcome = maySeeCallerNumbers(user) ? 'revealed' : 'masked';
  const workstation = user.workstation ?? req.header('x-workstation');
  await db.exec('INSERT INTO caller_reveals (call_id, actor, role, workstation, request_id, outcome) VALUES ($1, $2, $3, $4, $5, $6)', [
    callId,
    user.sub.slice(0, 64),
    user.role.slice(0, 32),
    workstation?.slice(0, 128) ?? null,
    req.header('x-request-id')?.slice(0, 128) ?? null,
    outcome,
  ]);
  return outcome;
}

const Reveal = z
  .object({
    id: z.string().describe('sequence number, as a string'),
    at: z.string().describe('UTC ISO-8601'),
    callId: z.string(),
    actor: z.string().describe("the token's subject (username)"),
    role: z.string(),
    workstation: z.string().nullable(),
    requestId: z.string().nullable(),
    outcome: z.enum(['revealed', 'masked']),
  })
  .meta({ id: 'CallerReveal' });
const RevealPage = z.object({ items: z.array(Reveal), nextBefore: z.string().optional().describe('pass as `before` for the next (older) page') }).meta({ id: 'CallerRevealPage' });
const RevealQuery = z
  .object({
    callId: z.uuid({ error: 'must be a UUID' }).optional(),
    actor: z.string().min(1).max(64).optional(),
    before: z.string().regex(/^\d{1,19}$/).optional().describe('only entries with a smaller id (paging)'),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

interface Row {
  id: string;
  at: Date;
  call_id: string;
  actor: string;
  role: string;
  workstation: string | null;
  request_id: string | null;
  outcome: RevealOutcome;
}

/**
 * `GET /audit/reveals?callId=&actor=&before=&limit=` (supervisors, admins) → 200
 * `{items: [{id, at, callId, actor, role, workstation, requestId, outcome}], nextBefore?}`, newest
 * first, `limit` 1–500 (default 100); 400 problem+json for a bad query.
 */
export function revealAuditRoutes(db: Sql): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/audit/reveals',
      operationId: 'callerReveals',
      summary: 'The audit of caller-number reveals (who, which call, when; never the number)',
      description: 'Every `GET /calls/{id}?reveal=caller` for an existing call, newest first; `outcome` revealed, or masked for roles that may not see numbers. Filter by `callId` or `actor`; page with `before` (= `nextBefore`). Times UTC ISO-8601.',
      tags: ['calls'],
      roles: ['supervisor'],
      query: RevealQuery,
      responses: { 200: { description: 'A page of reveals', schema: RevealPage } },
      handler: async (req, res) => {
        const q = parseQuery(RevealQuery, req);
        const rows = await db.query<Row>(
          `SELECT id::text AS id, at, call_id, actor, role, workstation, request_id, outcome FROM caller_reveals
            WHERE ($1::uuid IS NULL OR call_id = $1) AND ($2::text IS NULL OR actor = $2) AND ($3::bigint IS NULL OR id < $3)
            ORDER BY caller_reveals.id DESC LIMIT $4`,
          [q.callId ?? null, q.actor ?? null, q.before ?? null, q.limit],
        );
        const items = rows.map((r) => ({ id: r.id, at: new Date(r.at).toISOString(), callId: r.call_id, actor: r.actor, role: r.role, workstation: r.workstation, requestId: r.request_id, outcome: r.outcome }));
        res.set('cache-control', 'no-store').json({ items, ...(rows.length === q.limit ? { nextBefore: rows[rows.length - 1]!.id } : {}) });
      },
    },
  ];
}
