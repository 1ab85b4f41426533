import { Router } from 'express';
import { z } from 'zod';
import { requireRole } from '@cad110/auth';
import { parseOr400, ProblemError } from '@cad110/http';
import type { PrismaClient } from '../prisma';

const ListQuery = z
  .object({
    status: z.enum(['pending', 'assigned', 'closed', 'cancelled']).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export function incidentRoutes(prisma: PrismaClient): Router {
  const r = Router();

  /**
   * GET /incidents?status=&limit= — incidents by priority (1 first) then age (oldest first),
   * each with its latest recommendations (ETA seconds, distance metres, circle badges, reasons).
   * 200 `{items, total}` where total counts every incident matching the filter.
   */
  r.get('/incidents', requireRole('dispatcher', 'supervisor', 'call_taker', 'analyst'), async (req, res) => {
    const { access_token: _t, ...query } = req.query;
    const q = parseOr400(ListQuery, query);
    const where = q.status ? { status: q.status } : {};
    const [items, total] = await Promise.all([
      prisma.incident.findMany({ where, orderBy: [{ priority: 'asc' }, { openedAt: 'asc' }], take: q.limit }),
      prisma.incident.count({ where }),
    ]);
    res.json({ items, total });
  });

  /** GET /incidents/{id} — one incident; 404 when unknown. */
  r.get('/incidents/:id', requireRole('dispatcher', 'supervisor', 'call_taker', 'analyst'), async (req, res) => {
    const parsed = z.uuid().safeParse(req.params.id);
    if (!parsed.success) throw ProblemError.validation([{ field: 'id', message: 'must be a UUID' }]);
    const incident = await prisma.incident.findUnique({ where: { id: parsed.data } });
    if (!incident) throw ProblemError.notFound(`incident ${parsed.data}`);
    res.json(incident);
  });

  /** GET /units — the unit registry with status and position (WGS84). */
  r.get('/units', requireRole('dispatcher', 'supervisor', 'call_taker', 'analyst'), async (_req, res) => {
    res.json({ items: await prisma.unit.findMany({ orderBy: { id: 'asc' } }) });
  });

  return r;
}
