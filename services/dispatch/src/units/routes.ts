import { z } from 'zod';
import { actorOf } from '@cad110/auth';
import { DutyLevel, ShiftWindow, UnitGeometry, UnitStatus, UnitType, type DutyLevel as DutyLevelT } from '@cad110/contracts';
import { ifMatchVersion, parseOr400, parseParams, parseQuery, ProblemError, type RouteSpec } from '@cad110/http';
import { AtField, DISPATCH, EventTypes, READ, UnitIdParams } from '../api';
import { localMinute, nowOf, type DispatchContext } from '../context';
import { dutyStatus } from '../duty/duty';
import type { Sql } from '@cad110/db';
import type { DutyLevelState, Unit } from '../generated/prisma/client';
import { candidateOf } from '../recommend/candidates';
import { UnitDto, unitDto } from './dto';
import { updateUnitPosition } from './position';
import { registerUnit } from './register';
import { changeUnitStatus } from './status';

export const StatusBody = z.object({ status: UnitStatus, at: AtField, incidentId: z.uuid().optional().describe('required for `dispatched`; otherwise checks the unit is on that incident') }).strict();
export const PositionBody = z.object({ lat: z.number().min(-90).max(90).describe('WGS84 latitude, degrees'), lon: z.number().min(-180).max(180).describe('WGS84 longitude, degrees'), at: AtField }).strict();
export const RegisterUnitBody = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
    callSign: z.string().min(1).max(64),
    type: UnitType,
    district: z.string().trim().min(1).max(64),
    homeStation: z.string().min(1).max(120),
    geometry: UnitGeometry.optional(),
    capabilities: z.array(z.string().min(1).max(64)).max(32).default([]),
    crewSize: z.number().int().min(1).max(200).describe('officers'),
    shift: ShiftWindow.default({ name: '24h', start: '00:00', end: '24:00' }).describe('local HH:MM window in the bureau zone'),
    minDutyLevel: DutyLevel.default('normal'),
    replay: z.boolean().default(false),
  })
  .strict();
const UnitsQuery = z
  .object({ status: UnitStatus.optional(), district: z.string().trim().max(64).optional(), type: z.string().trim().max(64).optional(), replay: z.enum(['true', 'false']).optional().describe('only units a history replay registered (true) or only live units (false)') })
  .strict();

export const DutyNow = z.object({ onDuty: z.boolean(), reason: z.string().describe('why, in English (e.g. off shift (08:00–20:00))') }).describe('on duty at this moment: in service, duty level and shift');
const UnitList = z.object({ items: z.array(UnitDto.extend({ dutyNow: DutyNow })), asOf: z.string().describe('UTC ISO-8601: the moment `dutyNow` is for') });
const VersionOf = z.number().int().describe('unit stream version after the command');

