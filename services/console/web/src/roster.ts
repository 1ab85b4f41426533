/**
 * The roster on duty, from `GET /api/dispatch/units` (each unit with `dutyNow`: on duty at this
 * moment by its district's duty level and its shift).
 */
import type { Unit } from './desk-types';

/** A unit with `dutyNow` as `GET /api/dispatch/units` gives it. */
export type RosterUnit = Unit & { replay?: boolean; dutyNow?: { onDuty: boolean; reason: string } };

/**
 * The roster on duty now: units whose `dutyNow.onDuty` is true (replayed units left out),
 * counted per unit type × district, with the officers (crew sizes) of each cell.
 */
export function rosterOf(units: readonly RosterUnit[]): { types: string[]; districts: string[]; cell: (type: string, district: string) => { units: number; officers: number }; total: { units: number; officers: number } } {
  const on = units.filter((u) => !u.replay && u.dutyNow?.onDuty);
  const types = [...new Set(units.filter((u) => !u.replay).map((u) => u.type))].sort();
  const districts = [...new Set(units.filter((u) => !u.replay).map((u) => u.district))].sort();
  const m = new Map<string, { units: number; officers: number }>();
  for (const u of on) {
    const k = `${u.type}|${u.district}`;
    const c = m.get(k) ?? { units: 0, officers: 0 };
    m.set(k, { units: c.units + 1, officers: c.officers + u.crewSize });
  }
  return {
    types,
    districts,
    cell: (t, d) => m.get(`${t}|${d}`) ?? { units: 0, officers: 0 },
    total: { units: on.length, officers: on.reduce((s, u) => s + u.crewSize, 0) },
  };
}

