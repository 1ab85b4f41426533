import { Router } from 'express';
import { z } from 'zod';
import { actorOf, requireRole } from '@cad110/auth';
import { IsoUtc } from '@cad110/contracts';
import { ifMatchVersion, parseOr400, ProblemError, queryParams } from '@cad110/http';
import type { DispatchContext } from '../context';
import type { PrismaClient } from '../prisma';
import { uuidParam } from '../params';
import { DISPATCH, READ } from '../roles';
import { cancelIncident } from './cancel';
import { closeIncident } from './close';

const ListQuery = z
  .object({
    status: z.enum(['pending', 'assigned', 'closed', 'cancelled']).optional(),
    callId: z.uuid().optional(),
    externalSource: z.string().max(64).optional(),
    externalId: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

const AtField = IsoUtc.optional().describe('UTC ISO-8601 time it happened (late entry / replay); default now; future times are refused');
export const ReasonBody = z.object({ reason: z.string().min(1).max(500), at: AtField }).strict();

/** The incident views (list, pending queue, one incident) and the incident commands (cancel, close). */
export function incidentRoutes(ctx: DispatchContext, prisma: PrismaClient): Router {
  const r = Router();

  /**
   * GET /incidents?status=&callId=&externalSource=&externalId=&limit= — incidents by priority
   * (1 first) then age (oldest first); `status=pending` is the pending queue; `externalSource` +
   * `externalId` find the incident of a replayed source call. 200 `{items, total}`.
   */
  r.get('/incidents', requireRole(...READ), async (req, res) => {
    const q = parseOr400(ListQuery, queryParams(req));
    const where = {
      ...(q.status ? { status: q.status } : {}),
      ...(q.callId ? { callId: q.callId } : {}),
      ...(q.externalSource ? { externalSource: q.externalSource } : {}),
      ...(q.externalId ? { externalId: q.externalId } : {}),
    };
    const [items, total] = await Promise.all([
      prisma.incident.findMany({ where, orderBy: [{ priority: 'asc' }, { openedAt: 'asc' }], take: q.limit }),
      prisma.incident.count({ where }),
    ]);
    res.json({ items, total });
  });

  /** GET /incidents/queue — the pending queue (no unit working them): priority, then age. 200 `{items, total}`. */
  r.get('/incidents/queue', requireRole(...READ), async (_req, res) => {
    const where = { status: 'pending' };
    const [items, total] = await Promise.all([prisma.incident.findMany({ where, orderBy: [{ priority: 'asc' }, { openedAt: 'asc' }], take: 500 }), prisma.incident.count({ where })]);
    res.json({ items, total });
  });

  /**
   * GET /incidents/{id} — the incident with its unit assignments; `ETag` = the incident's stream
   * version (the `If-Match` token of its commands), `Cache-Control: no-store`. 404 when unknown.
   * The units' statuses change without the incident's version, so that ETag is no cache validator
   * of this body: `If-None-Match` is ignored and the answer is always 200 with the current state.
   */
  r.get('/incidents/:id', requireRole(...READ), async (req, res) => {
    delete req.headers['if-none-match'];
    res.set('Cache-Control', 'no-store');
    const id = uuidParam(req);
    const incident = await prisma.incident.findUnique({ where: { id } });
    if (!incident) throw ProblemError.notFound(`incident ${id}`);
    const units = await prisma.incidentUnit.findMany({ where: { incidentId: id }, orderBy: { id: 'asc' } });
    res.set('ETag', `"${incident.version}"`).json({ ...incident, units: units.map(({ id: _i, ...u }) => u) });
  });

  /**
   * POST /incidents/{id}/cancel `{reason, at?}` — IncidentCancelled; units still on it are
   * cleared. If-Match: incident version. 200 `{incidentId, version, events}`; 404; 409; 412.
   */
  r.post('/incidents/:id/cancel', requireRole(...DISPATCH), async (req, res) => {
    const out = await cancelIncident(ctx, uuidParam(req), parseOr400(ReasonBody, req.body), actorOf(req), ifMatchVersion(req));
    res.set('ETag', `"${out.version}"`).json(out);
  });

  /**
   * POST /incidents/{id}/close `{reason, at?}` — close by hand when no unit is working it
   * (incidents close by themselves when their last unit clears). 200; 404; 409 with units on it; 412.
   */
  r.post('/incidents/:id/close', requireRole(...DISPATCH), async (req, res) => {
    const out = await closeIncident(ctx, uuidParam(req), parseOr400(ReasonBody, req.body), actorOf(req), ifMatchVersion(req));
    res.set('ETag', `"${out.version}"`).json(out);
  });

  return r;
}
