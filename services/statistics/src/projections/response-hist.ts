/**
 * Exact response-time histograms (table `response_hist`): for every received call and each of its
 * measured intervals, one count at (grain, period, priority, district, category, measure,
 * interval in whole milliseconds), kept at three grains — the local day (`d`, 'YYYY-MM-DD'), its
 * month (`m`, 'YYYY-MM') and its year (`y`, 'YYYY'). A period is read as whole years, whole
 * months and the days left over (at most 2 × 11 months and 2 × 30 days), so a year's percentiles
 * sum one year's buckets instead of sorting every call of the year. Intervals are differences of
 * millisecond instants, so a bucket per millisecond holds each value exactly and the percentiles
 * summed from the buckets equal percentile_disc over the calls (see figures/response.ts).
 * Unknown priority is stored as −1, unknown district / category as ''.
 */
import { DateTime } from 'luxon';
import type { CallFactRow } from './fold';
import type { TableSpec } from '@cad110/db';
import type { SummaryChange } from './summary-change';

/** The four response-time intervals (see figures/response.ts for their definitions). */
export const MEASURES = ['answer', 'processing', 'travel', 'total'] as const;
export type Measure = (typeof MEASURES)[number];
const MEASURE_FIELD: Record<Measure, 'answerS' | 'processingS' | 'travelS' | 'totalS'> = { answer: 'answerS', processing: 'processingS', travel: 'travelS', total: 'totalS' };

export type Grain = 'y' | 'm' | 'd';

export interface ResponseHistRow {
  grain: Grain;
  period: string;
  priority: number;
  district: string;
  category: string;
  measure: Measure;
  /** interval, whole milliseconds */
  valueMs: number;
  /** calls with this interval */
  n: number;
}

export const RESPONSE_HIST: TableSpec<ResponseHistRow> = {
  table: 'response_hist',
  key: ['grain', 'period', 'priority', 'district', 'category', 'measure', 'valueMs'],
  cols: [
    ['grain', 'grain', 'text'],
    ['period', 'period', 'text'],
    ['priority', 'priority', 'int'],
    ['district', 'district', 'text'],
    ['category', 'category', 'text'],
    ['measure', 'measure', 'text'],
    ['valueMs', 'value_ms', 'bigint'],
    ['n', 'n', 'int'],
  ],
};

/** The histogram keys a call row counts in: one per grain and measured interval (none for a placeholder). */
export function responseHistKeys(f: CallFactRow): Omit<ResponseHistRow, 'n'>[] {
  if (!f.received || !f.localDay) return [];
  const dims = { priority: f.priority ?? -1, district: f.district ?? '', category: f.category ?? '' };
  const periods: [Grain, string][] = [
    ['d', f.localDay],
    ['m', f.localDay.slice(0, 7)],
    ['y', f.localDay.slice(0, 4)],
  ];
  const out: Omit<ResponseHistRow, 'n'>[] = [];
  for (const measure of MEASURES) {
    const s = f[MEASURE_FIELD[measure]];
    if (s === null || s === undefined) continue;
    const valueMs = Math.round(s * 1000);
    for (const [grain, period] of periods) out.push({ grain, period, ...dims, measure, valueMs });
  }
  return out;
}

/** The histogram changes between a call row before and after a change (unchanged keys cancel when netted). */
export function responseHistDiff(before: CallFactRow, after: CallFactRow): SummaryChange[] {
  return [
    ...responseHistKeys(before).map((key) => ({ spec: RESPONSE_HIST, key, values: { n: 1 }, sign: -1 as const })),
    ...responseHistKeys(after).map((key) => ({ spec: RESPONSE_HIST, key, values: { n: 1 }, sign: 1 as const })),
  ];
}

/** The histogram rows of a set of call rows (the rebuild's bulk load). */
export function responseHistRows(calls: Iterable<CallFactRow>): ResponseHistRow[] {
  const rows = new Map<string, ResponseHistRow>();
  for (const f of calls) {
    for (const k of responseHistKeys(f)) {
      const id = `${k.grain}|${k.period}|${k.priority}|${k.district}|${k.category}|${k.measure}|${k.valueMs}`;
      const row = rows.get(id);
      if (row) row.n++;
      else rows.set(id, { ...k, n: 1 });
    }
  }
  return [...rows.values()];
}

/** Inclusive period ranges per grain that together cover exactly the local days `from`..`to`. */
export interface GrainRanges {
  y: [string, string][];
  m: [string, string][];
  d: [string, string][];
}

/**
 * Splits the local days `from`..`to` (ISO dates, inclusive; open ends: all days) into whole
 * years, whole months and single days, coarsest first.
 */
export function grainRanges(from = '0001-01-01', to = '9999-12-31'): GrainRanges {
  const out: GrainRanges = { y: [], m: [], d: [] };
  const end = DateTime.fromISO(to, { zone: 'utc' });
  let cur = DateTime.fromISO(from, { zone: 'utc' });
  const push = (g: Grain, a: string, b: string) => {
    const list = out[g];
    const last = list.at(-1);
    if (last && g === 'd' && DateTime.fromISO(last[1], { zone: 'utc' }).plus({ days: 1 }).toISODate() === a) last[1] = b;
    else list.push([a, b]);
  };
  while (cur <= end) {
    if (cur.day === 1 && cur.month === 1 && cur.endOf('year').startOf('day') <= end) {
      const lastYear = end.month === 12 && end.day === 31 ? end.year : end.year - 1;
      out.y.push([String(cur.year).padStart(4, '0'), String(lastYear).padStart(4, '0')]);
      cur = DateTime.fromObject({ year: lastYear + 1, month: 1, day: 1 }, { zone: 'utc' });
    } else if (cur.day === 1 && cur.endOf('month').startOf('day') <= end) {
      const first = cur.toFormat('yyyy-MM');
      let last = first;
      do {
        last = cur.toFormat('yyyy-MM');
        cur = cur.plus({ months: 1 });
      } while (cur.month !== 1 && cur.endOf('month').startOf('day') <= end);
      out.m.push([first, last]);
    } else {
      push('d', cur.toISODate()!, cur.toISODate()!);
      cur = cur.plus({ days: 1 });
    }
  }
  return out;
}
