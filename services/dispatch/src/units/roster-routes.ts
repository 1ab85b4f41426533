import { z } from 'zod';
import { actorOf } from '@cad110/auth';
import { DutyLevel, OutOfServiceReason, ShiftWindow, UnitStatus, type DutyLevel as DutyLevelT } from '@cad110/contracts';
import { ifMatchVersion, parseOr400, parseParams, type RouteSpec } from '@cad110/http';
import { AtField, EventTypes, isoOrNull, MaybeInstant, UnitIdParams } from '../api';
import { localMinute, nowOf, type DispatchContext } from '../context';
import { dutyStatus } from '../duty/duty';
import type { Sql } from '@cad110/db';
import type { DutyLevelState, Unit } from '../generated/prisma/client';
import { candidateOf } from '../recommend/candidates';
import { changeRoster, officersOf, type RosterInput } from './roster';
import { DutyNow } from './routes';

export const ServiceBody = z.discriminatedUnion('inService', [
  z.object({ inService: z.literal(false), reason: OutOfServiceReason, at: AtField }).strict(),
  z.object({ inService: z.literal(true), at: AtField }).strict(),
]);
export const ShiftBody = ShiftWindow.extend({ at: AtField }).strict();
/** Officers' names (personal data: dispatch's store only); the crew size is at least their number. */
export const CrewBody = z
  .object({
    crewSize: z.number().int().min(1).max(200).describe('officers on board'),
    officers: z.array(z.string().trim().min(1).max(64)).max(200).default([]).describe('officers\' names in roster order (replace the previous list; never put into events or logs)'),
    at: AtField,
  })
  .strict()
  .refine((b) => b.officers.length <= b.crewSize, { message: 'more officers named than the crew size', path: ['officers'] });

const RosterUnit = z.object({
  unitId: z.string(),
  callSign: z.string(),
  type: z.string(),
  district: z.string(),
  homeStation: z.string(),
  status: UnitStatus,
  inService: z.boolean().describe('false after UnitTakenOutOfService: neither recommended nor assignable'),
  serviceReason: OutOfServiceReason.nullable().describe('reason code while out of service'),
  rosterChangedAt: MaybeInstant.describe('UTC ISO-8601 event time of the last roster change'),
  shift: ShiftWindow.describe('local HH:MM window in the bureau zone; end ≤ start crosses midnight'),
  minDutyLevel: DutyLevel,
  crewSize: z.number().int(),
  officers: z.array(z.string()).describe('officers\' names in roster order (personal data)'),
  version: z.number().int().nonnegative().describe('unit stream version (moves with status reports and AVL fixes too)'),
  dutyNow: DutyNow,
});
const RosterList = z.object({ asOf: z.string().describe('UTC ISO-8601: the moment `dutyNow` is for'), items: z.array(RosterUnit) });
const RosterAnswer = z.object({ unitId: z.string(), version: z.number().int().describe('unit stream version after the change'), events: EventTypes });

/** Roles that see the roster with officers' names. */
const ROSTER_READ = ['dispatcher', 'supervisor'] as const;

/**
 * The roster (排班): read by supervisors and dispatchers, changed by supervisors. Every change is
 * an event on the unit's stream (UnitTakenOutOfService / UnitReturnedToService /
 * UnitShiftChanged / UnitCrewChanged, units/roster.ts) that recommendations and assignments
 * honour at once.
 */
