import { Router } from 'express';
import { z } from 'zod';
import { requireRole } from '@cad110/auth';
import { IsoUtc } from '@cad110/contracts';
import { parseOr400, queryParams } from '@cad110/http';
import type { DispatchContext } from '../context';
import { READ } from '../roles';
import { uuidParam } from '../params';
import { recommendationsFor } from './recommend-for';

const RecommendQuery = z
  .object({ at: IsoUtc.optional(), alternates: z.coerce.number().int().min(0).max(20).optional(), includeReplayUnits: z.enum(['true', 'false']).optional() })
  .strict();

/** Recommendations and the configuration they come from (run cards, ETA model). */
export function recommendRoutes(ctx: DispatchContext): Router {
  const r = Router();

  /**
   * GET /incidents/{id}/recommendations?at=&alternates=&includeReplayUnits= — live ranking of
   * free on-duty units at `at` (default now): run card, and per unit ETA seconds, distance metres,
   * 1/3/5-minute circle flags, role (primary/alternate) and reasons. Read-only. 404 when unknown.
   */
  r.get('/incidents/:id/recommendations', requireRole(...READ), async (req, res) => {
    const id = uuidParam(req);
    const q = parseOr400(RecommendQuery, queryParams(req));
    res.json(await recommendationsFor(ctx, id, { ...(q.at ? { at: q.at } : {}), ...(q.alternates !== undefined ? { alternates: q.alternates } : {}), includeReplayUnits: q.includeReplayUnits === 'true' }));
  });

  /** GET /run-cards — the run cards in force; GET /eta-model — the ETA defaults with their sources. */
  r.get('/run-cards', requireRole(...READ), (_req, res) => {
    res.json({ cards: ctx.runCards.cards });
  });
  r.get('/eta-model', requireRole(...READ), (_req, res) => {
    res.json(ctx.eta.config);
  });

  return r;
}
