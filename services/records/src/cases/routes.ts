import { Router } from 'express';
import { z } from 'zod';
import { localParts } from '@cad110/contracts';
import { requireRole } from '@cad110/auth';
import { parseOr400, ProblemError } from '@cad110/http';
import type { PrismaClient } from '../prisma';

const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), offset: z.coerce.number().int().min(0).default(0) }).strict();

export function caseRoutes(prisma: PrismaClient, timeZone: string): Router {
  const r = Router();

  /** GET /cases?limit=&offset= — cases newest first. 200 `{items, total}`. */
  r.get('/cases', requireRole('dispatcher', 'supervisor', 'analyst'), async (req, res) => {
    const { access_token: _t, ...query } = req.query;
    const q = parseOr400(ListQuery, query);
    const [items, total] = await Promise.all([
      prisma.case.findMany({ orderBy: [{ openedAt: 'desc' }, { caseNumber: 'desc' }], take: q.limit, skip: q.offset }),
      prisma.case.count(),
    ]);
    res.json({ items, total });
  });

  /** GET /cases/{id} — one case; 404 when unknown. */
  r.get('/cases/:id', requireRole('dispatcher', 'supervisor', 'analyst'), async (req, res) => {
    const id = uuid(req.params.id);
    const c = await prisma.case.findUnique({ where: { id } });
    if (!c) throw ProblemError.notFound(`case ${id}`);
    res.json(c);
  });

  /**
   * GET /cases/{id}/timeline — every call, dispatch and case event of the case's call in order,
   * with actor, workstation, UTC time and local time (bureau zone). Read-only: corrections are
   * new events. 200 `{caseId, timeZone, entries}`; 404 when unknown.
   */
  r.get('/cases/:id/timeline', requireRole('dispatcher', 'supervisor', 'analyst'), async (req, res) => {
    const id = uuid(req.params.id);
    const c = await prisma.case.findUnique({ where: { id }, select: { callId: true } });
    if (!c) throw ProblemError.notFound(`case ${id}`);
    const rows = await prisma.timelineEntry.findMany({ where: { callId: c.callId }, orderBy: [{ occurredAt: 'asc' }, { id: 'asc' }] });
    res.json({
      caseId: id,
      timeZone,
      entries: rows.map((e) => ({
        eventId: e.eventId,
        type: e.type,
        source: e.source,
        streamId: e.streamId,
        version: e.version,
        occurredAt: e.occurredAt.toISOString(),
        occurredAtLocal: localParts(e.occurredAt, timeZone).iso,
        recordedAt: e.recordedAt.toISOString(),
        actor: { id: e.actorId, role: e.actorRole },
        workstation: e.workstation,
      })),
    });
  });

  return r;
}

function uuid(v: unknown): string {
  const p = z.uuid().safeParse(v);
  if (!p.success) throw ProblemError.validation([{ field: 'id', message: 'must be a UUID' }]);
  return p.data;
}
