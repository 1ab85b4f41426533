import { Router } from 'express';
import { assignmentRoutes } from './assignments/routes';
import type { DispatchContext } from './context';
import { dutyRoutes } from './duty/routes';
import { incidentRoutes } from './incidents/routes';
import { mapRoutes } from './map/routes';
import type { PrismaClient } from './prisma';
import { recommendRoutes } from './recommend/routes';
import { alertRoutes } from './timers/routes';
import { unitRoutes } from './units/routes';

/**
 * Dispatch's HTTP API: each slice's routes (incidents/, assignments/, units/, duty/, recommend/,
 * timers/, map/). Times are UTC ISO-8601 with `Z`; distances metres; ETAs seconds; coordinates
 * WGS84 degrees. `at` (optional on every command) back-dates a late entry or a historical replay;
 * a time more than the clock-skew tolerance (5 s, libs/contracts) ahead of the service clock is
 * refused with 400. Versions: responses carry `ETag: "<version>"`; commands accept `If-Match`
 * and answer 412 with `currentVersion` when it is stale. Refused transitions answer 409
 * problem+json with a `code` (libs/http `problemOf`).
 */
export function dispatchRoutes(ctx: DispatchContext, prisma: PrismaClient): Router {
  const r = Router();
  r.use(incidentRoutes(ctx, prisma));
  r.use(recommendRoutes(ctx));
  r.use(assignmentRoutes(ctx));
  r.use(unitRoutes(ctx, prisma));
  r.use(alertRoutes(prisma));
  r.use(dutyRoutes(ctx));
  r.use(mapRoutes(ctx));
  return r;
}
