import type { Express } from 'express';
import { bureauTimeZone } from '@cad110/contracts';
import { authenticate } from '@cad110/auth';
import { createBaseApp, finishApp } from '@cad110/http';
import type { ServiceRuntime } from '@cad110/runtime';
import type { PrismaClient, StatisticsTx } from './prisma';
import { statsRoutes } from './facts/routes';

export type StatisticsRuntime = ServiceRuntime<PrismaClient, StatisticsTx>;

/** Builds statistics' express app (used by main.ts and by the API tests). */
export function createServer(rt: StatisticsRuntime, timeZone = bureauTimeZone()): Express {
  const app = createBaseApp({ service: 'statistics', logger: rt.logger, metrics: rt.metrics, readiness: rt.readiness });
  app.use(authenticate());
  app.use(statsRoutes(rt.prisma, timeZone));
  return finishApp(app, rt.logger);
}
