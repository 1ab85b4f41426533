/**
 * Pure computations behind the figures: comparison periods and the zero-base rule, percentiles
 * (nearest rank), Getis-Ord Gi*, shift bands and the deployment suggestion.
 */
import { DateTime } from 'luxon';
import { cellToLatLng, cellToParent, getResolution, gridDisk } from 'h3-js';

/** Inclusive local-day period `YYYY-MM-DD`..`YYYY-MM-DD`. */
export interface Period {
  from: string;
  to: string;
}

/** Number of local days in a period (inclusive). */
export function periodDays(p: Period): number {
  return Math.round(DateTime.fromISO(p.to, { zone: 'utc' }).diff(DateTime.fromISO(p.from, { zone: 'utc' }), 'days').days) + 1;
}

/**
 * 同比 base: the same local dates one year earlier (29 February maps to 28 February, as the
 * calendar has no 29th that year).
 */
export function yearOnYearBase(p: Period): Period {
  const back = (d: string) => DateTime.fromISO(d, { zone: 'utc' }).minus({ years: 1 }).toISODate()!;
  return { from: back(p.from), to: back(p.to) };
}

/** 环比 base: the period of the same number of days that ends the day before `from`. */
export function periodOnPeriodBase(p: Period): Period {
  const n = periodDays(p);
  const from = DateTime.fromISO(p.from, { zone: 'utc' });
  return { from: from.minus({ days: n }).toISODate()!, to: from.minus({ days: 1 }).toISODate()! };
}

/** A change against a base value. */
export interface Change {
  base: number;
  /** current − base */
  change: number;
  /** (current − base) / base × 100, rounded to 2 decimals; null when the base is 0 */
  changePct: number | null;
  /** true when the base is 0: the % change is undefined and reported as null */
  baseZero: boolean;
}

/**
 * Change of `current` against `base`. Rule for a zero base: `changePct` is null and `baseZero`
 * is true (the absolute change is still given); 0 → 0 is a change of 0 with changePct null too.
 * Rounding: `Math.round(x × 100) / 100` (halves toward +∞).
 */
export function changeOf(current: number, base: number): Change {
  if (base === 0) return { base, change: current - base, changePct: null, baseZero: true };
  return { base, change: current - base, changePct: Math.round(((current - base) / base) * 100 * 100) / 100, baseZero: false };
}

/**
 * Nearest-rank percentile: the value at 1-based rank ⌈p/100 × n⌉ of the ascending values
 * (p in (0, 100]); null for no values. PostgreSQL's `percentile_disc(p/100)` gives the same value.
 */
export function nearestRank(sortedAscending: readonly number[], p: number): number | null {
  const n = sortedAscending.length;
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sortedAscending[rank - 1]!;
}

/** Shift bands of the day in local time: 夜班 00–08, 白班 08–16, 晚班 16–24. */
export const BANDS = {
  night: { start: 0, end: 8, label: '00:00–08:00' },
  day: { start: 8, end: 16, label: '08:00–16:00' },
  evening: { start: 16, end: 24, label: '16:00–24:00' },
} as const;
export type BandName = keyof typeof BANDS;
export const BAND_NAMES = Object.keys(BANDS) as BandName[];

/** Hours of week (0 = Monday 00:00 … 167) of a band on every weekday, or on the given ISO weekdays (1 = Monday). */
export function bandHoursOfWeek(band: BandName | 'all', weekdays: number[] = [1, 2, 3, 4, 5, 6, 7]): Set<number> {
  const out = new Set<number>();
  const { start, end } = band === 'all' ? { start: 0, end: 24 } : BANDS[band];
  for (const w of weekdays) for (let h = start; h < end; h++) out.add((w - 1) * 24 + h);
  return out;
}

/** Cell → parent cell at `resolution` (cached; the cell itself when already that coarse). */
export function parentCell(cell: string, resolution: number, cache = new Map<string, string>()): string {
  let p = cache.get(cell);
  if (p === undefined) {
    p = getResolution(cell) <= resolution ? cell : cellToParent(cell, resolution);
    cache.set(cell, p);
  }
  return p;
}

/** Gi* of one cell. */
export interface GiStar {
  cell: string;
  /** x_i: calls in the cell */
  count: number;
  /** Σ_j w_ij x_j: calls in the cell and its k-ring neighbours inside the study area */
  neighbourhoodCount: number;
  /** Gi* z-score; null when every cell of the study area has the same count */
  z: number | null;
}

/**
 * Getis-Ord Gi* (Getis & Ord 1992, "The analysis of spatial association by use of distance
 * statistics", Geographical Analysis 24(3); standardised form of Ord & Getis 1995, "Local spatial
 * autocorrelation statistics: distributional issues and an application", Geographical Analysis
 * 27(4), eq. 14):
 *
 *   Gi* = (Σ_j w_ij x_j − X̄ Σ_j w_ij) / ( S √( (n Σ_j w_ij² − (Σ_j w_ij)²) / (n − 1) ) )
 *   X̄ = Σ_j x_j / n,   S = √( Σ_j x_j² / n − X̄² )
 *
 * Study area: the given cells (n of them, zero counts included). Weights: binary contiguity on the
 * H3 grid, w_ij = 1 when j is within `k` grid steps of i (`gridDisk(i, k)`, i itself included, as
 * Gi* requires) and j is in the study area, else 0.
 * @returns one entry per study-area cell
 */
