import { Router } from 'express';
import { z } from 'zod';
import { requireRole } from '@cad110/auth';
import { parseOr400, queryParams } from '@cad110/http';
import type { PrismaClient } from '../prisma';
import { READ } from '../roles';

/** GET /alerts?limit= — overdue alerts (not en route, check-in due), newest first. */
export function alertRoutes(prisma: PrismaClient): Router {
  const r = Router();
  r.get('/alerts', requireRole(...READ), async (req, res) => {
    const q = parseOr400(z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }).strict(), queryParams(req));
    const items = await prisma.unitAlert.findMany({ orderBy: { id: 'desc' }, take: q.limit });
    res.json({ items: items.map((a) => ({ ...a, id: a.id.toString() })) });
  });
  return r;
}
