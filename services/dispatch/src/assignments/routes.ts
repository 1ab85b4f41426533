import { z } from 'zod';
import { actorOf } from '@cad110/auth';
import { UnitStatus } from '@cad110/contracts';
import { IdParams, ifMatchVersion, parseOr400, parseParams, type RouteSpec } from '@cad110/http';
import { AtField, DISPATCH, EventTypes } from '../api';
import type { DispatchContext } from '../context';
import { assignUnit } from './assign';

export const AssignmentBody = z.object({ unitId: z.string().min(1).max(64), at: AtField, reassign: z.boolean().optional().describe('move a unit busy on another incident (改派)') }).strict();

const AssignmentResult = z.object({
  incidentId: z.uuid(),
  unitId: z.string(),
  status: UnitStatus.describe("the unit's status after the command"),
  incidentVersion: z.number().int().describe('incident stream version after the command'),
  unitVersion: z.number().int().describe('unit stream version after the command'),
  events: EventTypes,
});

/** Assignments: dispatching (出警) and reassigning (改派) units. */
export function assignmentRoutes(ctx: DispatchContext): RouteSpec[] {
  return [
    {
      method: 'post',
      path: '/incidents/:id/assignments',
      operationId: 'assignUnit',
      summary: 'Dispatch a unit to the incident (出警: UnitDispatched + UnitStatusChanged → dispatched)',
      description:
        'A unit busy on another incident moves only with `reassign: true` (UnitReassigned on the incident it leaves, which returns to the pending queue when no unit is left on it). If-Match: incident version. 404 for an unknown incident or unit; 409 when the unit is not free, off duty, the incident closed, or the unit already on it.',
      tags: ['assignments'],
      roles: DISPATCH,
      params: IdParams,
      body: AssignmentBody,
      ifMatch: 'optional',
      responses: {
        201: { description: 'Dispatched', schema: AssignmentResult, headers: ['ETag'] },
        409: { description: 'Refused (`code` says why)' },
      },
      handler: async (req, res) => {
        const { id } = parseParams(IdParams, req);
        const body = parseOr400(AssignmentBody, req.body);
        const out = await assignUnit(ctx, id, body, actorOf(req), ifMatchVersion(req));
        res.status(201).set('ETag', `"${out.incidentVersion}"`).json(out);
      },
    },
  ];
}
