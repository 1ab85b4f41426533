/**
 * Every figure on the two shared real datasets, replayed through the real pipeline (the four
 * services as processes on the real broker and PostgreSQL, tools/importer posting to intake with
 * each source's mapping and time zone), compared with an independent computation from the raw
 * CSV (test/independent.ts). Nothing is published by the test itself: the dispatch history is
 * replayed into dispatch with the importer's `replayDispatchHistory` where the mapping names the
 * dataset's dispatch columns (Minneapolis: first unit assigned / en route / arrived / cleared),
 * and every case's source disposition is recorded through records with `replayDispositions`
 * (both datasets). San Diego has no dispatch, arrival or close times: it has no response times,
 * and its dispositions are recorded at replay time.
 *
 * By default a contiguous run of whole local days of each file is replayed (Minneapolis
 * 2020-06-21..23, San Diego 2023-01-01..02): the full files (40,794 calls, ~300,000 events through
 * four services) take too long for every `npm test` on the shared 2-core machine.
 * `STATS_E2E_FULL=1` replays both files whole (`STATS_E2E_DATASETS=minneapolis-mpd` limits the run to one).
 */
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Client, Pool } from 'pg';
import { loadTaxonomy, topicName } from '@cad110/contracts';
import { Stack, SHARED_CALLS_DIR, waitForPipeline } from '@cad110/devstack';
import { loadMapping, MAPPINGS_DIR, postCalls, readCalls, replayDispatchHistory, replayDispositions, type DispositionReplayResult, type ReplayDispatchResult } from '@cad110/importer';
import { kafkaBrokers } from '@cad110/kafka';
import { describeWithShared, uniqueId, waitFor } from '@cad110/testkit';
import { ALL_SPECS, dumpTable } from '../src/projections/store';
import { calendarDays, cellHourCounts, countBy, daysWithout, giStarTop, isIncident, localDateOf, pct, readMapping, readRows, rowOutcome, secondsBetween, type RawMapping, type Row } from './independent';
import { sqlOf } from '@cad110/db';

jest.setTimeout(3_600_000);

const FULL = process.env.STATS_E2E_FULL === '1';
const TAXONOMY_FILE = join(__dirname, '..', '..', '..', 'libs', 'contracts', 'taxonomy', 'taxonomy.v1.json');

const ONLY = process.env.STATS_E2E_DATASETS?.split(',');
const ALL_DATASETS: { dataset: string; file: string; from: string; to: string; located: boolean }[] = [
  { dataset: 'minneapolis-mpd', file: 'minneapolis-mpd-911-cad.csv', from: '2020-06-21', to: FULL ? '2020-07-13' : '2020-06-23', located: true },
  { dataset: 'san-diego-pd', file: 'san-diego-pd-calls-for-service.csv', from: '2023-01-01', to: FULL ? '2023-01-20' : '2023-01-02', located: false },
];
/** `STATS_E2E_DATASETS=minneapolis-mpd` runs one dataset only. */
const DATASETS = ALL_DATASETS.filter((d) => !ONLY || ONLY.includes(d.dataset));

async function query<T>(url: string, sql: string): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

async function dumpProjections(url: string) {
  const pool = new Pool({ connectionString: url, max: 1 });
  const c = await pool.connect();
  try {
    const out: Record<string, unknown[]> = {};
    for (const [name, spec] of Object.entries(ALL_SPECS)) out[name] = await dumpTable(sqlOf(c), spec as never);
    return out;
  } finally {
    c.release();
    await pool.end();
  }
}

const MEASURES = ['answer', 'processing', 'travel', 'total'] as const;
type Intervals = Record<(typeof MEASURES)[number], number | null>;

const col = (m: RawMapping, name: string) => m.columns[name] as string | undefined;
const text = (r: Row, c: string | undefined) => (c ? (r.raw[c] ?? '').trim() : '');

