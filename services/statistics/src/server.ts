import type { Express } from 'express';
import { authenticate } from '@cad110/auth';
import { createBaseApp, finishApp } from '@cad110/http';
import type { ServiceRuntime } from '@cad110/runtime';
import type { PrismaClient, StatisticsTx } from './prisma';
import { statsRoutes } from './figures/routes';
import { openApiDocument } from './figures/openapi';
import { adminRoutes } from './admin/routes';
import { projectionConfig } from './config';
import type { LiveProjection } from './consumers';
import { ConsumerGate } from './projections/gate';

export type StatisticsRuntime = ServiceRuntime<PrismaClient, StatisticsTx>;

/**
 * Builds statistics' express app (used by main.ts and by the API tests): the figures under
 * /stats, GET /openapi.json, and POST /stats/admin/rebuild. `live` is the process' live
 * projection (its consumer gate and live lock); without one the rebuild runs with a gate of its own.
 */
export function createServer(rt: StatisticsRuntime, live: LiveProjection = { cfg: projectionConfig(), gate: new ConsumerGate() }): Express {
  const app = createBaseApp({ service: 'statistics', logger: rt.logger, metrics: rt.metrics, readiness: rt.readiness });
  app.use(authenticate());
  const stats = statsRoutes(rt.prisma, { timeZone: live.cfg.timeZone, h3Resolution: live.cfg.h3Resolution });
  const doc = openApiDocument({ timeZone: live.cfg.timeZone });
  /** GET /openapi.json: the OpenAPI 3.1 document of this API (any signed-in role). */
  app.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  app.use(stats);
  app.use(adminRoutes(rt, live));
  return finishApp(app, rt.logger);
}
