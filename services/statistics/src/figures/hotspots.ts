/** Hot spots (Getis-Ord Gi* over H3 cells), duty level and the next shift's deployment suggestion. */
import { DateTime } from 'luxon';
import { daysBetween } from '@cad110/contracts';
import type { Sql } from '@cad110/db';
import { bandHoursOfWeek, cellCentre, getisOrdGiStar, nextShift, parentCell, periodDays, studyAreaOf, suggestDeployment, type BandName, type DutyLevelName, type UnitGroup } from './math';
import { factWhere, num, type Filters } from './sql-where';

/** Located calls per stored H3 cell and hour of week. */
async function cellHourCounts(sql: Sql, f: Filters): Promise<{ cell: string; how: number; calls: number }[]> {
  const w = factWhere(f).add('h3_cell IS NOT NULL');
  const rows = await sql.query<{ cell: string; how: number; calls: unknown }>(`SELECT h3_cell AS cell, hour_of_week AS how, count(*) AS calls FROM call_facts WHERE ${w.sql} GROUP BY 1, 2`, w.params);
  return rows.map((r) => ({ cell: r.cell, how: Number(r.how), calls: num(r.calls) }));
}

/**
 * Calls per H3 cell (at `resolution`, ≤ the stored one) × hour of week (0 = Monday 00:00 local),
 * for calls with coordinates. Rows with zero calls are not listed.
 */
export async function hotspotCells(sql: Sql, resolution: number, f: Filters) {
  const cache = new Map<string, string>();
  const agg = new Map<string, number>();
  for (const r of await cellHourCounts(sql, f)) {
    const k = `${parentCell(r.cell, resolution, cache)}|${r.how}`;
    agg.set(k, (agg.get(k) ?? 0) + r.calls);
  }
  return [...agg]
    .map(([k, calls]) => {
      const [cell, how] = k.split('|');
      return { cell: cell!, hourOfWeek: Number(how), calls };
    })
    .sort((a, b) => a.cell.localeCompare(b.cell) || a.hourOfWeek - b.hourOfWeek);
}

export interface HotspotRow {
  band: BandName;
  rank: number;
  cell: string;
  lat: number;
  lon: number;
  calls: number;
  neighbourhoodCalls: number;
  z: number | null;
}

/**
 * Hot spots per shift band (夜班 00–08, 白班 08–16, 晚班 16–24 local, every weekday or the given
 * ones): Getis-Ord Gi* over the study area (cells with calls in the period ∪ their k-rings) at
 * `resolution`, and the `top` cells by z (ties: more calls, then cell id).
 */
export async function hotspots(sql: Sql, opts: { resolution: number; k: number; top: number; bands: BandName[]; weekdays?: number[] }, f: Filters): Promise<HotspotRow[]> {
  const cache = new Map<string, string>();
  const raw = await cellHourCounts(sql, f);
  const cells = new Set(raw.map((r) => parentCell(r.cell, opts.resolution, cache)));
  const area = studyAreaOf(cells, opts.k);
  const out: HotspotRow[] = [];
  for (const band of opts.bands) {
    const hours = bandHoursOfWeek(band, opts.weekdays);
    const counts = new Map<string, number>();
    for (const r of raw) if (hours.has(r.how)) counts.set(parentCell(r.cell, opts.resolution, cache), (counts.get(parentCell(r.cell, opts.resolution, cache)) ?? 0) + r.calls);
    const gi = getisOrdGiStar(counts, area, opts.k)
      .filter((g) => g.count > 0)
      .sort((a, b) => (b.z ?? -Infinity) - (a.z ?? -Infinity) || b.count - a.count || a.cell.localeCompare(b.cell))
      .slice(0, opts.top);
    gi.forEach((g, i) => out.push({ band, rank: i + 1, cell: g.cell, ...cellCentre(g.cell), calls: g.count, neighbourhoodCalls: g.neighbourhoodCount, z: g.z === null ? null : Math.round(g.z * 1000) / 1000 }));
  }
  return out;
}

/** Latest duty level of a district from DutyLevelChanged (the highest over all districts when none is given); `normal` when none was recorded. */
export async function dutyLevelOf(sql: Sql, district?: string): Promise<DutyLevelName> {
  const rows = await sql.query<{ level: string }>(`SELECT level FROM duty_levels ${district ? 'WHERE district = $1' : ''}`, district ? [district] : []);
  const order: DutyLevelName[] = ['normal', 'reinforced', 'wartime'];
  return rows.map((r) => r.level as DutyLevelName).reduce<DutyLevelName>((a, b) => (order.indexOf(b) > order.indexOf(a) ? b : a), 'normal');
}

/** Units whose latest UnitStatusChanged is not out-of-service, as one group of type `patrol-unit`. */
export async function unitsOnDutyFromEvents(sql: Sql): Promise<UnitGroup[]> {
  const [r] = await sql.query<{ n: unknown }>(`SELECT count(*) AS n FROM unit_states WHERE status <> 'out-of-service'`);
  const n = num(r?.n);
  return n ? [{ type: 'patrol-unit', count: n }] : [];
}

/**
 * Deployment suggestion for the next shift after `at`: the history window (`from`..`to`) gives
 * the calls per cell in the same hours of week as that shift; Gi* ranks the cells; the duty level
 * decides how many of the on-duty units are posted (see suggestDeployment).
 */
export async function deployment(
  sql: Sql,
  opts: { at: Date; timeZone: string; resolution: number; k: number; units?: UnitGroup[]; dutyLevel?: DutyLevelName },
  f: Filters & { from: string; to: string },
) {
  const shift = nextShift(opts.at, opts.timeZone);
  const level = opts.dutyLevel ?? (await dutyLevelOf(sql, f.district));
  const units = opts.units ?? (await unitsOnDutyFromEvents(sql));
  const cache = new Map<string, string>();
  const raw = await cellHourCounts(sql, f);
  const cells = new Set(raw.map((r) => parentCell(r.cell, opts.resolution, cache)));
  const area = studyAreaOf(cells, opts.k);
  const hours = new Set(shift.hoursOfWeek);
  const counts = new Map<string, number>();
  for (const r of raw) {
    if (!hours.has(r.how)) continue;
    const c = parentCell(r.cell, opts.resolution, cache);
    counts.set(c, (counts.get(c) ?? 0) + r.calls);
  }
  // occurrences of the shift's weekday in the window = weeks of history for that shift
  const occurrences = daysBetween(f.from, f.to).filter((d) => DateTime.fromISO(d, { zone: 'utc' }).weekday === shift.weekday).length;
  const gi = getisOrdGiStar(counts, area, opts.k).map((g) => ({ ...g, expectedCalls: occurrences ? Math.round((g.count / occurrences) * 100) / 100 : 0 }));
  const plan = suggestDeployment(gi, units, level);
  return { shift, dutyLevel: level, units, historyDays: periodDays(f), shiftOccurrences: occurrences, ...plan };
}

