/**
 * The figures, computed from statistics' projections. Definitions (also in the README and the
 * OpenAPI descriptions):
 *
 * - **call** (接警): one CallReceived; counted on the local day (bureau zone, midnight to
 *   midnight) and hour of its `answeredAt`. Every call counts, whatever its classification.
 * - **110 total**: calls received in the period.
 * - **incident** (警情): a call whose latest classification has kind `report` (报警) and that was
 *   neither cancelled nor linked as a duplicate. **Criminal incident**: an incident in category
 *   `criminal`. **Two robberies and one theft** (两抢一盗): an incident whose latest
 *   classification carries the flag `two-robberies-one-theft`.
 * - district / beat / category / subtype / kind / priority: the call's latest location and classification.
 */
import { DateTime } from 'luxon';
import { TWO_ROBBERIES_ONE_THEFT, daysBetween } from '@cad110/contracts';
import type { Sql } from '../projections/store';
import {
  bandHoursOfWeek,
  BAND_NAMES,
  cellCentre,
  changeOf,
  getisOrdGiStar,
  nextShift,
  parentCell,
  periodDays,
  periodOnPeriodBase,
  studyAreaOf,
  suggestDeployment,
  yearOnYearBase,
  type BandName,
  type Change,
  type DutyLevelName,
  type Period,
  type UnitGroup,
} from './math';

/** Builds a parameterised WHERE clause. */
class Where {
  readonly parts: string[] = [];
  readonly params: unknown[] = [];
  constructor(first: unknown[] = []) {
    this.params.push(...first);
  }
  /** adds `sql` with every `?` replaced by the next parameter (one value) */
  add(sql: string, value?: unknown): this {
    if (value === undefined && sql.includes('?')) return this;
    if (sql.includes('?')) {
      this.params.push(value);
      sql = sql.replace('?', `$${this.params.length}`);
    }
    this.parts.push(sql);
    return this;
  }
  get sql(): string {
    return this.parts.length ? this.parts.join(' AND ') : 'TRUE';
  }
}

export interface Filters {
  from?: string;
  to?: string;
  district?: string;
  category?: string;
}

/** Filters of the summary tables ('' is "not known" there). */
function summaryWhere(f: Filters & { flag?: string; scope?: 'calls' | 'incidents' }): Where {
  const w = new Where();
  w.add('local_day >= ?', f.from).add('local_day <= ?', f.to).add('district = ?', f.district).add('category = ?', f.category);
  if (f.flag === TWO_ROBBERIES_ONE_THEFT) w.add('two_rob AND incident');
  if (f.scope === 'incidents') w.add('incident');
  return w;
}

const num = (v: unknown) => Number(v ?? 0);

/**
 * The rows of call_counts_day for a period, read as whole local months from call_counts_month
 * plus the days before the first and after the last whole month from call_counts_day (same
 * columns; `local_day` is not selected). The filters apply to both parts.
 */
function dayOrMonthSource(f: Filters & { flag?: string; scope?: 'calls' | 'incidents' }): { from: string; params: unknown[] } {
  const first = f.from ? DateTime.fromISO(f.from, { zone: 'utc' }) : undefined;
  const last = f.to ? DateTime.fromISO(f.to, { zone: 'utc' }) : undefined;
  const mFirst = first ? (first.day === 1 ? first : first.plus({ months: 1 }).startOf('month')) : undefined;
  const mLastEnd = last ? (last.plus({ days: 1 }).day === 1 ? last : last.startOf('month').minus({ days: 1 })) : undefined; // last day of the last whole month
  const cols = 'district, category, subtype, kind, incident, two_rob, calls';
  const w = summaryWhere({ ...f, from: undefined, to: undefined });
  if (mFirst && mLastEnd && mFirst > mLastEnd) {
    const d = summaryWhere(f);
    return { from: `(SELECT ${cols} FROM call_counts_day WHERE ${d.sql}) s`, params: d.params };
  }
  const parts: string[] = [];
  const params = [...w.params];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const monthConds = [...(mFirst ? [`local_month >= ${p(mFirst.toFormat('yyyy-MM'))}`] : []), ...(mLastEnd ? [`local_month <= ${p(mLastEnd.toFormat('yyyy-MM'))}`] : [])];
  parts.push(`SELECT ${cols} FROM call_counts_month WHERE ${[w.sql, ...monthConds].join(' AND ')}`);
  if (first && mFirst && first < mFirst) parts.push(`SELECT ${cols} FROM call_counts_day WHERE ${w.sql} AND local_day >= ${p(f.from)} AND local_day < ${p(mFirst.toISODate())}`);
  if (last && mLastEnd && last > mLastEnd) parts.push(`SELECT ${cols} FROM call_counts_day WHERE ${w.sql} AND local_day > ${p(mLastEnd.toISODate())} AND local_day <= ${p(f.to)}`);
  return { from: `(${parts.join(' UNION ALL ')}) s`, params };
}