/** The unit registry and the unit commands (register, status report, AVL position). */
export function unitRoutes(ctx: DispatchContext, db: Sql): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/units',
      operationId: 'listUnits',
      summary: 'The unit registry with status, position and whether each unit is on duty now',
      description: 'Ordered by id. `dutyNow`: on duty at this moment (in service on the roster, the district\'s duty level and the unit\'s shift), with the reason. Officers\' names are not here (GET /roster).',
      tags: ['units'],
      roles: READ,
      query: UnitsQuery,
      responses: { 200: { description: 'The units', schema: UnitList } },
      handler: async (req, res) => {
        const q = parseQuery(UnitsQuery, req);
        const params: unknown[] = [];
        const conds = (
          [
            ['status', q.status],
            ['district', q.district],
            ['type', q.type],
            ['replay', q.replay === undefined ? undefined : q.replay === 'true'],
          ] as const
        ).flatMap(([col, v]) => (v === undefined ? [] : [`${col} = $${params.push(v)}`]));
        const [units, levels] = await Promise.all([
          db.select<Unit>(`SELECT * FROM units ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''} ORDER BY id`, params),
          db.select<DutyLevelState>('SELECT * FROM duty_levels'),
        ]);
        const now = nowOf(ctx);
        const minute = localMinute(now, ctx.timeZone);
        const level = new Map(levels.map((l) => [l.district, l.level as DutyLevelT]));
        res.json({ items: units.map((u) => ({ ...unitDto(u), dutyNow: u.inService ? dutyStatus(candidateOf(u), level.get(u.district) ?? 'normal', minute) : { onDuty: false, reason: `out of service (${u.serviceReason ?? 'other'})` } })), asOf: now });
      },
    },
    {
      method: 'get',
      path: '/units/:unitId',
      operationId: 'getUnit',
      summary: 'One unit',
      description: '`ETag` = its stream version.',
      tags: ['units'],
      roles: READ,
      params: UnitIdParams,
      responses: { 200: { description: 'The unit', schema: UnitDto, headers: ['ETag'] } },
      handler: async (req, res) => {
        const { unitId } = parseParams(UnitIdParams, req);
        const [unit] = await db.select<Unit>('SELECT * FROM units WHERE id = $1', [unitId]);
        if (!unit) throw ProblemError.notFound(`unit ${unitId}`);
        res.set('ETag', `"${unit.version}"`).json(unitDto(unit));
      },
    },
    {
      method: 'post',
      path: '/units',
      operationId: 'registerUnit',
      summary: 'Register a unit (UnitRegistered)',
      description: 'Id, call sign, type, district, home station, GeoJSON post/line/area (WGS84), capabilities, crew size, shift (local HH:MM), minDutyLevel, replay. Supervisors only.',
      tags: ['units'],
      roles: ['supervisor'],
      body: RegisterUnitBody,
      responses: {
        201: { description: 'Registered', schema: z.object({ unitId: z.string(), version: VersionOf }), headers: ['Location', 'ETag'] },
        409: { description: 'The id or call sign exists' },
      },
      handler: async (req, res) => {
        const { id, ...b } = parseOr400(RegisterUnitBody, req.body);
        const out = await registerUnit(ctx, { unitId: id, ...b }, actorOf(req));
        res.status(201).location(`/units/${id}`).set('ETag', `"${out.version}"`).json(out);
      },
    },
    {
      method: 'post',
      path: '/units/:unitId/status',
      operationId: 'changeUnitStatus',
      summary: 'A status report of a unit (UnitStatusChanged)',
      description:
        '`dispatched` needs `incidentId` (then it is an assignment); otherwise `incidentId` checks the unit is on that incident. IncidentClosed follows when the last unit on an incident clears. If-Match: unit version. 409 for a transition that is not allowed (the README\'s table).',
      tags: ['units'],
      roles: DISPATCH,
      params: UnitIdParams,
      body: StatusBody,
      ifMatch: 'optional',
      responses: {
        200: { description: 'Applied', schema: z.object({ unitId: z.string(), status: UnitStatus, version: VersionOf, incidentId: z.uuid().nullable().optional(), events: EventTypes }), headers: ['ETag'] },
        409: { description: 'Transition not allowed (`code` says why)' },
      },
      handler: async (req, res) => {
        const { unitId } = parseParams(UnitIdParams, req);
        const body = parseOr400(StatusBody, req.body);
        if (body.status === 'dispatched' && !body.incidentId) throw ProblemError.validation([{ field: 'incidentId', message: 'required to dispatch a unit' }]);
        const out = await changeUnitStatus(ctx, unitId, body, actorOf(req), ifMatchVersion(req));
        res.set('ETag', `"${out.version}"`).json(out);
      },
    },
    {
      method: 'post',
      path: '/units/:unitId/position',
      operationId: 'updateUnitPosition',
      summary: 'An AVL fix of a unit (UnitPositionUpdated)',
      description: 'WGS84 degrees. A fix older than the last is ignored (`applied: false`). Feeds ETAs while fresh (the ETA model\'s avlFreshSeconds).',
      tags: ['units'],
      roles: ['dispatcher', 'supervisor', 'ops'],
      params: UnitIdParams,
      body: PositionBody,
      responses: { 200: { description: 'Recorded (or ignored as older)', schema: z.object({ unitId: z.string(), version: VersionOf, applied: z.boolean() }), headers: ['ETag'] } },
      handler: async (req, res) => {
        const { unitId } = parseParams(UnitIdParams, req);
        const out = await updateUnitPosition(ctx, unitId, parseOr400(PositionBody, req.body), actorOf(req));
        res.set('ETag', `"${out.version}"`).json(out);
      },
    },
  ];
}
