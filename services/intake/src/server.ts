import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { loadTaxonomy, type Taxonomy } from '@cad110/contracts';
import { authorizeRoutes } from '@cad110/auth';
import { createBaseApp, finishApp, routeTableOf, serveRoutes, type RouteDoc } from '@cad110/http';
import type { ServiceRuntime } from '@cad110/runtime';
import { revealAuditRoutes } from './audit/reveals';
import { CallService } from './calls/call-service';
import { callRoutes } from './calls/routes';
import { deskRoutes } from './desk/routes';
import { DuplicateFinder } from './duplicates/finder';
import { duplicateConfig, loadCategoryCompatibility, type DuplicateConfig } from './duplicates/rules';

export type IntakeRuntime = ServiceRuntime;

const API_VERSION = '1.0.0';

/** Builds intake's express app (used by main.ts and by the API tests). */
export function createServer(
  rt: IntakeRuntime,
  taxonomy: Taxonomy = loadTaxonomy(),
  config: DuplicateConfig = duplicateConfig(),
): { app: Express; calls: CallService; finder: DuplicateFinder; openapi: Record<string, unknown>; routes: RouteDoc[] } {
  const finder = new DuplicateFinder(config, loadCategoryCompatibility(taxonomy));
  const env = (name: string, dflt: number) => (process.env[name] ? Number(process.env[name]) : dflt); // validated by intakeConfig at start-up
  const calls = new CallService({
    transaction: rt.db.transaction,
    registry: rt.registry,
    taxonomy,
    published: () => rt.relay.nudge(),
    finder,
    flagScore: env('DUPLICATE_FLAG_PERCENT', 80) / 100,
    doubleSubmitSeconds: env('DOUBLE_SUBMIT_SECONDS', 10),
  });
  const routes = [...callRoutes(calls, rt.db, taxonomy, finder, rt.logger), ...deskRoutes(rt.db, rt.registry), ...revealAuditRoutes(rt.db)];
  const app = createBaseApp({ service: 'intake', logger: rt.logger, metrics: rt.metrics, readiness: rt.readiness });
  // request id: the causation id of the events a request appends
  app.use((req, res, next) => {
    const id = req.header('x-request-id')?.slice(0, 128) || randomUUID();
    req.headers['x-request-id'] = id;
    res.set('X-Request-Id', id);
    next();
  });
  const openapi = serveRoutes(app, routes, {
    authorize: authorizeRoutes(),
    info: {
      title: 'cad110 intake API',
      version: API_VERSION,
      description:
        '110 call intake (接警): event-sourced calls with classification under the 110 taxonomy, SOP questions, duplicate detection and the timestamps NENA-STA-020 and NFPA 1225 measure. Times are UTC ISO-8601; distances metres; durations seconds. Errors are RFC 9457 problem+json. See services/intake/README.md.',
      tags: {
        calls: '接警: the call aggregate and its commands',
        duplicates: 'Duplicate-call detection',
        reference: 'Taxonomy and API description',
        operations: 'Health, readiness and metrics',
      },
    },
  });
  return { app: finishApp(app, rt.logger), calls, finder, openapi, routes: routeTableOf(app) };
}
