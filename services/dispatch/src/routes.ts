import { Router, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { actorOf, requireRole } from '@cad110/auth';
import { DutyLevel, IsoUtc, ShiftWindow, UnitGeometry, UnitStatus, UnitType, type DutyLevel as DutyLevelT } from '@cad110/contracts';
import { ConcurrencyError } from '@cad110/eventstore';
import { parseOr400, ProblemError } from '@cad110/http';
import type { PrismaClient } from './prisma';
import { candidateOf, DispatchService, FutureTimeError, IncidentRejected, localMinute, NotFound, UnitRejected, VersionMismatch } from './dispatch-service';
import { dutyStatus } from './units/duty';

const READ = ['dispatcher', 'supervisor', 'call_taker', 'analyst'] as const;
const DISPATCH = ['dispatcher', 'supervisor'] as const;

const ListQuery = z
  .object({
    status: z.enum(['pending', 'assigned', 'closed', 'cancelled']).optional(),
    callId: z.uuid().optional(),
    externalSource: z.string().max(64).optional(),
    externalId: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

const AtField = IsoUtc.optional().describe('UTC ISO-8601 time it happened (late entry / replay); default now; future times are refused');

export const AssignmentBody = z.object({ unitId: z.string().min(1).max(64), at: AtField, reassign: z.boolean().optional() }).strict();
export const StatusBody = z.object({ status: UnitStatus, at: AtField, incidentId: z.uuid().optional() }).strict();
export const PositionBody = z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180), at: AtField }).strict();
export const DutyBody = z.object({ level: DutyLevel, reason: z.string().min(1).max(500).optional() }).strict();
export const ReasonBody = z.object({ reason: z.string().min(1).max(500), at: AtField }).strict();
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
const RecommendQuery = z
  .object({ at: IsoUtc.optional(), alternates: z.coerce.number().int().min(0).max(20).optional(), includeReplayUnits: z.enum(['true', 'false']).optional() })
  .strict();
const UnitsQuery = z.object({ status: UnitStatus.optional(), district: z.string().max(64).optional(), type: z.string().max(64).optional(), replay: z.enum(['true', 'false']).optional() }).strict();

function uuidParam(req: Request, name = 'id'): string {
  const r = z.uuid().safeParse(req.params[name]);
  if (!r.success) throw ProblemError.validation([{ field: name, message: 'must be a UUID' }]);
  return r.data;
}

/** `If-Match: "3"` (or `3`) → 3; absent or `*` → undefined. */
function ifMatch(req: Request): number | undefined {
  const h = req.header('if-match');
  if (!h || h.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d+)"?\s*$/.exec(h);
  if (!m) throw ProblemError.validation([{ field: 'If-Match', message: 'must be a version in quotes, e.g. "3"' }]);
  return Number(m[1]);
}

function query(req: Request): Record<string, unknown> {
  const { access_token: _t, ...q } = req.query;
  return q;
}

/** Domain errors → problem+json: 404, 409 (with `code`), 412 (with `currentVersion`), 400 on `at`. */
function domainErrors(err: unknown, _req: Request, _res: Response, next: NextFunction): void {
  if (err instanceof NotFound) return next(ProblemError.notFound(err.message));
  if (err instanceof UnitRejected || err instanceof IncidentRejected) return next(ProblemError.conflict(err.message, { code: err.code }));
  if (err instanceof VersionMismatch) return next(ProblemError.preconditionFailed(err.message, err.current));
  if (err instanceof ConcurrencyError) return next(ProblemError.conflict('changed concurrently; read it again and retry', { code: 'concurrent-change' }));
  if (err instanceof FutureTimeError) return next(ProblemError.validation([{ field: 'at', message: 'must not be in the future' }]));
  next(err);
}

/**
 * Dispatch's HTTP API. Times are UTC ISO-8601 with `Z`; distances metres; ETAs seconds;
 * coordinates WGS84 degrees. `at` (optional on every command) back-dates a late entry or a
 * historical replay; a time more than 5 s ahead of the service clock is refused with 400.
 * Versions: responses carry `ETag: "<version>"`; commands accept `If-Match` and answer 412 when
 * it is stale. Refused transitions answer 409 problem+json with a `code`.
 */