export function rosterRoutes(ctx: DispatchContext, db: Sql): RouteSpec[] {
  const command = (summary: string, description: string, path: 'service' | 'shift' | 'crew', body: z.ZodType, toInput: (b: never) => RosterInput, conflicts: string): RouteSpec => ({
    method: 'put',
    path: `/units/:unitId/${path}`,
    operationId: `putUnit${path[0]!.toUpperCase()}${path.slice(1)}`,
    summary,
    description: `${description} If-Match: unit version (optional).`,
    tags: ['roster'],
    roles: ['supervisor'],
    params: UnitIdParams,
    body,
    ifMatch: 'optional',
    responses: {
      200: { description: 'Applied', schema: RosterAnswer, headers: ['ETag'] },
      404: { description: 'Unknown unit' },
      409: { description: conflicts },
    },
    handler: async (req, res) => {
      const { unitId } = parseParams(UnitIdParams, req);
      const out = await changeRoster(ctx, unitId, toInput(parseOr400(body, req.body) as never), actorOf(req), ifMatchVersion(req));
      res.set('ETag', `"${out.version}"`).json(out);
    },
  });
  const at = (b: { at?: string | undefined }) => (b.at ? { at: b.at } : {});
  return [
    {
      method: 'get',
      path: '/roster',
      operationId: 'getRoster',
      summary: 'The roster (排班): every live unit with service state, shift, crew and officers',
      description: 'Replay units left out; ordered by district then call sign. `dutyNow`: on duty at this moment (in service, duty level, shift). Supervisors and dispatchers only (officers\' names).',
      tags: ['roster'],
      roles: ROSTER_READ,
      responses: { 200: { description: 'The roster', schema: RosterList } },
      handler: async (_req, res) => {
        const [units, levels, officers] = await Promise.all([
          db.select<Unit>('SELECT * FROM units WHERE NOT replay ORDER BY district, call_sign'),
          db.select<DutyLevelState>('SELECT * FROM duty_levels'),
          officersOf(db),
        ]);
        const now = nowOf(ctx);
        const minute = localMinute(now, ctx.timeZone);
        const level = new Map(levels.map((l) => [l.district, l.level as DutyLevelT]));
        res.json({
          asOf: now,
          items: units.map((u) => ({
            unitId: u.id,
            callSign: u.callSign,
            type: u.type,
            district: u.district,
            homeStation: u.homeStation,
            status: u.status,
            inService: u.inService,
            serviceReason: u.serviceReason,
            rosterChangedAt: isoOrNull(u.rosterChangedAt),
            shift: { name: u.shiftName, start: u.shiftStart, end: u.shiftEnd },
            minDutyLevel: u.minDutyLevel,
            crewSize: u.crewSize,
            officers: officers.get(u.id) ?? [],
            version: u.version,
            dutyNow: u.inService ? dutyStatus(candidateOf(u), level.get(u.district) ?? 'normal', minute) : { onDuty: false, reason: `out of service (${u.serviceReason ?? 'other'})` },
          })),
        });
      },
    },
    command(
      'Take a unit out of service or return it (UnitTakenOutOfService / UnitReturnedToService)',
      '`{inService: false, reason}` (reason code: vehicle-repair, training, special-duty, staff-shortage, rest-day, other) or `{inService: true}`. Out of service: neither recommended nor assignable (409 not-in-service) until returned.',
      'service',
      ServiceBody,
      (b: z.infer<typeof ServiceBody>) => (b.inService ? { type: 'ReturnToService', ...at(b) } : { type: 'TakeOutOfService', reason: b.reason, ...at(b) }),
      '`already-out-of-service` / `already-in-service`',
    ),
    command(
      'Change a unit\'s shift window (UnitShiftChanged)',
      '`{name, start, end}` local HH:MM in the bureau zone (end ≤ start crosses midnight; 00:00–24:00 all day). Recommendations and assignments check it at once.',
      'shift',
      ShiftBody,
      (b: z.infer<typeof ShiftBody>) => ({ type: 'ChangeShift', shift: { name: b.name, start: b.start, end: b.end }, ...at(b) }),
      '`same-shift`',
    ),
    command(
      'Set a unit\'s crew (UnitCrewChanged)',
      '`{crewSize, officers: [name…]}`: the names replace the previous list and stay in dispatch\'s `unit_officers` table; the event carries only the counts. 400 when more names than the crew size.',
      'crew',
      CrewBody,
      (b: z.infer<typeof CrewBody>) => ({ type: 'SetCrew', crewSize: b.crewSize, officers: b.officers, ...at(b) }),
      'Unit not registered',
    ),
  ];
}
