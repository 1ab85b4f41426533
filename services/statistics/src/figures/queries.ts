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
 * - source call type / source group: the code (and its group) the source system gave a replayed
 *   call, as the agency knows it (kept through later reclassifications); none for cad110's own calls.
 */
import { DateTime } from 'luxon';
import { TWO_ROBBERIES_ONE_THEFT, daysBetween } from '@cad110/contracts';
import type { Sql } from '@cad110/db';
import { byKey, num, Where, type Filters } from './sql-where';
import { BAND_NAMES, changeOf, periodOnPeriodBase, yearOnYearBase, type Change, type Period } from './math';

/** Filters of the summary tables ('' is "not known" there). */
function summaryWhere(f: Filters & { flag?: string; scope?: 'calls' | 'incidents' }): Where {
  const w = new Where();
  w.add('local_day >= ?', f.from).add('local_day <= ?', f.to).add('district = ?', f.district).add('category = ?', f.category);
  w.add('source_code = ?', f.sourceCode).add('source_group = ?', f.sourceGroup);
  if (f.flag === TWO_ROBBERIES_ONE_THEFT) w.add('two_rob AND incident');
  if (f.scope === 'incidents') w.add('incident');
  return w;
}

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
  const cols = 'district, category, subtype, kind, incident, two_rob, source_code, source_group, calls';
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

export const COUNT_BY = ['category', 'subtype', 'kind', 'district', 'beat', 'day', 'hour', 'weekday', 'hour-of-week', 'source-code', 'source-group'] as const;
export type CountBy = (typeof COUNT_BY)[number];
/** Dimensions counted from tables without the source call type (no sourceCode / sourceGroup filter). */
export const COUNT_BY_WITHOUT_SOURCE: readonly CountBy[] = ['beat', 'hour', 'hour-of-week'];

const COUNT_SOURCES: Record<CountBy, { table: string; col: string }> = {
  category: { table: 'call_counts_day', col: 'category' },
  subtype: { table: 'call_counts_day', col: 'subtype' },
  'source-code': { table: 'call_counts_day', col: 'source_code' },
  'source-group': { table: 'call_counts_day', col: 'source_group' },
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
export { byKey, type Filters } from './sql-where';
export * from './response';
export * from './hotspots';