/**
 * Order of table rows: by key, numbers numerically, text by UTF-16 code units (not the database's
 * collation), the unknown key (null) last.
 */
export function byKey(a: { key?: unknown }, b: { key?: unknown }): number {
  if (a.key === b.key) return 0;
  if (a.key === null || a.key === undefined) return 1;
  if (b.key === null || b.key === undefined) return -1;
  return (a.key as never) < (b.key as never) ? -1 : 1;
}

export type CountBy = 'category' | 'subtype' | 'kind' | 'district' | 'beat' | 'day' | 'hour' | 'weekday' | 'hour-of-week';

const COUNT_SOURCES: Record<CountBy, { table: string; col: string }> = {
  category: { table: 'call_counts_day', col: 'category' },
  subtype: { table: 'call_counts_day', col: 'subtype' },
  kind: { table: 'call_counts_day', col: 'kind' },
  district: { table: 'call_counts_day', col: 'district' },
  day: { table: 'call_counts_day', col: 'local_day' },
  weekday: { table: 'call_counts_day', col: `extract(isodow FROM local_day::date)::int` },
  beat: { table: 'call_counts_beat', col: 'beat' },
  hour: { table: 'call_counts_hour', col: 'local_hour' },
  'hour-of-week': { table: 'call_counts_hour', col: `((extract(isodow FROM local_day::date)::int - 1) * 24 + local_hour)` },
};

/**
 * Calls (or incidents, `scope=incidents`; or two-robberies-one-theft incidents, `flag=`) grouped
 * by one dimension, from the summary tables. Unknown values group under key null.
 */
export async function counts(sql: Sql, by: CountBy, f: Filters & { flag?: string; scope?: 'calls' | 'incidents' }) {
  const src = COUNT_SOURCES[by];
  let rows: { key: string | number | null; count: unknown }[];
  if (src.table === 'call_counts_day' && by !== 'day' && by !== 'weekday') {
    const s = dayOrMonthSource(f);
    rows = await sql.query(`SELECT ${src.col} AS key, sum(calls) AS count FROM ${s.from} GROUP BY 1`, s.params);
  } else {
    const w = summaryWhere(f);
    rows = await sql.query(`SELECT ${src.col} AS key, sum(calls) AS count FROM ${src.table} WHERE ${w.sql} GROUP BY 1`, w.params);
  }
  const out = rows.map((r) => ({ key: r.key === '' ? null : r.key, count: num(r.count) })).sort(byKey);
  return { rows: out, total: out.reduce((s, r) => s + r.count, 0) };
}

export interface Totals {
  /** 110 total: calls received */
  calls: number;
  incidents: number;
  criminal: number;
  twoRobberiesOneTheft: number;
}

/** The headline totals of a period (see the module definitions). */
export async function totals(sql: Sql, f: Filters): Promise<Totals> {
  const s = dayOrMonthSource(f);
  const [r] = await sql.query<Record<string, unknown>>(
    `SELECT sum(calls) AS calls, sum(calls) FILTER (WHERE incident) AS incidents,
            sum(calls) FILTER (WHERE incident AND category = 'criminal') AS criminal,
            sum(calls) FILTER (WHERE incident AND two_rob) AS two_rob
     FROM ${s.from}`,
    s.params,
  );
  return { calls: num(r?.calls), incidents: num(r?.incidents), criminal: num(r?.criminal), twoRobberiesOneTheft: num(r?.two_rob) };
}