export function dispatchRoutes(service: DispatchService, prisma: PrismaClient): Router {
  const r = Router();

  /**
   * GET /incidents?status=&callId=&externalSource=&externalId=&limit= — incidents by priority
   * (1 first) then age (oldest first); `status=pending` is the pending queue; `externalSource` +
   * `externalId` find the incident of a replayed source call. 200 `{items, total}`.
   */
  r.get('/incidents', requireRole(...READ), async (req, res) => {
    const q = parseOr400(ListQuery, query(req));
    const where = {
      ...(q.status ? { status: q.status } : {}),
      ...(q.callId ? { callId: q.callId } : {}),
      ...(q.externalSource ? { externalSource: q.externalSource } : {}),
      ...(q.externalId ? { externalId: q.externalId } : {}),
    };
    const [items, total] = await Promise.all([
      prisma.incident.findMany({ where, orderBy: [{ priority: 'asc' }, { openedAt: 'asc' }], take: q.limit }),
      prisma.incident.count({ where }),
    ]);
    res.json({ items, total });
  });

  /** GET /incidents/queue — the pending queue (no unit working them): priority, then age. 200 `{items, total}`. */
  r.get('/incidents/queue', requireRole(...READ), async (_req, res) => {
    const where = { status: 'pending' };
    const [items, total] = await Promise.all([prisma.incident.findMany({ where, orderBy: [{ priority: 'asc' }, { openedAt: 'asc' }], take: 500 }), prisma.incident.count({ where })]);
    res.json({ items, total });
  });

  /**
   * GET /incidents/{id} — the incident with its unit assignments; `ETag` = the incident's stream
   * version (the `If-Match` token of its commands), `Cache-Control: no-store`. 404 when unknown.
   * The units' statuses change without the incident's version, so that ETag is no cache validator
   * of this body: `If-None-Match` is ignored and the answer is always 200 with the current state.
   */
  r.get('/incidents/:id', requireRole(...READ), async (req, res) => {
    delete req.headers['if-none-match'];
    res.set('Cache-Control', 'no-store');
    const id = uuidParam(req);
    const incident = await prisma.incident.findUnique({ where: { id } });
    if (!incident) throw ProblemError.notFound(`incident ${id}`);
    const units = await prisma.incidentUnit.findMany({ where: { incidentId: id }, orderBy: { id: 'asc' } });
    res.set('ETag', `"${incident.version}"`).json({ ...incident, units: units.map(({ id: _i, ...u }) => u) });
  });

  /**
   * GET /incidents/{id}/recommendations?at=&alternates=&includeReplayUnits= — live ranking of
   * free on-duty units at `at` (default now): run card, and per unit ETA seconds, distance metres,
   * 1/3/5-minute circle flags, role (primary/alternate) and reasons. Read-only. 404 when unknown.
   */
  r.get('/incidents/:id/recommendations', requireRole(...READ), async (req, res) => {
    const id = uuidParam(req);
    const q = parseOr400(RecommendQuery, query(req));
    res.json(await service.recommendationsFor(id, { ...(q.at ? { at: q.at } : {}), ...(q.alternates !== undefined ? { alternates: q.alternates } : {}), includeReplayUnits: q.includeReplayUnits === 'true' }));
  });

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
    const out = await service.assign(id, body, actorOf(req), ifMatch(req));
    res.status(201).set('ETag', `"${out.incidentVersion}"`).json(out);
  });

  /**
   * POST /incidents/{id}/cancel `{reason, at?}` — IncidentCancelled; units still on it are
   * cleared. If-Match: incident version. 200 `{incidentId, version, events}`; 404; 409; 412.
   */
  r.post('/incidents/:id/cancel', requireRole(...DISPATCH), async (req, res) => {
    const out = await service.cancel(uuidParam(req), parseOr400(ReasonBody, req.body), actorOf(req), ifMatch(req));
    res.set('ETag', `"${out.version}"`).json(out);
  });

  /**
   * POST /incidents/{id}/close `{reason, at?}` — close by hand when no unit is working it
   * (incidents close by themselves when their last unit clears). 200; 404; 409 with units on it; 412.
   */
  r.post('/incidents/:id/close', requireRole(...DISPATCH), async (req, res) => {
    const out = await service.close(uuidParam(req), parseOr400(ReasonBody, req.body), actorOf(req), ifMatch(req));
    res.set('ETag', `"${out.version}"`).json(out);
  });

  /**
   * GET /units?status=&district=&type=&replay= — the unit registry with status, position (WGS84)
   * and `dutyNow` (on duty at this moment: duty level and shift, with the reason).
   */
  r.get('/units', requireRole(...READ), async (req, res) => {
    const q = parseOr400(UnitsQuery, query(req));
    const [units, levels] = await Promise.all([
      prisma.unit.findMany({ where: { ...(q.status ? { status: q.status } : {}), ...(q.district ? { district: q.district } : {}), ...(q.type ? { type: q.type } : {}), ...(q.replay ? { replay: q.replay === 'true' } : {}) }, orderBy: { id: 'asc' } }),
      prisma.dutyLevelState.findMany(),
    ]);
    const now = service.now();
    const minute = localMinute(now, service.deps.timeZone);
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
    const out = await service.registerUnit({ unitId: id, ...b }, actorOf(req));
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
    const out = await service.changeStatus(String(req.params.unitId), body, actorOf(req), ifMatch(req));
    res.set('ETag', `"${out.version}"`).json(out);
  });

  /**
   * POST /units/{unitId}/position `{lat, lon, at?}` — AVL fix (UnitPositionUpdated), WGS84
   * degrees; an older fix than the last is ignored (`applied: false`). Feeds ETAs while fresh.
   * 200 `{unitId, version, applied}`; 404; 400.
   */
  r.post('/units/:unitId/position', requireRole('dispatcher', 'supervisor', 'ops'), async (req, res) => {
    const out = await service.updatePosition(String(req.params.unitId), parseOr400(PositionBody, req.body), actorOf(req));
    res.set('ETag', `"${out.version}"`).json(out);
  });

  /** GET /alerts?limit= — overdue alerts (not en route, check-in due), newest first. */
  r.get('/alerts', requireRole(...READ), async (req, res) => {
    const q = parseOr400(z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }).strict(), query(req));
    const items = await prisma.unitAlert.findMany({ orderBy: { id: 'desc' }, take: q.limit });
    res.json({ items: items.map((a) => ({ ...a, id: a.id.toString() })) });
  });

  /**
   * GET /duty-levels — every district's duty level (normal 常态 / reinforced 加强 / wartime 战时)
   * with its version and the units and officers on duty now.
   */
  r.get('/duty-levels', requireRole(...READ), async (_req, res) => {
    res.json({ items: await service.dutyOverview() });
  });

  /**
   * PUT /duty-levels/{district} `{level, reason?}` — DutyLevelChanged; availability and
   * recommendations change at once. Supervisors only. If-Match: the district's duty version
   * (0 = never set). 200 `{district, level, version, onDutyUnits, events}`; 404 unknown district;
   * 409 same level; 412.
   */
  r.put('/duty-levels/:district', requireRole('supervisor'), async (req, res) => {
    const out = await service.setDutyLevel(String(req.params.district), parseOr400(DutyBody, req.body), actorOf(req), ifMatch(req));
    res.set('ETag', `"${out.version}"`).json(out);
  });

  /** GET /map — the example county map (GeoJSON FeatureCollection). */
  r.get('/map', requireRole(...READ), (_req, res) => {
    res.type('application/geo+json').send(JSON.stringify(service.deps.map.file));
  });

  /** GET /run-cards — the run cards in force; GET /eta-model — the ETA defaults with their sources. */
  r.get('/run-cards', requireRole(...READ), (_req, res) => {
    res.json({ cards: service.deps.runCards.cards });
  });
  r.get('/eta-model', requireRole(...READ), (_req, res) => {
    res.json(service.deps.eta.config);
  });

  r.use(domainErrors);
  return r;
}
