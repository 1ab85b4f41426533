import { Router } from 'express';
import { z } from 'zod';
import { actorOf, requireRole } from '@cad110/auth';
import { IsoUtc } from '@cad110/contracts';
import { ifMatchVersion, parseOr400 } from '@cad110/http';
import type { DispatchContext } from '../context';
import { uuidParam } from '../params';
import { DISPATCH } from '../roles';
import { assignUnit } from './assign';

const AtField = IsoUtc.optional().describe('UTC ISO-8601 time it happened (late entry / replay); default now; future times are refused');
export const AssignmentBody = z.object({ unitId: z.string().min(1).max(64), at: AtField, reassign: z.boolean().optional() }).strict();

/** Assignments: dispatching (出警) and reassigning (改派) units. */
export function assignmentRoutes(ctx: DispatchContext): Router {
  const r = Router();

  /**
   * POST /incidents/{id}/assignments `{unitId, at?, reassign?}` — dispatch a unit (出警):
   * UnitDispatched + the unit's UnitStatusChanged → dispatched. A unit busy elsewhere moves only
   * with `reassign: true` (UnitReassigned on the incident it leaves). If-Match: incident version.
   * 201 `{incidentId, unitId, status, incidentVersion, unitVersion, events}`; 404; 409 (unit not
   * free, off duty, incident closed, already assigned); 412; 400.
   */
  r.post('/incidents/:id/assignments', requireRole(...DISPATCH), async (req, res) => {
    const id = uuidParam(req);
    const body = parseOr400(AssignmentBody, req.body);
    const out = await assignUnit(ctx, id, body, actorOf(req), ifMatchVersion(req));
    res.status(201).set('ETag', `"${out.incidentVersion}"`).json(out);
  });

  return r;
}
