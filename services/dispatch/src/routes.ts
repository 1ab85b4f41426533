import type { Sql } from '@cad110/db';
import type { RouteSpec } from '@cad110/http';
import type { Logger } from '@cad110/logging';
import { assignmentRoutes } from './assignments/routes';
import { batchRoutes } from './batch/routes';
import type { DispatchContext } from './context';
import { dutyRoutes } from './duty/routes';
import { annotateRoutes } from './incidents/annotate-routes';
import { incidentRoutes } from './incidents/routes';
import { mapRoutes } from './map/routes';
import { recommendRoutes } from './recommend/routes';
import { alertRoutes } from './timers/routes';
import { rosterRoutes } from './units/roster-routes';
import { unitRoutes } from './units/routes';

/**
 * Dispatch's HTTP API as one route table: each slice's routes (incidents/, assignments/, units/ with the roster,
 * batch/, duty/, recommend/, timers/, map/), in the order express matches them (`/incidents/queue`
 * before `/incidents/:id`). Times are UTC ISO-8601 with `Z`; distances metres; ETAs seconds;
 * coordinates WGS84 degrees. `at` (optional on every command) back-dates a late entry or a
 * historical replay; a time more than the clock-skew tolerance (libs/contracts) ahead of the
 * service clock is refused with 400. Versions: responses carry `ETag: "<version>"`; commands
 * accept `If-Match` and answer 412 with `currentVersion` when it is stale. Refused transitions
 * answer 409 problem+json with a `code` (libs/http `problemOf`).
 */
export function dispatchRoutes(ctx: DispatchContext, db: Sql, logger?: Logger): RouteSpec[] {
  return [...incidentRoutes(ctx, db), ...annotateRoutes(ctx), ...recommendRoutes(ctx), ...assignmentRoutes(ctx), ...batchRoutes(ctx, logger), ...unitRoutes(ctx, db), ...rosterRoutes(ctx, db), ...alertRoutes(ctx, db), ...dutyRoutes(ctx), ...mapRoutes(ctx)];
}
