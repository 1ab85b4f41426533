import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '@cad110/logging';
import type { ServiceMetrics } from '@cad110/telemetry';
import { problemHandler, ProblemError, requireJson } from './problem';

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
 * An express app with what every cad110 service has:
 * - `GET /healthz` → 200 `{status:"ok"}` while the process runs;
 * - `GET /readyz` → 200 when every readiness check passes, else 503 with each check's result;
 * - `GET /metrics` → Prometheus text format;
 * - JSON bodies only (415 otherwise), malformed JSON → 400 problem+json;
 * - request duration histogram by route.
 * Call {@link finishApp} after adding the service's routes.
 */
export function createBaseApp(opts: BaseAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.use((req: Request, res: Response, next: NextFunction) => {
    const end = opts.metrics.httpSeconds.startTimer({ method: req.method });
    res.on('finish', () => {
      const route = (req.route?.path as string | undefined) ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ route, status: String(res.statusCode) });
    });
    next();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: opts.service });
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(opts.readiness.map(async (c) => [c.name, await c.check().catch(() => false)] as const));
    const ready = results.every(([, ok]) => ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });
  app.use(requireJson);
  app.use(express.json({ limit: opts.bodyLimit ?? '64kb', type: ['application/json', 'application/*+json'] }));
  return app;
}

/** Adds the 404 and problem+json error handlers; call last. */
export function finishApp(app: Express, logger: Logger): Express {
  app.use((req: Request, _res: Response, next: NextFunction) => next(ProblemError.notFound(`${req.method} ${req.path}`)));
  app.use(problemHandler(logger));
  return app;
}