/**
 * The four intervals of a row from the CSV text (seconds; null when missing or negative), by the
 * figure definitions: answer needs a ringing time (no dataset has one); processing = answer →
 * first unit assigned; travel = assigned → first unit arrived; total = answer → arrived. Only
 * calls handed to dispatch have an incident. An arrival is only replayed when the row has an
 * assignment not later than it (a unit cannot arrive before it is dispatched: planSteps).
 */
function intervals(m: RawMapping, r: Row): Intervals {
  const assigned = text(r, col(m, 'firstUnitAssignedAt'));
  const arrivedText = text(r, col(m, 'firstUnitArrivedAt'));
  if (!r.handed || !assigned) return { answer: null, processing: null, travel: null, total: null };
  const arrived = arrivedText && arrivedText >= assigned ? arrivedText : '';
  return { answer: null, processing: secondsBetween(r.local, assigned), travel: secondsBetween(assigned, arrived), total: secondsBetween(r.local, arrived) };
}

/**
 * Local day of a row's disposition: the source close time, else the row's last known time (the
 * latest of its answer, creation, hand-over and dispatch-history times: the importer never dates
 * an outcome on the replay day), not before the case's opening (the hand-over: the queue time,
 * else the creation time, never before the answer: the importer's clamp).
 */
function outcomeDay(m: RawMapping, r: Row): string {
  const known = ['createdAt', 'handedAt', 'firstUnitAssignedAt', 'firstUnitEnRouteAt', 'firstUnitArrivedAt', 'firstUnitClearedAt', 'callClosedAt'].map((k) => text(r, col(m, k)));
  const closed = text(r, col(m, 'closedAt')) || [r.local, ...known].filter(Boolean).sort().at(-1)!;
  const opened = [text(r, col(m, 'handedAt')) || text(r, col(m, 'createdAt')), r.local].filter(Boolean).sort().at(-1)!;
  return (closed < opened ? opened : closed).slice(0, 10);
}

const sortKey = (a: { key: unknown }, b: { key: unknown }) => (a.key === null ? 1 : b.key === null ? -1 : (a.key as never) < (b.key as never) ? -1 : (a.key as never) > (b.key as never) ? 1 : 0);

