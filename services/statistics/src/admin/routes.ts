import { Router } from 'express';
import { actorOf, requireRole } from '@cad110/auth';
import { ProblemError } from '@cad110/http';
import type { StatisticsRuntime } from '../server';
import type { LiveProjection } from '../consumers';
import { statisticsTopics } from '../config';
import { rebuildProjections, RebuildRefused } from '../projections/rebuild';

/**
 * POST /stats/admin/rebuild (roles admin, ops): closes this process' consumer gate (waits for the
 * message in progress), rebuilds the projections from offset 0 (see rebuild.ts), opens the gate.
 * 200 with the rebuild summary; 409 problem+json when refused (another rebuild, other live
 * instances, or topics that no longer start at offset 0).
 */
export function adminRoutes(rt: StatisticsRuntime, live: LiveProjection): Router {
  const r = Router();
  let running = false;
  r.post('/stats/admin/rebuild', requireRole('ops'), async (req, res) => {
    const by = actorOf(req);
    if (running) throw ProblemError.conflict('a rebuild is already running in this instance');
    running = true;
    rt.logger.info({ actor: by.actor.id }, 'statistics rebuild requested');
    try {
      await live.gate.close();
    } catch (e) {
      running = false;
      throw e;
    }
    try {
      const result = await rebuildProjections({ pool: rt.pool, kafka: rt.kafka, registry: rt.registry, cfg: live.cfg, logger: rt.logger, topics: statisticsTopics(), ownLivePid: live.livePid });
      res.json(result);
    } catch (e) {
      if (e instanceof RebuildRefused) throw ProblemError.conflict(e.message);
      throw e;
    } finally {
      live.gate.open();
      running = false;
    }
  });
  return r;
}
