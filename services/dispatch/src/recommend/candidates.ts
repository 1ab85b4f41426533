import type { DutyLevel } from '@cad110/contracts';
import type { Sql } from '@cad110/db';
import { localMinute, type DispatchContext } from '../context';
import type { Unit as UnitRow } from '../generated/prisma/client';
import { FREE_STATUSES, recommend, type Recommendation, type UnitCandidate } from './recommend';

/** A unit row as the recommender's candidate. */
export function candidateOf(u: UnitRow): UnitCandidate {
  return {
    id: u.id,
    callSign: u.callSign,
    type: u.type,
    district: u.district,
    status: u.status,
    capabilities: u.capabilities,
    minDutyLevel: u.minDutyLevel as DutyLevel,
    shift: { name: u.shiftName, start: u.shiftStart, end: u.shiftEnd },
    anchor: u.anchorLat !== null && u.anchorLon !== null ? { lat: u.anchorLat, lon: u.anchorLon } : null,
    avl: u.avlLat !== null && u.avlLon !== null && u.avlAt ? { lat: u.avlLat, lon: u.avlLon, atMs: u.avlAt.getTime() } : null,
    replay: u.replay,
  };
}

/** A row of {@link CANDIDATES_SQL}: only the columns the recommender needs, with the district's duty level. */
interface CandidateRow {
  id: string;
  call_sign: string;
  type: string;
  district: string;
  status: string;
  capabilities: string[];
  min_duty_level: string;
  shift_name: string;
  shift_start: string;
  shift_end: string;
  anchor_lat: number | null;
  anchor_lon: number | null;
  avl_lat: number | null;
  avl_lon: number | null;
  /** the AVL fix time in ms since the epoch (float8, so no Date is parsed per row) */
  avl_ms: number | null;
  replay: boolean;
  /** the duty level of the unit's district; null = no row = normal */
  duty_level: string | null;
}

/**
 * The units the recommender can pick (free: available or cleared; replay units only when asked)
 * with their district's duty level, in one statement. The recommender filters on the same
 * conditions ({@link FREE_STATUSES}, `replay`), so filtering those here changes no
 * recommendation; it only leaves busy units and their columns out of the per-call read. Units a
 * supervisor took out of service on the roster (`in_service` false, units/roster.ts) are left
 * out here only: the recommender never sees them.
 */
const CANDIDATES_SQL = `SELECT u.id, u.call_sign, u.type, u.district, u.status, u.capabilities, u.min_duty_level,
       u.shift_name, u.shift_start, u.shift_end, u.anchor_lat, u.anchor_lon, u.avl_lat, u.avl_lon,
       (extract(epoch FROM u.avl_at) * 1000)::float8 AS avl_ms, u.replay, d.level AS duty_level
  FROM units u LEFT JOIN duty_levels d ON d.district = u.district
 WHERE u.status = ANY($1::text[]) AND ($2::boolean OR NOT u.replay) AND u.in_service`;

const FREE = [...FREE_STATUSES];

/**
 * Free units as recommender candidates plus the duty levels of their districts (districts
 * without a row are normal, as in {@link recommendWith}).
 */
export async function freeCandidates(tx: Sql, includeReplayUnits = false): Promise<{ units: UnitCandidate[]; dutyLevels: Map<string, DutyLevel> }> {
  const rows = await tx.query<CandidateRow>(CANDIDATES_SQL, [FREE, includeReplayUnits]);
  const dutyLevels = new Map<string, DutyLevel>();
  const units = rows.map((u): UnitCandidate => {
    if (u.duty_level !== null) dutyLevels.set(u.district, u.duty_level as DutyLevel);
    return {
      id: u.id,
      callSign: u.call_sign,
      type: u.type,
      district: u.district,
      status: u.status,
      capabilities: u.capabilities,
      minDutyLevel: u.min_duty_level as DutyLevel,
      shift: { name: u.shift_name, start: u.shift_start, end: u.shift_end },
      anchor: u.anchor_lat !== null && u.anchor_lon !== null ? { lat: u.anchor_lat, lon: u.anchor_lon } : null,
      avl: u.avl_lat !== null && u.avl_lon !== null && u.avl_ms !== null ? { lat: u.avl_lat, lon: u.avl_lon, atMs: u.avl_ms } : null,
      replay: u.replay,
    };
  });
  return { units, dutyLevels };
}

/** Runs the recommender for an incident at `at` (UTC ISO-8601) with the given units and duty levels. */
export function recommendWith(
  ctx: Pick<DispatchContext, 'eta' | 'runCards' | 'timeZone' | 'map'>,
  incident: Parameters<typeof recommend>[0],
  units: UnitCandidate[],
  dutyLevels: Map<string, DutyLevel>,
  at: string,
  opts: { alternates?: number; includeReplayUnits?: boolean } = {},
): Recommendation {
  return recommend(incident, units, {
    eta: ctx.eta,
    runCards: ctx.runCards,
    dutyLevels,
    atMs: Date.parse(at),
    minute: localMinute(at, ctx.timeZone),
    areaOf: (d) => ctx.map.areaOf(d),
    nearestDistrict: (p) => ctx.map.nearestDistrict(p),
    ...opts,
  });
}
