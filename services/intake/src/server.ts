import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { z } from 'zod';
import { loadTaxonomy, type Taxonomy } from '@cad110/contracts';
import { authenticate } from '@cad110/auth';
import { createBaseApp, finishApp } from '@cad110/http';
import type { ServiceRuntime } from '@cad110/runtime';
import type { IntakeTx, PrismaClient } from './prisma';
import { CallService } from './calls/call-service';
import { callRoutes } from './calls/routes';
import { Problem } from './calls/schemas';
import { DuplicateFinder } from './duplicates/finder';
import { duplicateConfig, loadCategoryCompatibility, type DuplicateConfig } from './duplicates/rules';
import { buildOpenApi, mountRoutes, type RouteDoc } from './http/openapi';

export type IntakeRuntime = ServiceRuntime<PrismaClient, IntakeTx>;

const API_VERSION = '1.0.0';

/** Routes of the base app (libs/http), documented here so /openapi.json covers every route. */
const BASE_ROUTES: RouteDoc[] = [
  { method: 'get', path: '/healthz', operationId: 'healthz', summary: 'Liveness: 200 while the process runs', tags: ['operations'], responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok'), service: z.string() }) } } },
  {
    method: 'get',
    path: '/readyz',
    operationId: 'readyz',
    summary: 'Readiness: database and Kafka reachable',
    tags: ['operations'],
    responses: {
      200: { description: 'Ready', schema: z.object({ status: z.string(), checks: z.record(z.string(), z.boolean()) }) },
      503: { description: 'Not ready', schema: z.object({ status: z.string(), checks: z.record(z.string(), z.boolean()) }) },
    },
  },
  { method: 'get', path: '/metrics', operationId: 'metrics', summary: 'Prometheus metrics (text exposition format)', tags: ['operations'], responses: { 200: { description: 'Metrics', contentType: 'text/plain' } } },
];

/** Builds intake's express app (used by main.ts and by the API tests). */
export function createServer(
  rt: IntakeRuntime,
  taxonomy: Taxonomy = loadTaxonomy(),
  config: DuplicateConfig = duplicateConfig(),
): { app: Express; calls: CallService; finder: DuplicateFinder; openapi: Record<string, unknown>; routes: RouteDoc[] } {
  const calls = new CallService({ transaction: rt.sql, registry: rt.registry, taxonomy, published: () => rt.relay.nudge() });
  const finder = new DuplicateFinder(config, loadCategoryCompatibility(taxonomy));
  const routes = callRoutes(calls, rt.prisma, taxonomy, finder);
  const openApiRoute: RouteDoc = {
    method: 'get',
    path: '/openapi.json',
    operationId: 'openapi',
    summary: 'This OpenAPI 3.1 document',
    tags: ['reference'],
    responses: { 200: { description: 'OpenAPI 3.1.0 document' } },
  };
  const docs: RouteDoc[] = [...BASE_ROUTES, openApiRoute, ...routes];
  const openapi = buildOpenApi(docs, {
    title: 'cad110 intake API',
    version: API_VERSION,
    description:
      '110 call intake (接警): event-sourced calls with classification under the 110 taxonomy, SOP questions, duplicate detection and the timestamps NENA-STA-020 and NFPA 1225 measure. Times are UTC ISO-8601; distances metres; durations seconds. Errors are RFC 9457 problem+json. See services/intake/README.md.',
  }, Problem);

  const app = createBaseApp({ service: 'intake', logger: rt.logger, metrics: rt.metrics, readiness: rt.readiness });
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  // request id: the causation id of the events a request appends
  app.use((req, res, next) => {
    const id = req.header('x-request-id')?.slice(0, 128) || randomUUID();
    req.headers['x-request-id'] = id;
    res.set('X-Request-Id', id);
    next();
  });
  app.use(authenticate());
  app.use(mountRoutes(routes));
  return { app: finishApp(app, rt.logger), calls, finder, openapi, routes: docs };
}