export function getisOrdGiStar(counts: ReadonlyMap<string, number>, studyArea: readonly string[], k: number): GiStar[] {
  const n = studyArea.length;
  const area = new Set(studyArea);
  let sum = 0;
  let sumSq = 0;
  for (const c of studyArea) {
    const x = counts.get(c) ?? 0;
    sum += x;
    sumSq += x * x;
  }
  const mean = n ? sum / n : 0;
  const s = n ? Math.sqrt(Math.max(0, sumSq / n - mean * mean)) : 0;
  return studyArea.map((cell) => {
    let w = 0;
    let wx = 0;
    for (const j of gridDisk(cell, k)) {
      if (!area.has(j)) continue;
      w++;
      wx += counts.get(j) ?? 0;
    }
    const denom = n > 1 ? s * Math.sqrt((n * w - w * w) / (n - 1)) : 0;
    const z = denom > 0 ? (wx - mean * w) / denom : null;
    return { cell, count: counts.get(cell) ?? 0, neighbourhoodCount: wx, z };
  });
}

/** The study area: every cell with a call, with its k-ring neighbours (zero-count cells included). */
export function studyAreaOf(cellsWithCalls: Iterable<string>, k: number): string[] {
  const out = new Set<string>();
  for (const c of cellsWithCalls) for (const j of gridDisk(c, k)) out.add(j);
  return [...out].sort();
}

/** Centre of a cell (WGS84 degrees). */
export function cellCentre(cell: string): { lat: number; lon: number } {
  const [lat, lon] = cellToLatLng(cell);
  return { lat, lon };
}

/** Share of on-duty patrol units posted at hot spots per duty level (the rest stay in reserve). */
export const POSTING_SHARE = { normal: 0.5, reinforced: 0.75, wartime: 1 } as const;
export type DutyLevelName = keyof typeof POSTING_SHARE;

/** z-score threshold of a hot spot: Gi* ≥ 1.96 (p < 0.05, two-sided normal). */
export const HOT_SPOT_Z = 1.96;

export interface UnitGroup {
  type: string;
  count: number;
}

export interface Post {
  post: number;
  cell: string;
  lat: number;
  lon: number;
  z: number;
  expectedCalls: number;
  unitType: string;
}

/**
 * Deployment suggestion: posts = ⌈on-duty units × POSTING_SHARE[level]⌉; the posts go to the
 * hot-spot cells (Gi* ≥ 1.96) in descending z (ties: more calls, then cell id); the units are
 * handed out in the order of `units` (the caller lists the types to post first first), one per
 * post. Units with no significant cell left stay in reserve.
 */
export function suggestDeployment(cells: readonly (GiStar & { expectedCalls: number })[], units: readonly UnitGroup[], level: DutyLevelName): { posts: Post[]; reserve: UnitGroup[]; postsPlanned: number } {
  const total = units.reduce((s, u) => s + u.count, 0);
  const planned = Math.ceil(total * POSTING_SHARE[level]);
  const hot = cells
    .filter((c) => c.z !== null && c.z >= HOT_SPOT_Z)
    .sort((a, b) => b.z! - a.z! || b.count - a.count || a.cell.localeCompare(b.cell))
    .slice(0, planned);
  const queue = units.flatMap((u) => Array.from({ length: u.count }, () => u.type));
  const posts = hot.map((c, i) => ({ post: i + 1, cell: c.cell, ...cellCentre(c.cell), z: c.z!, expectedCalls: c.expectedCalls, unitType: queue[i]! }));
  const left = queue.slice(posts.length);
  const reserve = units.map((u) => ({ type: u.type, count: left.filter((t) => t === u.type).length })).filter((u) => u.count > 0);
  return { posts, reserve, postsPlanned: planned };
}

/**
 * The next shift after instant `at` in `zone`: the band that starts at the first band boundary
 * (00:00, 08:00, 16:00 local) strictly after `at`.
 * @returns band name, its local start (ISO with offset) and its hours of week
 */
export function nextShift(at: Date, zone: string): { band: BandName; start: string; weekday: number; hoursOfWeek: number[] } {
  const local = DateTime.fromJSDate(at, { zone });
  const boundaries = [8, 16, 24];
  const next = boundaries.find((b) => b > local.hour)!;
  const start = next === 24 ? local.plus({ days: 1 }).startOf('day') : local.startOf('day').set({ hour: next });
  const band = BAND_NAMES.find((b) => BANDS[b].start === start.hour)!;
  const hours = [...bandHoursOfWeek(band, [start.weekday])].sort((a, b) => a - b);
  return { band, start: start.toISO()!, weekday: start.weekday, hoursOfWeek: hours };
}
