import type { Express } from 'express';
import { authenticate } from '@cad110/auth';
import { createBaseApp, finishApp } from '@cad110/http';
import { createDispatchContext, type DispatchContext, type DispatchRuntime } from './context';
import { dispatchRoutes } from './routes';

export type { DispatchRuntime };

/** Builds dispatch's express app (used by main.ts and by the API tests). */
export function createServer(rt: DispatchRuntime, ctx: DispatchContext = createDispatchContext(rt)): { app: Express; ctx: DispatchContext } {
  const app = createBaseApp({ service: 'dispatch', logger: rt.logger, metrics: rt.metrics, readiness: rt.readiness });
  app.use(authenticate());
  app.use(dispatchRoutes(ctx, rt.prisma));
  return { app: finishApp(app, rt.logger), ctx };
}
