import { Router } from 'express';
import { z } from 'zod';
import { actorOf, requireRole } from '@cad110/auth';
import { DutyLevel } from '@cad110/contracts';
import { ifMatchVersion, parseOr400 } from '@cad110/http';
import type { DispatchContext } from '../context';
import { READ } from '../roles';
import { dutyOverview } from './overview';
import { setDutyLevel } from './set-level';

export const DutyBody = z.object({ level: DutyLevel, reason: z.string().min(1).max(500).optional() }).strict();

/** Duty levels: the overview and the supervisors' change. */
export function dutyRoutes(ctx: DispatchContext): Router {
  const r = Router();

  /**
   * GET /duty-levels — every district's duty level (normal 常态 / reinforced 加强 / wartime 战时)
   * with its version and the units and officers on duty now.
   */
  r.get('/duty-levels', requireRole(...READ), async (_req, res) => {
    res.json({ items: await dutyOverview(ctx) });
  });

  /**
   * PUT /duty-levels/{district} `{level, reason?}` — DutyLevelChanged; availability and
   * recommendations change at once. Supervisors only. If-Match: the district's duty version
   * (0 = never set). 200 `{district, level, version, onDutyUnits, events}`; 404 unknown district;
   * 409 same level; 412.
   */
  r.put('/duty-levels/:district', requireRole('supervisor'), async (req, res) => {
    const out = await setDutyLevel(ctx, String(req.params.district), parseOr400(DutyBody, req.body), actorOf(req), ifMatchVersion(req));
    res.set('ETag', `"${out.version}"`).json(out);
  });

  return r;
}
