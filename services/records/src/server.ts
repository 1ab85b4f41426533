import type { Express } from 'express';
import { bureauTimeZone } from '@cad110/contracts';
import { authenticate } from '@cad110/auth';
import { createBaseApp, finishApp } from '@cad110/http';
import type { ServiceRuntime } from '@cad110/runtime';
import type { PrismaClient, RecordsTx } from './prisma';
import { caseRoutes } from './cases/routes';

export type RecordsRuntime = ServiceRuntime<PrismaClient, RecordsTx>;

/** Builds records' express app (used by main.ts and by the API tests). */
export function createServer(rt: RecordsRuntime, timeZone = bureauTimeZone()): Express {
  const app = createBaseApp({ service: 'records', logger: rt.logger, metrics: rt.metrics, readiness: rt.readiness });
  app.use(authenticate());
  app.use(caseRoutes(rt.prisma, timeZone));
  return finishApp(app, rt.logger);
}
