/**
 * Benchmark: statistics' main queries at 1,000,000 calls (target p95 ≤ 50 ms).
 *
 *   npm run bench:queries -w @cad110/statistics [-- --calls 1000000 --days 730 --runs 40 --keep]
 *
 * Bulk-loads synthetic call facts derived from the real rows of both shared datasets into a
 * temporary database (the statistics migrations): row n copies real row n mod 40,794 — its
 * taxonomy category, subtype, kind, priority, district, beat, coordinates (Minneapolis) and
 * dispatch intervals (Minneapolis) — answered on day ⌊n / (calls / days)⌋ after 2024-01-01 at
 * the real row's local time of day (default 730 days: ≈1,370 calls a day at 1,000,000); one case per
 * dispatched call with the fixture's outcome rule. The summary tables are computed with the same
 * code as a rebuild. Then each query function of the API (SQL + its JavaScript) runs `runs`
 * times after 3 warm-ups; the script prints p50 / p95 / max in milliseconds per query.
 * The database is dropped at the end unless --keep.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parse } from 'csv-parse/sync';
import { latLngToCell } from 'h3-js';
import { DateTime } from 'luxon';
import { Pool } from 'pg';
import { loadTaxonomy } from '@cad110/contracts';
import { DEFAULT_POSTGRES_URL, dropDatabase, withDatabase, sqlOf, type Sql } from '@cad110/db';
import { columnOf, loadMapping } from '@cad110/importer';
import { tempDatabase } from '@cad110/testkit';
import { deriveIntervals, emptyCall, emptyCase, type CallFactRow, type CaseFactRow } from '../services/statistics/src/projections/fold';
import { MemoryTarget } from '../services/statistics/src/projections/rebuild';
import { ALL_SPECS, bulkInsert } from '../services/statistics/src/projections/store';
import * as Q from '../services/statistics/src/figures/queries';
import { responseHistRows } from '../services/statistics/src/projections/response-hist';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const CALLS = Number(arg('calls', '1000000'));
const RUNS = Number(arg('runs', '40'));
/** days the calls are spread over from 2024-01-01 (default 730: 1,370 calls a day at 1,000,000); fixed across sizes so a scaling run grows density, not the span */
const DAYS = Number(arg('days', '730'));
const PER_DAY = CALLS / DAYS;
const ROOT = join(__dirname, '..');
const SHARED = join(ROOT, '..', 'shared', 'data', 'calls');

interface Template {
  category: string;
  subtype: string;
  kind: string;
  twoRob: boolean;
  priority: number;
  district: string | null;
  beat: string | null;
  lat: number | null;
  lon: number | null;
  h3: string | null;
  secondsOfDay: number;
  processing: number | null;
  travel: number | null;
  outcome: { codes: string[]; caught: number; rescued: number } | null;
}

function templates(): Template[] {
  const taxonomy = loadTaxonomy();
  const out: Template[] = [];
  const h3 = new Map<string, string>();
  for (const [source, file] of [
    ['minneapolis-mpd', 'minneapolis-mpd-911-cad.csv'],
    ['san-diego-pd', 'san-diego-pd-calls-for-service.csv'],
  ] as const) {
    const m = loadMapping(source, taxonomy);
    const rows = parse(readFileSync(join(SHARED, file)), { columns: true, bom: true }) as Record<string, string>[];
    for (const r of rows) {
      const st = taxonomy.subtype(m.callTypes.values[r[columnOf(m.columns.callType)]!]!.subtype)!;
      const local = r[columnOf(m.columns.answeredAt)]!;
      const secs = (t: string) => (t ? Date.parse(`${t.replace(' ', 'T')}Z`) / 1000 : NaN);
      const lat = Number(r.Latitude);
      const lon = Number(r.Longitude);
      const located = Number.isFinite(lat) && Number.isFinite(lon) && r.Latitude !== '';
      const key = `${lat},${lon}`;
      if (located && !h3.has(key)) h3.set(key, latLngToCell(lat, lon, 9));
      const beat = source === 'san-diego-pd' ? (r.beat !== '-1' ? r.beat! : null) : r.Battalion || null;
      const processing = secs(r.Time_First_Unit_Assigned ?? '') - secs(local);
      const travel = secs(r.Time_First_Unit_Arrived ?? '') - secs(r.Time_First_Unit_Assigned ?? '');
      const disp = source === 'minneapolis-mpd' ? (r.Call_Disposition ?? '').split('-')[0]! : (r.disposition ?? '');
      out.push({
        category: st.category,
        subtype: st.code,
        kind: st.kind,
        twoRob: st.flags.includes('two-robberies-one-theft'),
        priority: m.priorities.values[r[columnOf(m.columns.priority!)]!] ?? st.defaultPriority,
        district: source === 'san-diego-pd' ? (beat ? `Division ${beat[0]}` : null) : r.Division || null,
        beat,
        lat: located ? lat : null,
        lon: located ? lon : null,
        h3: located ? h3.get(key)! : null,
        secondsOfDay: Number(local.slice(11, 13)) * 3600 + Number(local.slice(14, 16)) * 60 + Number(local.slice(17, 19)),
        processing: processing >= 0 ? processing : null,
        travel: travel >= 0 ? travel : null,
        outcome: !disp ? null : ['BKG', 'A'].includes(disp) ? { codes: ['suspects-caught'], caught: 1, rescued: 0 } : disp === 'TRN' ? { codes: ['people-rescued'], caught: 0, rescued: 1 } : ['ADV', 'K'].includes(disp) && st.category === 'dispute' ? { codes: ['dispute-mediated'], caught: 0, rescued: 0 } : { codes: ['unresolved'], caught: 0, rescued: 0 },
      });
    }
  }
  return out;
}

