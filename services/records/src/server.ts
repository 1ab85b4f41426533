import type { Express } from 'express';
import { bureauTimeZone } from '@cad110/contracts';
import { authorizeRoutes } from '@cad110/auth';
import { createBaseApp, finishApp, serveRoutes } from '@cad110/http';
import type { ServiceRuntime } from '@cad110/runtime';
import { caseRoutes } from './cases/routes';
import { CaseService } from './cases/case-service';
import { loadEidoSchema, type EidoSchema } from './eido/schema';

export type RecordsRuntime = ServiceRuntime;

export interface RecordsServerOptions {
  /** IANA zone of local days (default `BUREAU_TIME_ZONE`, else Asia/Shanghai) */
  timeZone?: string;
  /** validate every EIDO against the NENA schema before serving it (default: on only when `EIDO_VALIDATE=true`); the schema is compiled here, before the service listens (seconds of CPU) */
  validateEido?: boolean;
}

/** Builds records' express app (used by main.ts and by the API tests). */
export function createServer(rt: RecordsRuntime, opts: RecordsServerOptions = {}): Express {
  const timeZone = opts.timeZone ?? bureauTimeZone();
  const app = createBaseApp({ service: 'records', logger: rt.logger, metrics: rt.metrics, readiness: rt.readiness });
  const service = new CaseService({ transaction: rt.db.transaction, registry: rt.registry, logger: rt.logger, published: () => rt.relay.nudge() });
  const validate = opts.validateEido ?? process.env.EIDO_VALIDATE === 'true';
  // compiled up front so no request blocks the event loop while it compiles
  const schema: EidoSchema | undefined = validate ? loadEidoSchema() : undefined;
  const routes = caseRoutes({
    db: rt.db,
    service,
    registry: rt.registry,
    logger: rt.logger,
    timeZone,
    ...(schema ? { eidoSchema: () => schema } : {}),
  });
  serveRoutes(app, routes, {
    authorize: authorizeRoutes(),
    info: {
      title: 'cad110 records API',
      version: '1.0.0',
      description:
        'Records (案件): a case per incident, opened from dispatch events; narratives, parties, disposition, close and reopen as events; the audit timeline of the call; EIDO export (NENA-STA-021). Times UTC ISO-8601; local days in the bureau zone. Errors RFC 9457 problem+json. See services/records/README.md.',
      tags: { cases: '案件: the case aggregate, its commands, timeline and exports', reference: 'API description', operations: 'Health, readiness and metrics' },
    },
  });
  return finishApp(app, rt.logger);
}
