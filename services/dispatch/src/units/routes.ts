import { Router } from 'express';
import { z } from 'zod';
import { actorOf, requireRole } from '@cad110/auth';
import { DutyLevel, IsoUtc, ShiftWindow, UnitGeometry, UnitStatus, UnitType, type DutyLevel as DutyLevelT } from '@cad110/contracts';
import { ifMatchVersion, parseOr400, ProblemError, queryParams } from '@cad110/http';
import { localMinute, nowOf, type DispatchContext } from '../context';
import { dutyStatus } from '../duty/duty';
import type { PrismaClient } from '../prisma';
import { candidateOf } from '../recommend/candidates';
import { DISPATCH, READ } from '../roles';
import { updateUnitPosition } from './position';
import { registerUnit } from './register';
import { changeUnitStatus } from './status';

const AtField = IsoUtc.optional().describe('UTC ISO-8601 time it happened (late entry / replay); default now; future times are refused');

export const StatusBody = z.object({ status: UnitStatus, at: AtField, incidentId: z.uuid().optional() }).strict();
export const PositionBody = z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180), at: AtField }).strict();
export const RegisterUnitBody = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
    callSign: z.string().min(1).max(64),
    type: UnitType,
    district: z.string().min(1).max(64),
    homeStation: z.string().min(1).max(120),
    geometry: UnitGeometry.optional(),
    capabilities: z.array(z.string().min(1).max(64)).max(32).default([]),
    crewSize: z.number().int().min(1).max(200),
    shift: ShiftWindow.default({ name: '24h', start: '00:00', end: '24:00' }),
    minDutyLevel: DutyLevel.default('normal'),
    replay: z.boolean().default(false),
  })
  .strict();
const UnitsQuery = z.object({ status: UnitStatus.optional(), district: z.string().max(64).optional(), type: z.string().max(64).optional(), replay: z.enum(['true', 'false']).optional() }).strict();

/** The unit registry and the unit commands (register, status report, AVL position). */
export function unitRoutes(ctx: DispatchContext, prisma: PrismaClient): Router {
  const r = Router();

  /**
   * GET /units?status=&district=&type=&replay= — the unit registry with status, position (WGS84)
   * and `dutyNow` (on duty at this moment: duty level and shift, with the reason).
   */
  r.get('/units', requireRole(...READ), async (req, res) => {
    const q = parseOr400(UnitsQuery, queryParams(req));
    const [units, levels] = await Promise.all([
      prisma.unit.findMany({ where: { ...(q.status ? { status: q.status } : {}), ...(q.district ? { district: q.district } : {}), ...(q.type ? { type: q.type } : {}), ...(q.replay ? { replay: q.replay === 'true' } : {}) }, orderBy: { id: 'asc' } }),
      prisma.dutyLevelState.findMany(),
    ]);
    const now = nowOf(ctx);
    const minute = localMinute(now, ctx.timeZone);
    const level = new Map(levels.map((l) => [l.district, l.level as DutyLevelT]));
    res.json({ items: units.map((u) => ({ ...u, dutyNow: dutyStatus(candidateOf(u), level.get(u.district) ?? 'normal', minute) })), asOf: now });
  });

  /** GET /units/{unitId} — one unit; `ETag` = version. 404 when unknown. */
  r.get('/units/:unitId', requireRole(...READ), async (req, res) => {
    const unit = await prisma.unit.findUnique({ where: { id: String(req.params.unitId) } });
    if (!unit) throw ProblemError.notFound(`unit ${String(req.params.unitId)}`);
    res.set('ETag', `"${unit.version}"`).json(unit);
  });

  /**
   * POST /units — register a unit (UnitRegistered): id, call sign, type, district, home station,
   * GeoJSON post/line/area, capabilities, crew size, shift (local HH:MM), minDutyLevel, replay.
   * Supervisors only. 201 `{unitId, version}`; 409 when the id or call sign exists.
   */
  r.post('/units', requireRole('supervisor'), async (req, res) => {
    const { id, ...b } = parseOr400(RegisterUnitBody, req.body);
    const out = await registerUnit(ctx, { unitId: id, ...b }, actorOf(req));
    res.status(201).location(`/units/${id}`).set('ETag', `"${out.version}"`).json(out);
  });

  /**
   * POST /units/{unitId}/status `{status, at?, incidentId?}` — a status report: UnitStatusChanged
   * (and IncidentClosed when the last unit on an incident clears). `dispatched` needs
   * `incidentId` (then it is an assignment). `incidentId` otherwise checks the unit is on that
   * incident. If-Match: unit version. 200 `{unitId, status, version, incidentId, events}`;
   * 404; 409 for a transition that is not allowed (see the README's table); 412; 400.
   */
  r.post('/units/:unitId/status', requireRole(...DISPATCH), async (req, res) => {
    const body = parseOr400(StatusBody, req.body);
    if (body.status === 'dispatched' && !body.incidentId) throw ProblemError.validation([{ field: 'incidentId', message: 'required to dispatch a unit' }]);
    const out = await changeUnitStatus(ctx, String(req.params.unitId), body, actorOf(req), ifMatchVersion(req));
    res.set('ETag', `"${out.version}"`).json(out);
  });

  /**
   * POST /units/{unitId}/position `{lat, lon, at?}` — AVL fix (UnitPositionUpdated), WGS84
   * degrees; an older fix than the last is ignored (`applied: false`). Feeds ETAs while fresh.
   * 200 `{unitId, version, applied}`; 404; 400.
   */
  r.post('/units/:unitId/position', requireRole('dispatcher', 'supervisor', 'ops'), async (req, res) => {
    const out = await updateUnitPosition(ctx, String(req.params.unitId), parseOr400(PositionBody, req.body), actorOf(req));
    res.set('ETag', `"${out.version}"`).json(out);
  });

  return r;
}
