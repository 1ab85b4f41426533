import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '@cad110/logging';
import type { ServiceMetrics } from '@cad110/telemetry';
import { z } from 'zod';
import { problemHandler, ProblemError, rejectBadText, rejectMalformedUrl, requireJson } from './problem';
import type { RouteDoc, RouteSpec } from './route-table';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean>;
}

export interface BaseAppOptions {
  service: string;
  logger: Logger;
  metrics: ServiceMetrics;
  /** readiness checks, e.g. database and kafka (`GET /readyz`) */
  readiness: ReadinessCheck[];
  /** JSON body limit (default 64kb) */
  bodyLimit?: string;
}

/**
 * Express's `trust proxy` setting from `CAD110_TRUSTED_PROXIES`: a comma-separated list of the
 * reverse proxies' addresses or CIDR subnets (express/proxy-addr syntax, also `loopback`,
 * `linklocal`, `uniquelocal`), whose `X-Forwarded-For` is believed. Unset or empty: none
 * (`false`), so `req.ip` is the connecting socket's address.
 */
export function trustedProxies(env: NodeJS.ProcessEnv = process.env): false | string[] {
  const list = (env.CAD110_TRUSTED_PROXIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return list.length ? list : false;
}

/**
 * An express app with what every cad110 service has:
 * - `GET /healthz` → 200 `{status:"ok"}` while the process runs;
 * - `GET /readyz` → 200 when every readiness check passes, else 503 with each check's result;
 * - `GET /metrics` → Prometheus text format;
 * - JSON bodies only (415 otherwise), malformed JSON → 400 problem+json, a compressed body → 415;
 * - a malformed `%` escape, NUL or lone surrogate in the URL → 400; NUL or a lone surrogate in
 *   any string of the JSON body → 400 naming the fields (issue 13 item 8);
 * - request duration histogram by route.
 * These three are the first lines of the app's route table (`app.locals.routeTable`); add the
 * service's routes with {@link serveRoutes}, then call {@link finishApp}.
 */
export function createBaseApp(opts: BaseAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // X-Forwarded-For is believed only from the configured proxies: otherwise any client could
  // pick its own address (and reset per-address limits such as the console's sign-in throttle)
  app.set('trust proxy', trustedProxies());
  app.use((req: Request, res: Response, next: NextFunction) => {
    const end = opts.metrics.httpSeconds.startTimer({ method: req.method });
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ route, status: String(res.statusCode) });
    });
    next();
  });
  const base = baseRoutes(opts);
  for (const r of base) app[r.method](r.path, r.handler);
  (app.locals as { routeTable?: RouteDoc[] }).routeTable = base.map(({ handler: _h, ...d }) => d);
  app.use(rejectMalformedUrl);
  app.use(requireJson);
  // inflate: false — a body claiming Content-Encoding gzip/deflate/br is refused with 415
  // (`encoding.unsupported`) instead of being inflated: no client of these APIs compresses bodies
  app.use(express.json({ limit: opts.bodyLimit ?? '64kb', type: ['application/json', 'application/*+json'], inflate: false }));
  app.use(rejectBadText);
  return app;
}

/** Adds the 404 and problem+json error handlers; call last. */
export function finishApp(app: Express, logger: Logger): Express {
  app.use((req: Request, _res: Response, next: NextFunction) => next(ProblemError.notFound(`${req.method} ${req.path}`)));
  app.use(problemHandler(logger));
  return app;
}

const ReadyBody = z.object({
  status: z.enum(['ready', 'not ready']),
  checks: z.record(z.string(), z.boolean()).describe('each readiness check and whether it passed'),
  service: z.string(),
  pid: z.number().int().describe('the answering process: a supervisor (the devstack) checks the process it started is the one listening on the port'),
});

/** The probes and metrics every service has (public: no token). */
function baseRoutes(opts: BaseAppOptions): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/healthz',
      operationId: 'healthz',
      summary: 'Liveness: 200 while the process runs',
      tags: ['operations'],
      responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok'), service: z.string() }) } },
      handler: (_req, res) => {
        res.json({ status: 'ok', service: opts.service });
      },
    },
    {
      method: 'get',
      path: '/readyz',
      operationId: 'readyz',
      summary: 'Readiness: every readiness check (database, Kafka, ...) passes',
      tags: ['operations'],
      responses: { 200: { description: 'Ready', schema: ReadyBody }, 503: { description: 'Not ready', schema: ReadyBody } },
      handler: async (_req, res) => {
        const results = await Promise.all(opts.readiness.map(async (c) => [c.name, await c.check().catch(() => false)] as const));
        const ready = results.every(([, ok]) => ok);
        res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results), service: opts.service, pid: process.pid });
      },
    },
    {
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics (text exposition format 0.0.4)',
      description: 'Unauthenticated on the service port (scraped inside the cluster); through the console gateway it needs the ops, analyst or supervisor role.',
      tags: ['operations'],
      responses: { 200: { description: 'Metrics', contentType: 'text/plain' } },
      handler: async (_req, res) => {
        res.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
      },
    },
  ];
}
