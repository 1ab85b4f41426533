import type { Express } from 'express';
import { authorizeRoutes } from '@cad110/auth';
import { createBaseApp, finishApp, serveRoutes } from '@cad110/http';
import { statsRoutes } from './figures/routes';
import { adminRoutes } from './admin/routes';
import { projectionConfig } from './config';
import { ConsumerGate } from './projections/gate';
import type { LiveProjection, StatisticsRuntime } from './runtime';

export type { StatisticsRuntime } from './runtime';

/**
 * Builds statistics' express app (used by main.ts and by the API tests) from its route table:
 * the figures under /stats, POST /stats/admin/rebuild, GET /openapi.json. `live` is the
 * process' live projection (its consumer gate and live lock); without one the rebuild runs with a
 * gate of its own.
 */
export function createServer(rt: StatisticsRuntime, live: LiveProjection = { cfg: projectionConfig(), gate: new ConsumerGate() }): Express {
  const app = createBaseApp({ service: 'statistics', logger: rt.logger, metrics: rt.metrics, readiness: rt.readiness });
  const routes = [...statsRoutes(rt.db, { timeZone: live.cfg.timeZone, h3Resolution: live.cfg.h3Resolution }), ...adminRoutes(rt, live)];
  serveRoutes(app, routes, {
    authorize: authorizeRoutes(),
    info: {
      title: 'cad110 statistics API',
      version: '1.0.0',
      description: `The bureau's figures, projected from the calls, dispatch and cases topics. Local days and hours in ${live.cfg.timeZone}. Every figure answers JSON, or its table as CSV (RFC 4180, header row) with ?format=csv or Accept: text/csv. See services/statistics/README.md.`,
      tags: { figures: 'Counts, comparisons, response times, hot spots, deployment', admin: 'Projection rebuild', reference: 'API description', operations: 'Health, readiness and metrics' },
    },
  });
  return finishApp(app, rt.logger);
}
