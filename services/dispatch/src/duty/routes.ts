import { z } from 'zod';
import { actorOf } from '@cad110/auth';
import { DutyLevel } from '@cad110/contracts';
import { ifMatchVersion, parseOr400, parseParams, type RouteSpec } from '@cad110/http';
import { DistrictParams, EventTypes, READ } from '../api';
import type { DispatchContext } from '../context';
import { dutyOverview } from './overview';
import { setDutyLevel } from './set-level';

export const DutyBody = z.object({ level: DutyLevel, reason: z.string().min(1).max(500).optional() }).strict();

/** A district's duty level with the units and officers on duty now. */
export const DistrictDuty = z
  .object({
    district: z.string(),
    nameZh: z.string().nullable().describe('Chinese name on the county map'),
    level: DutyLevel.describe('normal 常态 / reinforced 加强 / wartime 战时'),
    version: z.number().int().nonnegative().describe("the district's duty stream version (0 = never set); the If-Match of a change"),
    changedAt: z.string().nullable().describe('UTC ISO-8601 of the last change'),
    reason: z.string().nullable(),
    units: z.number().int().describe('units of the district (replayed units left out)'),
    onDutyUnits: z.number().int(),
    onDutyOfficers: z.number().int().describe('sum of the crew sizes on duty'),
    onDutyUnitIds: z.array(z.string()),
  })
  .meta({ id: 'DistrictDuty' });

/** Duty levels: the overview and the supervisors' change. */
export function dutyRoutes(ctx: DispatchContext): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/duty-levels',
      operationId: 'listDutyLevels',
      summary: "Every district's duty level with the units and officers on duty now",
      description: 'Districts of the county map and of the unit registry; districts never set are `normal`.',
      tags: ['duty'],
      roles: READ,
      responses: { 200: { description: 'The districts', schema: z.object({ items: z.array(DistrictDuty) }) } },
      handler: async (_req, res) => {
        res.json({ items: await dutyOverview(ctx) });
      },
    },
    {
      method: 'put',
      path: '/duty-levels/:district',
      operationId: 'setDutyLevel',
      summary: "Change a district's duty level (DutyLevelChanged)",
      description: 'Availability and recommendations change at once. Supervisors only. If-Match: the district\'s duty version (0 = never set). 404 for a district neither on the map nor with units; 409 when it is already at that level.',
      tags: ['duty'],
      roles: ['supervisor'],
      params: DistrictParams,
      body: DutyBody,
      ifMatch: 'optional',
      responses: {
        200: {
          description: 'Changed',
          schema: z.object({ district: z.string(), level: DutyLevel, version: z.number().int(), onDutyUnits: z.number().int().describe('units on duty at the new level now'), events: EventTypes }),
          headers: ['ETag'],
        },
        409: { description: 'Already at that level' },
      },
      handler: async (req, res) => {
        const { district } = parseParams(DistrictParams, req);
        const out = await setDutyLevel(ctx, district, parseOr400(DutyBody, req.body), actorOf(req), ifMatchVersion(req));
        res.set('ETag', `"${out.version}"`).json(out);
      },
    },
  ];
}
