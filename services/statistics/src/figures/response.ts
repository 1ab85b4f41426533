/** Response-time percentiles and compliance shares (counting unit: incident). */
import { daysBetween } from '@cad110/contracts';
import { grainRanges, MEASURES, type Measure } from '../projections/response-hist';
import type { Sql } from '@cad110/db';
import { byKey, factWhere, num, Where, type Filters } from './sql-where';

export { MEASURES, type Measure };

export interface ResponseRow {
  key: string | number | null;
  measure: Measure;
  /** incidents with this interval measured */
  n: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
}

/**
 * Response-time percentiles (seconds; counting unit: incident; nearest rank, = percentile_disc
 * over the calls) per priority, district or overall (key null). Intervals: answer = ringing →
 * answered (only when telephony reports ringing); processing = answered → first UnitDispatched;
 * travel = first UnitDispatched → first UnitStatusChanged to on-scene; total = answered → first
 * on-scene. An interval with a missing end or a negative length is left out.
 *
 * Read from the exact histograms of `response_hist` (projections/response-hist.ts): the period
 * as whole years + whole months + days, the buckets summed per key and measure, and the
 * percentile p taken as the smallest interval whose cumulative count reaches ⌈p × n⌉ — the rank
 * PostgreSQL's percentile_disc takes (src/backend/utils/adt/orderedsetaggs.c), so the figures
 * equal percentile_disc over call_facts. Periods of up to {@link FACTS_MAX_DAYS} days are read
 * with percentile_disc over `call_facts` itself (as fast there: a month's histogram buckets are
 * about as many as its calls); longer or open periods from the histograms.
 */
export async function responseTimes(sql: Sql, by: 'none' | 'priority' | 'district', f: Filters & { priority?: number }): Promise<ResponseRow[]> {
  if (f.from && f.to && daysBetween(f.from, f.to).length <= FACTS_MAX_DAYS) return responseTimesFromFacts(sql, by, f);
  const g = grainRanges(f.from, f.to);
  const w = new Where();
  const spans: string[] = [];
  for (const grain of ['y', 'm', 'd'] as const) {
    for (const [a, b] of g[grain]) {
      w.params.push(a, b);
      spans.push(`(grain = '${grain}' AND period BETWEEN $${w.params.length - 1} AND $${w.params.length})`);
    }
  }
  if (spans.length === 0) return [];
  w.add(`(${spans.join(' OR ')})`).add('district = ?', f.district).add('category = ?', f.category).add('priority = ?', f.priority);
  const key = by === 'none' ? 'NULL::text' : by === 'priority' ? 'NULLIF(priority, -1)' : `NULLIF(district, '')`;
  // per key and measure the stored buckets as one text "value n value n …" (no sort or window
  // functions in PostgreSQL, and 16 rows to parse instead of 30,000: at a year of 1,000,000 calls
  // the query went from ~65 to ~40 ms, bench/statistics-queries.ts); summed and walked here
  const groups = await sql.query<{ key: string | number | null; measure: Measure; b: string }>(
    `SELECT ${key} AS key, measure, string_agg(value_ms::text || ' ' || n::text, ' ') AS b FROM response_hist WHERE ${w.sql} GROUP BY 1, 2`,
    w.params,
  );
  const rows = groups.flatMap(({ key: k, measure, b }) => {
    const counts = new Map<number, number>();
    const parts = b.split(' ');
    for (let i = 0; i + 1 < parts.length; i += 2) {
      const v = Number(parts[i]);
      counts.set(v, (counts.get(v) ?? 0) + Number(parts[i + 1]));
    }
    const p = percentilesOfCounts(counts);
    return p ? [{ key: k, measure, ...p }] : [];
  });
  const s = (v: unknown) => (v === null || v === undefined ? null : Number(v) / 1000);
  const byKeyRows = new Map<string, { key: string | number | null; m: Map<string, (typeof rows)[number]> }>();
  for (const r of rows) {
    const id = JSON.stringify(r.key);
    (byKeyRows.get(id) ?? byKeyRows.set(id, { key: r.key, m: new Map() }).get(id)!).m.set(r.measure, r);
  }
  return [...byKeyRows.values()].sort(byKey).flatMap(({ key: k, m }) =>
    MEASURES.map((measure) => {
      const r = m.get(measure);
      return { key: k ?? null, measure, n: num(r?.n), p50: s(r?.p50), p90: s(r?.p90), p95: s(r?.p95) };
    }),
  );
}

/**
 * Nearest-rank percentiles of a histogram: p is the smallest value whose cumulative count reaches
 * ⌈p × n⌉ (at least 1) — the rank PostgreSQL's percentile_disc takes
 * (src/backend/utils/adt/orderedsetaggs.c).
 * @param counts value (e.g. an interval in ms) → how many times it occurs
 * @returns n and p50 / p90 / p95 (values of `counts`); undefined when n is 0 (or, by a fault, below)
 */
export function percentilesOfCounts(counts: ReadonlyMap<number, number>): { n: number; p50: number; p90: number; p95: number } | undefined {
  const values = [...counts.keys()].sort((a, b) => a - b);
  let n = 0;
  for (const v of values) n += counts.get(v)!;
  if (n <= 0) return undefined;
  const ranks = [0.5, 0.9, 0.95].map((p) => Math.max(1, Math.ceil(p * n)));
  const found: number[] = [];
  let cum = 0;
  for (const v of values) {
    cum += counts.get(v)!;
    while (found.length < ranks.length && cum >= ranks[found.length]!) found.push(v);
    if (found.length === ranks.length) break;
  }
  return { n, p50: found[0]!, p90: found[1]!, p95: found[2]! };
}

