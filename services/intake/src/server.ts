import type { Express } from 'express';
import { loadTaxonomy, type Taxonomy } from '@cad110/contracts';
import { authenticate } from '@cad110/auth';
import { createBaseApp, finishApp } from '@cad110/http';
import type { ServiceRuntime } from '@cad110/runtime';
import type { IntakeTx, PrismaClient } from './prisma';
import { CallService } from './calls/call-service';
import { callRoutes } from './calls/routes';

export type IntakeRuntime = ServiceRuntime<PrismaClient, IntakeTx>;

/** Builds intake's express app (used by main.ts and by the API tests). */
export function createServer(rt: IntakeRuntime, taxonomy: Taxonomy = loadTaxonomy()): { app: Express; calls: CallService } {
  const calls = new CallService({ transaction: rt.transaction, registry: rt.registry, taxonomy, published: () => rt.relay.nudge() });
  const app = createBaseApp({ service: 'intake', logger: rt.logger, metrics: rt.metrics, readiness: rt.readiness });
  app.use(authenticate());
  app.use(callRoutes(calls, rt.prisma, taxonomy));
  return { app: finishApp(app, rt.logger), calls };
}
