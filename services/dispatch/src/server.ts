import type { Express } from 'express';
import { authorizeRoutes } from '@cad110/auth';
import { createBaseApp, finishApp, serveRoutes } from '@cad110/http';
import { createDispatchContext, type DispatchContext, type DispatchRuntime } from './context';
import { dispatchRoutes } from './routes';

export type { DispatchRuntime };

/** Builds dispatch's express app from its route table, with `GET /openapi.json` (used by main.ts and by the API tests). */
export function createServer(rt: DispatchRuntime, ctx: DispatchContext = createDispatchContext(rt)): { app: Express; ctx: DispatchContext } {
  const app = createBaseApp({ service: 'dispatch', logger: rt.logger, metrics: rt.metrics, readiness: rt.readiness });
  serveRoutes(app, dispatchRoutes(ctx, rt.db, rt.logger), {
    authorize: authorizeRoutes(),
    info: {
      title: 'cad110 dispatch API',
      version: '1.0.0',
      description:
        'Dispatch (调度): incidents opened from calls handed over by intake, unit recommendations (run cards, ETA), assignments (出警/改派), unit status and AVL, duty levels (常态/加强/战时), overdue timers. Times UTC ISO-8601; distances metres; ETAs seconds; coordinates WGS84 degrees. Errors RFC 9457 problem+json. See services/dispatch/README.md.',
      tags: {
        incidents: '警情: the incident aggregate, its views and commands',
        assignments: '出警 / 改派: dispatching units to incidents',
        units: 'The unit registry, status reports and AVL fixes',
        duty: '勤务等级: duty levels per district',
        recommendations: 'Unit recommendations and their configuration (run cards, ETA model)',
        timers: 'Overdue alerts of the unit status timers',
        reference: 'County map and API description',
        operations: 'Health, readiness and metrics',
      },
    },
  });
  return { app: finishApp(app, rt.logger), ctx };
}
