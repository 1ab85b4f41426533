import type { Express } from 'express';
import { authenticate } from '@cad110/auth';
import { bureauTimeZone, loadTaxonomy } from '@cad110/contracts';
import { createBaseApp, finishApp } from '@cad110/http';
import type { ServiceRuntime } from '@cad110/runtime';
import type { DispatchTx, PrismaClient } from './prisma';
import { DispatchService, type DispatchDeps } from './dispatch-service';
import { loadCountyMap } from './map/county-map';
import { loadEtaModel } from './recommend/eta';
import { loadRunCards } from './recommend/run-cards';
import { dispatchRoutes } from './routes';

export type DispatchRuntime = ServiceRuntime<PrismaClient, DispatchTx>;

/** Builds the dispatch service from the runtime and the configuration files (map, ETA model, run cards, taxonomy). */
export function createDispatchService(rt: DispatchRuntime, overrides: Partial<DispatchDeps> = {}): DispatchService {
  return new DispatchService({
    transaction: rt.sql,
    registry: rt.registry,
    taxonomy: loadTaxonomy(),
    eta: loadEtaModel(),
    runCards: loadRunCards(),
    map: loadCountyMap(),
    timeZone: bureauTimeZone(),
    clock: () => new Date(),
    published: () => rt.relay.nudge(),
    ...overrides,
  });
}

/** Builds dispatch's express app (used by main.ts and by the API tests). */
export function createServer(rt: DispatchRuntime, service: DispatchService = createDispatchService(rt)): { app: Express; service: DispatchService } {
  const app = createBaseApp({ service: 'dispatch', logger: rt.logger, metrics: rt.metrics, readiness: rt.readiness });
  app.use(authenticate());
  app.use(dispatchRoutes(service, rt.prisma));
  return { app: finishApp(app, rt.logger), service };
}