export type Metric = 'calls' | 'incidents' | 'criminal' | 'two-robberies-one-theft';
const METRIC_SQL: Record<Metric, string> = {
  calls: 'sum(calls)',
  incidents: 'sum(calls) FILTER (WHERE incident)',
  criminal: `sum(calls) FILTER (WHERE incident AND category = 'criminal')`,
  'two-robberies-one-theft': 'sum(calls) FILTER (WHERE incident AND two_rob)',
};

async function metricBy(sql: Sql, metric: Metric, by: 'none' | 'category' | 'district', p: Period, f: Filters): Promise<Map<string, number>> {
  const s = dayOrMonthSource({ ...f, from: p.from, to: p.to });
  const key = by === 'none' ? `'all'` : by;
  const rows = await sql.query<{ key: string; v: unknown }>(`SELECT ${key} AS key, ${METRIC_SQL[metric]} AS v FROM ${s.from} GROUP BY 1`, s.params);
  return new Map(rows.map((r) => [r.key, num(r.v)]));
}

export interface CompareRow {
  key: string | null;
  current: number;
  yoy: Change;
  pop: Change;
}

/**
 * 同比 (year-on-year) and 环比 (period-on-period) of a metric for a period, overall or per
 * category / district. See {@link changeOf} for the zero-base rule.
 */
export async function compare(sql: Sql, metric: Metric, by: 'none' | 'category' | 'district', p: Period, f: Filters) {
  const yoyP = yearOnYearBase(p);
  const popP = periodOnPeriodBase(p);
  const [cur, yoy, pop] = await Promise.all([metricBy(sql, metric, by, p, f), metricBy(sql, metric, by, yoyP, f), metricBy(sql, metric, by, popP, f)]);
  const keys = by === 'none' ? ['all'] : [...new Set([...cur.keys(), ...yoy.keys(), ...pop.keys()])].sort();
  const rows: CompareRow[] = keys.map((k) => {
    const c = cur.get(k) ?? 0;
    return { key: by === 'none' ? null : k === '' ? null : k, current: c, yoy: changeOf(c, yoy.get(k) ?? 0), pop: changeOf(c, pop.get(k) ?? 0) };
  });
  rows.sort(byKey);
  return { period: p, yoyPeriod: yoyP, popPeriod: popP, rows };
}