/**
 * {@link percentilesOfCounts} per key and measure of histogram buckets.
 * @param buckets `{key, measure, v: interval in ms, n: calls}`, in any order, a value may repeat
 * @returns per key and measure: n and p50 / p90 / p95 in ms
 */
export function percentilesOfBuckets(buckets: readonly { key: string | number | null; measure: Measure; v: number; n: number }[]): { key: string | number | null; measure: Measure; n: number; p50: number; p90: number; p95: number }[] {
  const groups = new Map<string, { key: string | number | null; measure: Measure; counts: Map<number, number> }>();
  for (const b of buckets) {
    const id = `${JSON.stringify(b.key)} ${b.measure}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key: b.key, measure: b.measure, counts: new Map() }));
    g.counts.set(b.v, (g.counts.get(b.v) ?? 0) + b.n);
  }
  return [...groups.values()].flatMap(({ key, measure, counts }) => {
    const p = percentilesOfCounts(counts);
    return p ? [{ key, measure, ...p }] : [];
  });
}

/** Periods of at most this many days are read from `call_facts` (see {@link responseTimes}). */
export const FACTS_MAX_DAYS = 62;

const MEASURE_COL: Record<Measure, string> = { answer: 'answer_s', processing: 'processing_s', travel: 'travel_s', total: 'total_s' };

/** {@link responseTimes} as percentile_disc over the call facts of the period. */
async function responseTimesFromFacts(sql: Sql, by: 'none' | 'priority' | 'district', f: Filters & { priority?: number }): Promise<ResponseRow[]> {
  const w = factWhere(f);
  const key = by === 'none' ? 'NULL::text' : by;
  const sel = MEASURES.map((m) => {
    const c = MEASURE_COL[m];
    return `count(${c}) AS n_${m}, percentile_disc(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY ${c}) AS p_${m}`;
  }).join(', ');
  const rows = await sql.query<Record<string, unknown>>(
    `SELECT ${key} AS key, ${sel} FROM call_facts WHERE ${w.sql} AND (processing_s IS NOT NULL OR travel_s IS NOT NULL OR total_s IS NOT NULL OR answer_s IS NOT NULL)
     GROUP BY 1 ORDER BY 1 NULLS LAST`,
    w.params,
  );
  return rows.sort(byKey).flatMap((r) =>
    MEASURES.map((m) => {
      const p = (r[`p_${m}`] as (number | null)[] | null) ?? [null, null, null];
      return { key: (r.key as string | number | null) ?? null, measure: m, n: num(r[`n_${m}`]), p50: p[0] ?? null, p90: p[1] ?? null, p95: p[2] ?? null };
    }),
  );
}


export interface ComplianceRow {
  key: string | number | null;
  /** incidents with a processing time */
  processingN: number;
  /** of those, processing ≤ 60 s */
  processingWithin60: number;
  /** share (0..1, 4 decimals) of processing ≤ 60 s; null when processingN = 0 */
  nfpa1225Share: number | null;
  /** NFPA 1225 target: 90 % of alarm processing within 60 s */
  nfpa1225Target: 0.9;
  nfpa1225Met: boolean | null;
  /** incidents with a travel time */
  travelN: number;
  within1min: number;
  within3min: number;
  within5min: number;
  /** shares (0..1, 4 decimals) of travel ≤ 60 / 180 / 300 s; null when travelN = 0 */
  circle1Share: number | null;
  circle3Share: number | null;
  circle5Share: number | null;
}

const share = (k: number, n: number) => (n ? Math.round((k / n) * 10000) / 10000 : null);

/**
 * Compliance (counting unit: incident): NFPA 1225 alarm processing = share of processing times
 * ≤ 60 s against the 90 % target; the 1-, 3- and 5-minute circles (1分钟处置、3分钟增援、5分钟合围)
 * = shares of travel times (first dispatch → first arrival) ≤ 60, 180 and 300 s.
 */
export async function compliance(sql: Sql, by: 'none' | 'priority' | 'district', f: Filters & { priority?: number }): Promise<ComplianceRow[]> {
  const w = factWhere(f);
  const key = by === 'none' ? 'NULL::text' : by;
  const rows = await sql.query<Record<string, unknown>>(
    `SELECT ${key} AS key, count(processing_s) AS pn, count(*) FILTER (WHERE processing_s <= 60) AS p60,
            count(travel_s) AS tn, count(*) FILTER (WHERE travel_s <= 60) AS t60, count(*) FILTER (WHERE travel_s <= 180) AS t180,
            count(*) FILTER (WHERE travel_s <= 300) AS t300
     FROM call_facts WHERE ${w.sql} AND (processing_s IS NOT NULL OR travel_s IS NOT NULL) GROUP BY 1 ORDER BY 1 NULLS LAST`,
    w.params,
  );
  if (by === 'none' && rows.length === 0) rows.push({ key: null });
  return rows.sort(byKey).map((r) => {
    const pn = num(r.pn);
    const tn = num(r.tn);
    const s = share(num(r.p60), pn);
    return {
      key: (r.key as string | number | null) ?? null,
      processingN: pn,
      processingWithin60: num(r.p60),
      nfpa1225Share: s,
      nfpa1225Target: 0.9,
      nfpa1225Met: s === null ? null : s >= 0.9,
      travelN: tn,
      within1min: num(r.t60),
      within3min: num(r.t180),
      within5min: num(r.t300),
      circle1Share: share(num(r.t60), tn),
      circle3Share: share(num(r.t180), tn),
      circle5Share: share(num(r.t300), tn),
    };
  });
}

