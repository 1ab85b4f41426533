import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { format } from 'node:util';
import { Router, type Request, type Response } from 'express';
import { createProxyMiddleware, fixRequestBody } from 'http-proxy-middleware';
import type { Role } from '@cad110/auth';
import type { RouteSpec } from '@cad110/http';
import type { Logger } from '@cad110/logging';
import { UPSTREAMS, type ConsoleConfig } from '../config';

/** Roles that may read a service's Prometheus text through the gateway (the services serve it unauthenticated on their own port). */
export const METRICS_ROLES: Role[] = ['ops', 'analyst', 'supervisor'];

/**
 * The gateway: `/api/<service>/<path>` → `<service URL>/<path>` for intake, dispatch, records and
 * statistics, with method, query, JSON body and the `Authorization` header passed through
 * unchanged, so each service checks the token and the role itself (401/403 come from the
 * service). `X-Forwarded-For/-Proto/-Host` are added. `/api/<service>/metrics` additionally
 * needs one of {@link METRICS_ROLES} (or admin) at the gateway ({@link gatewayMetricsRoutes}, mounted before).
 * Errors of the gateway itself: 502 problem+json when the service is unreachable, 504 when it does
 * not answer within `proxyTimeoutMs`.
 * Library: http-proxy-middleware 3 (on node-http-proxy), mounted with `app.use(path)` — express 5
 * strips the mount path from `req.url`, which is what the proxy forwards.
 */
export function gatewayRoutes(cfg: ConsoleConfig, logger: Logger): Router {
  const r = Router();
  for (const name of UPSTREAMS) {
    r.use(
      `/api/${name}`,
      createProxyMiddleware<Request, Response>({
        target: cfg.upstreams[name],
        changeOrigin: true,
        xfwd: true,
        proxyTimeout: cfg.proxyTimeoutMs,
        logger: {
          info: () => undefined,
          warn: (...a: unknown[]) => logger.warn({ upstream: name }, format(...a)),
          error: (...a: unknown[]) => logger.error({ upstream: name }, format(...a)),
        },
        on: {
          // express.json() of the base app has consumed the body already: write it again
          proxyReq: fixRequestBody,
          error: (err, req, res) => problem(res, err as NodeJS.ErrnoException, name, (req as IncomingMessage).url ?? ''),
        },
      }),
    );
  }
  return r;
}

function problem(res: ServerResponse | Socket, err: NodeJS.ErrnoException, upstream: string, url: string): void {
  if (!('writeHead' in res) || res.headersSent) {
    res.destroy();
    return;
  }
  const timeout = err.code === 'ECONNRESET' && /socket hang up/i.test(err.message) ? false : err.code === 'ETIMEDOUT' || /timeout/i.test(err.message);
  const status = timeout ? 504 : 502;
  const title = timeout ? 'Gateway timeout' : 'Bad gateway';
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(
    JSON.stringify({
      type: `https://cad110.example/problems/${timeout ? 'gateway-timeout' : 'bad-gateway'}`,
      title,
      status,
      detail: `${upstream} did not answer (${err.code ?? err.message})`,
      instance: `/api/${upstream}${url}`,
      upstream,
    }),
  );
}

/**
 * `GET /api/<service>/metrics`: the role check the gateway adds in front of a service's
 * unauthenticated Prometheus text; the handler passes on to the proxy ({@link gatewayRoutes}).
 */
export function gatewayMetricsRoutes(): RouteSpec[] {
  return UPSTREAMS.map((name) => ({
    method: 'get' as const,
    path: `/api/${name}/metrics`,
    operationId: `${name}Metrics`,
    summary: `${name}'s Prometheus metrics through the gateway`,
    tags: ['gateway'],
    roles: METRICS_ROLES,
    responses: { 200: { description: 'Prometheus text exposition format 0.0.4', contentType: 'text/plain' }, 502: { description: `${name} unreachable` }, 504: { description: `${name} did not answer in time` } },
    handler: (_req, _res, next) => next(),
  }));
}