const ZONE = 'Asia/Shanghai';

function synthesize(t: Template[], n: number): { calls: CallFactRow[]; cases: CaseFactRow[] } {
  const start = DateTime.fromISO('2024-01-01', { zone: ZONE });
  const calls: CallFactRow[] = [];
  const cases: CaseFactRow[] = [];
  const dayCache = new Map<number, DateTime>();
  for (let i = 0; i < n; i++) {
    const tp = t[i % t.length]!;
    const d = Math.floor(i / PER_DAY);
    const day = dayCache.get(d) ?? dayCache.set(d, start.plus({ days: d })).get(d)!;
    const local = day.plus({ seconds: tp.secondsOfDay });
    const answered = local.toUTC().toISO()!;
    const iso = (s: number | null, base: string) => (s === null ? null : new Date(Date.parse(base) + s * 1000).toISOString());
    const dispatchedAt = iso(tp.processing, answered);
    const onSceneAt = dispatchedAt ? iso(tp.travel, dispatchedAt) : null;
    const f = deriveIntervals({
      ...emptyCall(randomUUID()),
      received: true,
      answeredAt: answered,
      localDay: local.toISODate()!,
      localHour: local.hour,
      hourOfWeek: (local.weekday - 1) * 24 + local.hour,
      channel: '110',
      kind: tp.kind,
      category: tp.category,
      subtype: tp.subtype,
      priority: tp.priority,
      flags: tp.twoRob ? ['two-robberies-one-theft'] : [],
      twoRob: tp.twoRob,
      classifiedAt: answered,
      district: tp.district,
      beat: tp.beat,
      lat: tp.lat,
      lon: tp.lon,
      h3Cell: tp.h3,
      dispatchedAt,
      onSceneAt,
    });
    calls.push(f);
    if (tp.outcome) {
      const at = new Date(Date.parse(answered) + 3600_000).toISOString();
      cases.push({ ...emptyCase(randomUUID()), callId: f.callId, category: tp.category, subtype: tp.subtype, district: tp.district, openedAt: answered, codes: tp.outcome.codes, suspectsCaught: tp.outcome.caught, peopleRescued: tp.outcome.rescued, dispositionAt: at, dispositionDay: DateTime.fromISO(at, { zone: ZONE }).toISODate() });
    }
  }
  return { calls, cases };
}

/** The response-time query before the histograms (issue 17): percentile_disc over every call fact of the period. */
async function formerResponseTimes(sql: Sql, by: 'priority' | 'district', f: { from: string; to: string }) {
  const cols = ['answer_s', 'processing_s', 'travel_s', 'total_s'];
  const sel = cols.map((c) => `count(${c}) AS n_${c}, percentile_disc(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY ${c}) AS p_${c}`).join(', ');
  return sql.query(
    `SELECT ${by} AS key, ${sel} FROM call_facts WHERE local_day >= $1 AND local_day <= $2 AND received
       AND (processing_s IS NOT NULL OR travel_s IS NOT NULL OR total_s IS NOT NULL OR answer_s IS NOT NULL) GROUP BY 1 ORDER BY 1 NULLS LAST`,
    [f.from, f.to],
  );
}

