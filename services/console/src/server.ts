import type { Express } from 'express';
import { authorizeRoutes, publicKeys, signingKey } from '@cad110/auth';
import { loadTaxonomy, type Taxonomy } from '@cad110/contracts';
import { createBaseApp, finishApp, serveRoutes } from '@cad110/http';
import type { ServiceRuntime } from '@cad110/runtime';
import { auditReveals, auditRoutes } from './auth/audit';
import { authRoutes } from './auth/routes';
import { sessionAdminRoutes } from './auth/session-admin';
import { refreshRoutes } from './auth/sessions';
import { totpRoutes } from './auth/totp-routes';
import { consoleConfig, type ConsoleConfig } from './config';
import { consoleApiRoutes } from './console-api';
import { gatewayMetricsRoutes, gatewayRoutes } from './gateway/proxy';
import { LiveFeed } from './live/live-feed';
import { liveRoutes } from './live/routes';
import { securityHeaders } from './web-assets/security-headers';
import { staticRoutes } from './web-assets/static';

export type ConsoleRuntime = ServiceRuntime;

/**
 * Builds the console's express app (used by main.ts and by the tests):
 * `/auth/login`, `/auth/me`, `/auth/logout` (sign-in), `/api/audit` (the audit trail), `/api/auth/*` (sessions: list, revoke), `/auth/totp/enrolment` (second factor), `/api/live` (server-sent events from Kafka),
 * `/api/console/*` (taxonomy, map), `/api/{intake,dispatch,records,statistics}/*` (gateway),
 * and the SPA. The live feed is created here and started by the caller (`feed.start()`).
 */
export function createServer(rt: ConsoleRuntime, cfg: ConsoleConfig = consoleConfig(), taxonomy: Taxonomy = loadTaxonomy()): { app: Express; feed: LiveFeed } {
  const ring = publicKeys();
  const signer = signingKey();
  const feed = new LiveFeed(rt.kafka, rt.logger, rt.metrics);
  const app = createBaseApp({
    service: 'console',
    logger: rt.logger,
    metrics: rt.metrics,
    readiness: [...rt.readiness, { name: 'live', check: async () => feed.ready }],
  });
  app.use(securityHeaders(cfg.desk.mapTiles?.url));
  serveRoutes(app, [...authRoutes(rt.db, signer, cfg.accessTokenSeconds, undefined, { requireTotp: cfg.requireTotp }), ...refreshRoutes(rt.db, signer, cfg.accessTokenSeconds), ...totpRoutes(rt.db), ...auditRoutes(rt.db), ...sessionAdminRoutes(rt.db), ...liveRoutes(feed), ...consoleApiRoutes(taxonomy, cfg.mapFile, cfg.traceViewerUrl, cfg.desk), ...gatewayMetricsRoutes()], {
    authorize: authorizeRoutes(ring),
    info: {
      title: 'cad110 console API',
      version: '1.0.0',
      description:
        "The console: sign-in, the live event stream, the SPA's reference data, and the gateway `/api/{intake,dispatch,records,statistics}/*` to the four services (their own /openapi.json documents what lies behind, e.g. /api/intake/openapi.json). Errors RFC 9457 problem+json. See services/console/README.md.",
      tags: { auth: 'Sign-in', live: 'Server-sent events', console: 'Reference data of the SPA', gateway: 'Role checks the gateway adds', reference: 'API description', operations: 'Health, readiness and metrics' },
    },
  });
  app.use(auditReveals(rt.db, ring, rt.logger));
  app.use(gatewayRoutes(cfg, rt.logger));
  app.use(staticRoutes(cfg.webDist));
  return { app: finishApp(app, rt.logger), feed };
}