/** Every district that ever had a call (loose index scan over the day summary). */
export async function allDistricts(sql: Sql): Promise<string[]> {
  const rows = await sql.query<{ v: string }>(
    `WITH RECURSIVE d AS (
       SELECT min(district) AS v FROM call_counts_day WHERE district <> ''
       UNION ALL
       SELECT (SELECT min(district) FROM call_counts_day WHERE district > d.v) FROM d WHERE d.v IS NOT NULL)
     SELECT v FROM d WHERE v IS NOT NULL`,
  );
  return rows.map((r) => r.v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export interface DaysWithoutRow {
  district: string | null;
  days: number;
  daysWithoutIncident: number;
  daysWithoutCriminalIncident: number;
  withoutIncident: string[];
  withoutCriminalIncident: string[];
}

/**
 * Days without any incident and days without a criminal incident in a period: local days
 * (midnight to midnight in the bureau zone) on which no incident (resp. no criminal incident)
 * was answered, per district (every district that ever had a call, or the one asked for) and
 * overall (district null: no incident anywhere, calls without a district included).
 */
export async function daysWithout(sql: Sql, p: Period, f: Filters): Promise<DaysWithoutRow[]> {
  const w = summaryWhere({ ...f, from: p.from, to: p.to }).add('incident');
  const rows = await sql.query<{ local_day: string; district: string; inc: unknown; crim: unknown }>(
    `SELECT local_day, district, sum(calls) AS inc, sum(calls) FILTER (WHERE category = 'criminal') AS crim
     FROM call_counts_day WHERE ${w.sql} GROUP BY 1, 2`,
    w.params,
  );
  const days = daysBetween(p.from, p.to);
  const districts = f.district ? [f.district] : await allDistricts(sql);
  const inc = new Map<string, Set<string>>();
  const crim = new Map<string, Set<string>>();
  const mark = (m: Map<string, Set<string>>, k: string, d: string) => (m.get(k) ?? m.set(k, new Set()).get(k)!).add(d);
  for (const r of rows) {
    if (num(r.inc) > 0) {
      mark(inc, r.district, r.local_day);
      mark(inc, '\u0000all', r.local_day);
    }
    if (num(r.crim) > 0) {
      mark(crim, r.district, r.local_day);
      mark(crim, '\u0000all', r.local_day);
    }
  }
  const row = (key: string, district: string | null): DaysWithoutRow => {
    const wi = days.filter((d) => !inc.get(key)?.has(d));
    const wc = days.filter((d) => !crim.get(key)?.has(d));
    return { district, days: days.length, daysWithoutIncident: wi.length, daysWithoutCriminalIncident: wc.length, withoutIncident: wi, withoutCriminalIncident: wc };
  };
  return [...(f.district ? [] : [row('\u0000all', null)]), ...districts.map((d) => row(d, d))];
}

export interface OutcomeRow {
  key: string | null;
  /** cases whose latest disposition was recorded in the period */
  cases: number;
  /** cases whose latest disposition includes `dispute-mediated` */
  disputesMediated: number;
  /** Σ peopleRescued of those dispositions */
  peopleRescued: number;
  /** Σ suspectsCaught of those dispositions */
  suspectsCaught: number;
}

/**
 * Outcomes from records (counting unit: case): each case counts once, by its latest
 * DispositionRecorded, on the local day of that disposition's `recordedAt`; district and category
 * are the case's (CaseOpened).
 */
export async function outcomes(sql: Sql, by: 'none' | 'district' | 'category', f: Filters): Promise<OutcomeRow[]> {
  const w = new Where().add('disposition_day >= ?', f.from).add('disposition_day <= ?', f.to).add('district = ?', f.district).add('category = ?', f.category);
  const key = by === 'none' ? 'NULL::text' : `NULLIF(${by}, '')`;
  const rows = await sql.query<Record<string, unknown>>(
    `SELECT ${key} AS key, sum(cases) AS cases, sum(mediated) AS mediated, sum(rescued) AS rescued, sum(caught) AS caught
     FROM case_counts_day WHERE ${w.sql} GROUP BY 1`,
    w.params,
  );
  if (by === 'none' && rows.length === 0) rows.push({ key: null, cases: 0, mediated: 0, rescued: 0, caught: 0 });
  return rows.map((r) => ({ key: (r.key as string | null) ?? null, cases: num(r.cases), disputesMediated: num(r.mediated), peopleRescued: num(r.rescued), suspectsCaught: num(r.caught) })).sort(byKey);
}

export const MEASURES = ['answer', 'processing', 'travel', 'total'] as const;
export type Measure = (typeof MEASURES)[number];
const MEASURE_COL: Record<Measure, string> = { answer: 'answer_s', processing: 'processing_s', travel: 'travel_s', total: 'total_s' };

export interface ResponseRow {
  key: string | number | null;
  measure: Measure;
  /** incidents with this interval measured */
  n: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
}

/** Filters of the call facts (received calls only). */
function factWhere(f: Filters & { priority?: number }): Where {
  return new Where()
    .add('local_day >= ?', f.from ?? '0000')
    .add('local_day <= ?', f.to ?? '9999')
    .add('received')
    .add('district = ?', f.district)
    .add('category = ?', f.category)
    .add('priority = ?', f.priority);
}

/**
 * Response-time percentiles (seconds; counting unit: incident; nearest rank, = percentile_disc)
 * per priority, district or overall (key null). Intervals: answer = ringing → answered (only
 * when telephony reports ringing); processing = answered → first UnitDispatched; travel = first
 * UnitDispatched → first UnitStatusChanged to on-scene; total = answered → first on-scene.
 * An interval with a missing end or a negative length is left out.
 */
export async function responseTimes(sql: Sql, by: 'none' | 'priority' | 'district', f: Filters & { priority?: number }): Promise<ResponseRow[]> {
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

/** Local-day period → UTC instants [start of `from`, start of the day after `to`). */
function utcRange(p: Period, zone: string): { start: Date; end: Date } {
  return {
    start: DateTime.fromISO(p.from, { zone }).startOf('day').toJSDate(),
    end: DateTime.fromISO(p.to, { zone }).plus({ days: 1 }).startOf('day').toJSDate(),
  };
}

/**
 * Throughput. Events per topic: events whose `recordedAt` lies in the period, per second of the
 * period (mean) and in the busiest UTC minute (peak, /60). Calls per hour: calls answered in the
 * period / local clock hours in it (23 or 25 on DST days), and the busiest local hour.
 * Without a period: the whole log (first to last minute with events; first to last local day with calls).
 */
export async function throughput(sql: Sql, timeZone: string, p?: Period) {
  let events: { topic: string; events: unknown; minutes: unknown; peak: unknown; first: Date; last: Date }[];
  let seconds: number;
  if (p) {
    const { start, end } = utcRange(p, timeZone);
    events = await sql.query(
      `SELECT topic, sum(events) AS events, count(*) AS minutes, max(events) AS peak, min(minute) AS first, max(minute) AS last
       FROM topic_minute_counts WHERE minute >= $1::timestamptz AND minute < $2::timestamptz GROUP BY topic ORDER BY topic`,
      [start.toISOString(), end.toISOString()],
    );
    seconds = (end.getTime() - start.getTime()) / 1000;
  } else {
    events = await sql.query(`SELECT topic, sum(events) AS events, count(*) AS minutes, max(events) AS peak, min(minute) AS first, max(minute) AS last FROM topic_minute_counts GROUP BY topic ORDER BY topic`);
    const first = Math.min(...events.map((e) => new Date(e.first).getTime()));
    const last = Math.max(...events.map((e) => new Date(e.last).getTime()));
    seconds = events.length ? (last - first) / 1000 + 60 : 0;
  }
  const topics = events.map((e) => ({
    topic: e.topic,
    events: num(e.events),
    minutesWithEvents: num(e.minutes),
    meanPerSecond: seconds ? Math.round((num(e.events) / seconds) * 1000) / 1000 : null,
    peakPerSecond: Math.round((num(e.peak) / 60) * 1000) / 1000,
  }));
  let period = p;
  if (!period) {
    const [r] = await sql.query<{ a: string | null; b: string | null }>(`SELECT min(local_day) AS a, max(local_day) AS b FROM call_counts_hour_total`);
    period = r?.a && r.b ? { from: r.a, to: r.b } : undefined;
  }
  let calls = { calls: 0, hours: 0, meanPerHour: null as number | null, peak: null as null | { day: string; hour: number; calls: number } };
  if (period) {
    const [sum] = await sql.query<{ calls: unknown }>(`SELECT sum(calls) AS calls FROM call_counts_hour_total WHERE local_day >= $1 AND local_day <= $2`, [period.from, period.to]);
    const [top] = await sql.query<{ local_day: string; local_hour: number; calls: unknown }>(
      `SELECT local_day, local_hour, calls FROM call_counts_hour_total WHERE local_day >= $1 AND local_day <= $2 ORDER BY calls DESC, local_day, local_hour LIMIT 1`,
      [period.from, period.to],
    );
    const total = num(sum?.calls);
    const { start, end } = utcRange(period, timeZone);
    const hours = Math.round((end.getTime() - start.getTime()) / 3_600_000);
    calls = { calls: total, hours, meanPerHour: hours ? Math.round((total / hours) * 1000) / 1000 : null, peak: top ? { day: top.local_day, hour: Number(top.local_hour), calls: num(top.calls) } : null };
  }
  return { period: period ?? null, periodSeconds: seconds, topics, callsPerHour: calls };
}

export { BAND_NAMES };
