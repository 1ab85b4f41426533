import type { Express } from 'express';
import { authenticate } from '@cad110/auth';
import { createBaseApp, finishApp } from '@cad110/http';
import type { ServiceRuntime } from '@cad110/runtime';
import type { DispatchTx, PrismaClient } from './prisma';
import { incidentRoutes } from './incidents/routes';

export type DispatchRuntime = ServiceRuntime<PrismaClient, DispatchTx>;

/** Builds dispatch's express app (used by main.ts and by the API tests). */
export function createServer(rt: DispatchRuntime): Express {
  const app = createBaseApp({ service: 'dispatch', logger: rt.logger, metrics: rt.metrics, readiness: rt.readiness });
  app.use(authenticate());
  app.use(incidentRoutes(rt.prisma));
  return finishApp(app, rt.logger);
}