for (const ds of DATASETS) describeWithShared(`${ds.dataset}: replayed through the real pipeline, every figure equals the raw CSV`, [`data/calls/${ds.file}`], () => {
  const csv = join(SHARED_CALLS_DIR, ds.file);
  const taxonomy = loadTaxonomy();
  const mapping = loadMapping(ds.dataset, taxonomy);
  const raw = readMapping(join(MAPPINGS_DIR, `${ds.dataset}.json`));
  const prefix = `${uniqueId('e2es')}.`;
  const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, clientId: 'stats-e2e' });
  let stack: Stack;
  let rows: Row[];
  let expectedIncidents = 0;
  let history: ReplayDispatchResult | undefined;
  let dispositions: DispositionReplayResult;
  /** local days (the dataset's zone) on which the replay recorded dispositions without a source close time */
  let replayDays: { from: string; to: string };
  let token: string;
  const get = async (path: string) => {
    const r = await fetch(`${stack.url('statistics')}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) throw new Error(`GET ${path} → ${r.status} ${await r.text()}`);
    return r.json() as Promise<any>;
  };

  beforeAll(async () => {
    rows = readRows(csv, join(MAPPINGS_DIR, `${ds.dataset}.json`), TAXONOMY_FILE, ds.from, ds.to);
    stack = new Stack({ brokers: kafkaBrokers().join(','), topicPrefix: prefix, dbPrefix: uniqueId('cad110e2es_'), fresh: true, timeZone: mapping.timeZone, env: { LOG_LEVEL: 'warn' } });
    await stack.start();
    token = stack.token('analyst');
    const ids = new Set(rows.map((r) => r.id));
    const { calls } = await readCalls(csv, mapping, taxonomy);
    const subset = calls.filter((c) => ids.has(c.body.externalRef.id));
    expect(subset).toHaveLength(rows.length);
    const posted = await postCalls(subset, { intakeUrl: stack.url('intake'), concurrency: 8, progress: false, headers: { authorization: `Bearer ${stack.token('call_taker', 'importer')}` } });
    expect(posted.failed).toEqual([]);
    expectedIncidents = rows.filter((r) => r.handed).length;
    const { reached } = await waitForPipeline(stack, { incidents: expectedIncidents, cases: expectedIncidents, statsTotal: rows.length }, FULL ? 3_000_000 : 900_000);
    expect(reached).toBe(true);

    // the real replays: dispatch history (where the dataset has it) and dispositions, side by side
    const byExternal = new Map(subset.map((c) => [c.body.externalRef.id, c]));
    const started = Date.now();
    [history, dispositions] = await Promise.all([
      mapping.columns.firstUnitAssignedAt
        ? replayDispatchHistory(subset, posted.accepted, { dispatchUrl: stack.url('dispatch'), headers: { authorization: `Bearer ${stack.token('supervisor', 'importer')}` } })
        : Promise.resolve(undefined),
      replayDispositions(
        posted.accepted.map((a) => ({ externalId: a.externalId, callId: a.callId, handedToDispatch: byExternal.get(a.externalId)!.body.handToDispatch, disposition: byExternal.get(a.externalId)!.disposition })),
        { recordsUrl: stack.url('records'), headers: { authorization: `Bearer ${stack.token('dispatcher', 'importer')}` }, caseTimeoutMs: 120_000 },
      ),
    ]);
    replayDays = { from: localDateOf(started, mapping.timeZone), to: localDateOf(Date.now(), mapping.timeZone) };
    expect(history?.failed ?? []).toEqual([]);
    expect(dispositions.failed).toEqual([]);

    // every service has published all it wrote (outboxes empty), and statistics has read every topic to its end
    const admin = kafka.admin();
    await admin.connect();
    const topics = ['calls', 'dispatch', 'cases'].map((t) => topicName(t as never, prefix));
    await waitFor(
      async () => {
        for (const svc of ['intake', 'dispatch', 'records'] as const) {
          if ((await query<{ n: number }>(stack.databaseUrl(svc), 'SELECT count(*)::int AS n FROM outbox'))[0]!.n > 0) return false;
        }
        for (const topic of topics) {
          const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: `${prefix}statistics`, topics: [topic] })]);
          for (const p of ends) {
            const c = committed[0]!.partitions.find((x) => x.partition === p.partition);
            if (!c || Number(c.offset) < Number(p.high)) return false;
          }
        }
        return true;
      },
      { timeoutMs: FULL ? 3_000_000 : 900_000, intervalMs: 1000, message: 'statistics read every topic' },
    );
    await admin.disconnect();
  });

  afterAll(async () => {
    await stack?.stop();
    if (stack) await stack.dropDatabases();
  });

  it('counts calls by category, subtype, kind, district, beat, local day and local hour exactly as the CSV', async () => {
    const dims: [string, (r: Row) => string | number | null][] = [
      ['category', (r) => r.category],
      ['subtype', (r) => r.subtype],
      ['kind', (r) => r.kind],
      ['district', (r) => r.district],
      ['beat', (r) => r.beat],
      ['day', (r) => r.day],
      ['hour', (r) => r.hour],
    ];
    for (const [by, key] of dims) {
      const got = await get(`/stats/counts?by=${by}`);
      expect({ by, rows: got.rows, total: got.total }).toEqual({ by, rows: countBy(rows, key), total: rows.length });
    }
    // the local days are the file's own dates: the replay's zone matches the source's
    expect(countBy(rows, (r) => r.day).map((x) => x.key)).toEqual(calendarDays(ds.from, ds.to));
  });

  it("counts and filters calls by the source's own call type, code by code as in the CSV (issue 18)", async () => {
    const code = (r: Row) => text(r, col(raw, 'callType')).slice(0, 64) || null;
    const expected = countBy(rows, code);
    expect(expected.length).toBeGreaterThan(20);
    const got = await get('/stats/counts?by=source-code');
    expect({ rows: got.rows, total: got.total }).toEqual({ rows: expected, total: rows.length });
    // neither shared mapping names a group of call types: every call is under the unknown group
    expect((await get('/stats/counts?by=source-group')).rows).toEqual([{ key: null, count: rows.length }]);
    // filtered by one source code (the three most frequent): its calls by 110 category and by day, and its totals
    for (const { key } of [...expected].sort((a, b) => b.count - a.count).slice(0, 3)) {
      const mine = rows.filter((r) => code(r) === key);
      const q = `sourceCode=${encodeURIComponent(String(key))}`;
      expect({ key, rows: (await get(`/stats/counts?by=category&${q}`)).rows }).toEqual({ key, rows: countBy(mine, (r) => r.category) });
      expect({ key, rows: (await get(`/stats/counts?by=day&${q}`)).rows }).toEqual({ key, rows: countBy(mine, (r) => r.day) });
      expect((await get(`/stats/totals?from=${ds.from}&to=${ds.to}&${q}`)).calls).toBe(mine.length);
    }
  });

  it('gives the 110 total, incidents, criminal total and two robberies and one theft', async () => {
    const t = await get(`/stats/totals?from=${ds.from}&to=${ds.to}`);
    const inc = rows.filter(isIncident);
    expect(t).toMatchObject({ calls: rows.length, incidents: inc.length, criminal: inc.filter((r) => r.category === 'criminal').length, twoRobberiesOneTheft: inc.filter((r) => r.twoRob).length });
    for (const district of [...new Set(rows.map((r) => r.district).filter(Boolean))].slice(0, 3) as string[]) {
      const td = await get(`/stats/totals?from=${ds.from}&to=${ds.to}&district=${encodeURIComponent(district)}`);
      expect(td.calls).toBe(rows.filter((r) => r.district === district).length);
    }
  });

  it('compares year on year (zero base: no earlier year replayed) and period on period', async () => {
    const metrics: [string, (r: Row) => boolean][] = [
      ['calls', () => true],
      ['incidents', isIncident],
      ['criminal', (r) => isIncident(r) && r.category === 'criminal'],
      ['two-robberies-one-theft', (r) => isIncident(r) && r.twoRob],
    ];
    const last = ds.to;
    const before = calendarDays(ds.from, ds.to).at(-2)!;
    for (const [metric, pred] of metrics) {
      const all = await get(`/stats/compare?metric=${metric}&from=${ds.from}&to=${ds.to}`);
      expect(all.rows).toEqual([{ key: null, current: rows.filter(pred).length, yoy: { base: 0, change: rows.filter(pred).length, changePct: null, baseZero: true }, pop: { base: 0, change: rows.filter(pred).length, changePct: null, baseZero: true } }]);
      const cur = rows.filter((r) => r.day === last && pred(r)).length;
      const base = rows.filter((r) => r.day === before && pred(r)).length;
      const one = await get(`/stats/compare?metric=${metric}&from=${last}&to=${last}`);
      expect(one.rows[0].pop).toEqual({ base, change: cur - base, changePct: base ? Math.round(((cur - base) / base) * 10000) / 100 : null, baseZero: base === 0 });
      expect(one.rows[0].yoy).toMatchObject({ base: 0, changePct: null, baseZero: true });
    }
  });

  it('lists the days without any incident and without a criminal incident, per district and overall', async () => {
    const got = await get(`/stats/days-without?from=${ds.from}&to=${ds.to}`);
    expect(got.rows).toEqual(daysWithout(rows, ds.from, ds.to));
  });

  it('counts the outcomes recorded on the cases (disputes mediated, people rescued, suspects caught)', async () => {
    const outcome = (r: Row) => rowOutcome(raw, r) as Exclude<ReturnType<typeof rowOutcome>, 'unmapped' | null>;
    const withCase = rows.filter((r) => r.handed && rowOutcome(raw, r) !== null && rowOutcome(raw, r) !== 'unmapped');
    // the replay recorded exactly the rows the mapping gives an outcome, and reported the unknown codes
    expect({ recorded: dispositions.recorded, unmapped: dispositions.unmapped.length }).toEqual({ recorded: withCase.length, unmapped: rows.filter((r) => r.handed && rowOutcome(raw, r) === 'unmapped').length });
    expect(withCase.length).toBeGreaterThan(rows.length / 2);
    const sum = (rs: Row[]) => ({
      cases: rs.length,
      disputesMediated: rs.filter((r) => outcome(r).codes.includes('dispute-mediated')).length,
      peopleRescued: rs.reduce((s, r) => s + outcome(r).peopleRescued, 0),
      suspectsCaught: rs.reduce((s, r) => s + outcome(r).suspectsCaught, 0),
    });
    expect(sum(withCase).suspectsCaught).toBeGreaterThan(0);
    expect((await get('/stats/outcomes')).rows).toEqual([{ key: null, ...sum(withCase) }]);
    const byDistrict = [...new Set(withCase.map((r) => r.district))].map((d) => ({ key: d, ...sum(withCase.filter((r) => r.district === d)) })).sort(sortKey);
    expect((await get('/stats/outcomes?by=district')).rows).toEqual(byDistrict);
    // counted on the local day of the disposition: the source close time, else the call's last known time
    for (const day of calendarDays(ds.from, ds.to).slice(0, 2)) {
      expect({ day, rows: (await get(`/stats/outcomes?from=${day}&to=${day}`)).rows }).toEqual({ day, rows: [{ key: null, ...sum(withCase.filter((r) => outcomeDay(raw, r) === day)) }] });
    }
    // never on the replay's own days (a source without close times used to land there)
    expect((await get(`/stats/outcomes?from=${replayDays.from}&to=${replayDays.to}`)).rows).toEqual([{ key: null, ...sum([]) }]);
  });

  it('computes response-time percentiles (nearest rank) by priority and district, and NFPA 1225 / 1-3-5-minute compliance', async () => {
    const measured = rows.filter((r) => {
      const i = intervals(raw, r);
      return i.processing !== null || i.travel !== null || i.total !== null;
    });
    if (!col(raw, 'firstUnitAssignedAt')) expect(measured).toHaveLength(0);
    else {
      // the replay dispatched every handed row with an assignment time and brought a unit on scene where the row has an arrival
      expect(history).toMatchObject({ dispatched: rows.filter((r) => r.handed && text(r, col(raw, 'firstUnitAssignedAt'))).length, onScene: rows.filter((r) => intervals(raw, r).travel !== null).length });
      expect(measured.length).toBeGreaterThan(rows.length / 2);
    }
    for (const by of ['none', 'priority', 'district'] as const) {
      const keyOf = (r: Row) => (by === 'none' ? null : by === 'priority' ? r.priority : r.district);
      const keys = [...new Set(measured.map(keyOf))].map((key) => ({ key })).sort(sortKey);
      const expected = keys.flatMap(({ key }) => {
        const group = measured.filter((r) => keyOf(r) === key);
        return MEASURES.map((measure) => {
          const v = group.map((r) => intervals(raw, r)[measure]).filter((x): x is number => x !== null);
          return { key, measure, n: v.length, p50: pct(v, 50), p90: pct(v, 90), p95: pct(v, 95) };
        });
      });
      expect((await get(`/stats/response-times?by=${by}`)).rows).toEqual(expected);

      const share = (k: number, n: number) => (n ? Math.round((k / n) * 10000) / 10000 : null);
      const compKeys = [...new Set(measured.filter((r) => intervals(raw, r).processing !== null || intervals(raw, r).travel !== null).map(keyOf))].map((key) => ({ key })).sort(sortKey);
      const comp = compKeys.map(({ key }) => {
        const g = measured.filter((r) => keyOf(r) === key).map((r) => intervals(raw, r));
        const p = g.map((i) => i.processing).filter((x): x is number => x !== null);
        const t = g.map((i) => i.travel).filter((x): x is number => x !== null);
        const s = share(p.filter((x) => x <= 60).length, p.length);
        return {
          key,
          processingN: p.length,
          processingWithin60: p.filter((x) => x <= 60).length,
          nfpa1225Share: s,
          nfpa1225Target: 0.9,
          nfpa1225Met: s === null ? null : s >= 0.9,
          travelN: t.length,
          within1min: t.filter((x) => x <= 60).length,
          within3min: t.filter((x) => x <= 180).length,
          within5min: t.filter((x) => x <= 300).length,
          circle1Share: share(t.filter((x) => x <= 60).length, t.length),
          circle3Share: share(t.filter((x) => x <= 180).length, t.length),
          circle5Share: share(t.filter((x) => x <= 300).length, t.length),
        };
      });
      const gotComp = (await get(`/stats/compliance?by=${by}`)).rows;
      if (by === 'none' && comp.length === 0) expect(gotComp).toEqual([expect.objectContaining({ key: null, processingN: 0, travelN: 0, nfpa1225Share: null })]);
      else expect(gotComp).toEqual(comp);
    }
  });

  it('counts calls per H3 cell × hour of week and ranks the hot spots by Gi* as the formula does', async () => {
    const cells9 = cellHourCounts(rows, 9, 9);
    const expected = [...cells9].flatMap(([cell, m]) => [...m].map(([hourOfWeek, calls]) => ({ cell, hourOfWeek, calls }))).sort((a, b) => (a.cell < b.cell ? -1 : a.cell > b.cell ? 1 : a.hourOfWeek - b.hourOfWeek));
    expect((await get('/stats/hotspots/cells?resolution=9')).rows).toEqual(expected);
    if (!ds.located) expect(expected).toHaveLength(0);
    const cells8 = cellHourCounts(rows, 9, 8);
    const got = (await get('/stats/hotspots?resolution=8&k=1&top=10')).rows;
    const bands = [
      ['night', 0, 8],
      ['day', 8, 16],
      ['evening', 16, 24],
    ] as const;
    const want = cells8.size ? bands.flatMap(([band, a, b]) => giStarTop(cells8, 1, a, b, 10).map((c, i) => ({ band, rank: i + 1, cell: c.cell, calls: c.calls, z: c.z }))) : [];
    expect(got.map((r: any) => ({ band: r.band, rank: r.rank, cell: r.cell, calls: r.calls, z: r.z }))).toEqual(want);
  });

  it('reports calls per hour and events per topic', async () => {
    const t = await get(`/stats/throughput?from=${ds.from}&to=${ds.to}`);
    const hours = calendarDays(ds.from, ds.to).length * 24; // no DST change inside either window
    const perHour = countBy(rows, (r) => `${r.day} ${String(r.hour).padStart(2, '0')}`).sort((a, b) => b.count - a.count || (a.key! < b.key! ? -1 : 1));
    expect(t.callsPerHour).toEqual({
      calls: rows.length,
      hours,
      meanPerHour: Math.round((rows.length / hours) * 1000) / 1000,
      peak: { day: perHour[0]!.key!.slice(0, 10), hour: Number(perHour[0]!.key!.slice(11)), calls: perHour[0]!.count },
    });
    const all = await get('/stats/throughput');
    const n = async (svc: 'intake' | 'dispatch' | 'records') => (await query<{ n: number }>(stack.databaseUrl(svc), 'SELECT count(*)::int AS n FROM events'))[0]!.n;
    const byTopic = Object.fromEntries(all.topics.map((x: any) => [x.topic, x.events]));
    expect(byTopic).toEqual({ calls: await n('intake'), dispatch: await n('dispatch'), cases: await n('records') });
  });

  it('rebuilds every projection from offset 0 to identical tables', async () => {
    const url = stack.databaseUrl('statistics');
    const before = await dumpProjections(url);
    const r = await fetch(`${stack.url('statistics')}/stats/admin/rebuild`, { method: 'POST', headers: { authorization: `Bearer ${stack.token('ops')}` } });
    expect(r.status).toBe(200);
    const res = (await r.json()) as { calls: number; skipped: number };
    expect(res).toMatchObject({ calls: rows.length, skipped: 0 });
    expect(await dumpProjections(url)).toEqual(before);
  });
});