async function time(fn: () => Promise<unknown>): Promise<{ p50: number; p95: number; max: number }> {
  for (let i = 0; i < 3; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const rank = (p: number) => ms[Math.max(1, Math.ceil((p / 100) * ms.length)) - 1]!;
  return { p50: +rank(50).toFixed(1), p95: +rank(95).toFixed(1), max: +ms.at(-1)!.toFixed(1) };
}

async function main() {
  const t0 = performance.now();
  const tpl = templates();
  const { calls, cases } = synthesize(tpl, CALLS);
  const mem = new MemoryTarget();
  for (const c of calls) mem.calls.set(c.callId, c);
  for (const c of cases) mem.cases.set(c.caseId, c);
  const s = mem.summaries();
  const name = `cad110bench_stats_${Date.now()}`;
  const db = await tempDatabase(join(ROOT, 'services', 'statistics', 'prisma', 'migrations'), name);
  const pool = new Pool({ connectionString: db.url, max: 4 });
  const sql = sqlOf(pool);
  const load = performance.now();
  await bulkInsert(sql, ALL_SPECS.callFacts, calls, 10_000);
  await bulkInsert(sql, ALL_SPECS.caseFacts, cases, 10_000);
  await bulkInsert(sql, ALL_SPECS.countsDay, s.day as never[], 10_000);
  await bulkInsert(sql, ALL_SPECS.countsHour, s.hour as never[], 10_000);
  await bulkInsert(sql, ALL_SPECS.countsBeat, s.beat as never[], 10_000);
  await bulkInsert(sql, ALL_SPECS.countsMonth, s.month as never[], 10_000);
  await bulkInsert(sql, ALL_SPECS.countsHourTotal, s.hourTotal as never[], 10_000);
  await bulkInsert(sql, ALL_SPECS.caseCountsDay, mem.caseSummaries(), 10_000);
  const hist = responseHistRows(calls);
  await bulkInsert(sql, ALL_SPECS.responseHist, hist, 10_000);
  await sql.exec('VACUUM ANALYZE');
  const loadSeconds = (performance.now() - load) / 1000;
  const days = calls.at(-1)!.localDay;
  console.log(JSON.stringify({ calls: calls.length, cases: cases.length, firstDay: calls[0]!.localDay, lastDay: days, summaryRows: { responseHist: hist.length, day: s.day.length, month: s.month.length, hour: s.hour.length, beat: s.beat.length, hourTotal: s.hourTotal.length }, templates: tpl.length, loadSeconds: +loadSeconds.toFixed(1) }));

  const month = { from: '2025-06-01', to: '2025-06-30' };
  const year = { from: '2025-01-01', to: '2025-12-31' };
  const queries: [string, () => Promise<unknown>][] = [
    ['counts by category, all 2 years', () => Q.counts(sql, 'category', {})],
    ['counts by category, year', () => Q.counts(sql, 'category', year)],
    ['counts by subtype, month, district', () => Q.counts(sql, 'subtype', { ...month, district: 'Precinct 3' })],
    ['counts by day, year, category criminal', () => Q.counts(sql, 'day', { ...year, category: 'criminal' })],
    ['counts by hour, month', () => Q.counts(sql, 'hour', month)],
    ['counts by beat, month', () => Q.counts(sql, 'beat', month)],
    ['counts by district, year, incidents', () => Q.counts(sql, 'district', { ...year, scope: 'incidents' })],
    ['totals, year', () => Q.totals(sql, year)],
    ['compare criminal YoY+PoP, month', () => Q.compare(sql, 'criminal', 'none', month, {})],
    ['compare incidents by category, year', () => Q.compare(sql, 'incidents', 'category', year, {})],
    ['compare 2r1t by district, month', () => Q.compare(sql, 'two-robberies-one-theft', 'district', month, {})],
    ['days without incident, year, all districts', () => Q.daysWithout(sql, year, {})],
    ['days without incident, month, category fire', () => Q.daysWithout(sql, month, { category: 'fire' })],
    ['outcomes, year', () => Q.outcomes(sql, 'none', year)],
    ['outcomes by district, month', () => Q.outcomes(sql, 'district', month)],
    ['response times by priority, month', () => Q.responseTimes(sql, 'priority', month)],
    ['response times by district, month', () => Q.responseTimes(sql, 'district', month)],
    ['compliance by priority, month', () => Q.compliance(sql, 'priority', month)],
    ['response times, week, district', () => Q.responseTimes(sql, 'none', { from: '2025-06-02', to: '2025-06-08', district: 'Precinct 3' })],
    ['response times by priority, year', () => Q.responseTimes(sql, 'priority', year)],
    ['response times by priority, year [former query: percentile_disc over call_facts, for comparison]', () => formerResponseTimes(sql, 'priority', year)],
    ['response times by district, year', () => Q.responseTimes(sql, 'district', year)],
    ['response times, year, category criminal', () => Q.responseTimes(sql, 'none', { ...year, category: 'criminal' })],
    ['hotspots res 8 k 1, month', () => Q.hotspots(sql, { resolution: 8, k: 1, top: 10, bands: ['night', 'day', 'evening'] }, month)],
    ['throughput calls per hour, year', () => Q.throughput(sql, ZONE, year)],
  ];
  // sanity: the figures are computed over the loaded data
  console.log(JSON.stringify({ sanity: { totalsYear: await Q.totals(sql, year), outcomesYear: (await Q.outcomes(sql, 'none', year))[0], countsAllTotal: (await Q.counts(sql, 'category', {})).total } }));
  const results: Record<string, unknown>[] = [];
  for (const [label, fn] of queries) {
    const r = await time(fn);
    results.push({ query: label, ...r });
    console.log(JSON.stringify({ query: label, ...r }));
  }
  const p95s = results.map((r) => r.p95 as number);
  console.log(JSON.stringify({ queries: results.length, within50msP95: p95s.filter((x) => x <= 50).length, worstP95: Math.max(...p95s), runsEach: RUNS, totalSeconds: +((performance.now() - t0) / 1000).toFixed(1) }));
  await pool.end();
  if (!process.argv.includes('--keep')) await dropDatabase(withDatabase(process.env.POSTGRES_URL ?? DEFAULT_POSTGRES_URL, name));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
