/**
 * The response-time histograms against the calls they summarise (real PostgreSQL): for random
 * call facts (millisecond intervals, two bureau years, unknown priority / district / category
 * among them), the percentiles read from `response_hist` equal PostgreSQL's percentile_disc
 * over `call_facts` — for whole years, whole months, odd spans across a year end, open ends,
 * each grouping and filter — and the migration's backfill SQL computes exactly the rows the
 * rebuild computes.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { Pool } from 'pg';
import { tempDatabase } from '@cad110/testkit';
import { deriveIntervals, emptyCall, type CallFactRow } from '../src/projections/fold';
import { sqlOf } from '@cad110/db';
import { ALL_SPECS, bulkInsert, dumpTable } from '../src/projections/store';
import { grainRanges, MEASURES, responseHistRows } from '../src/projections/response-hist';
import { responseTimes } from '../src/figures/response';

jest.setTimeout(120_000);

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function calls(n: number): CallFactRow[] {
  const r = rng(110);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const start = DateTime.fromISO('2024-12-20T00:00:00Z');
  return Array.from({ length: n }, () => {
    const answered = start.plus({ seconds: Math.floor(r() * 400 * 86400) });
    // whole seconds mostly (as real CAD data), some millisecond instants (the console's clock)
    const ms = (max: number) => Math.floor(r() * max) * (r() < 0.8 ? 1000 : 1) + (r() < 0.2 ? Math.floor(r() * 1000) : 0);
    const iso = (d: DateTime) => d.toUTC().toISO()!;
    const dispatched = r() < 0.8 ? answered.plus({ milliseconds: ms(900) }) : null;
    const onScene = dispatched && r() < 0.7 ? dispatched.plus({ milliseconds: ms(1500) }) : null;
    const ringing = r() < 0.3 ? answered.minus({ milliseconds: ms(40) }) : null;
    return deriveIntervals({
      ...emptyCall(randomUUID()),
      received: r() < 0.97,
      answeredAt: iso(answered),
      ringingAt: ringing ? iso(ringing) : null,
      localDay: answered.toISODate()!,
      priority: pick([1, 2, 3, 4, null]),
      district: pick(['Precinct 1', 'Precinct 2', 'Precinct 3', null]),
      category: pick(['criminal', 'traffic', 'dispute', null]),
      dispatchedAt: dispatched ? iso(dispatched) : null,
      onSceneAt: onScene ? iso(onScene) : null,
    });
  });
}

/** The former query: percentile_disc over the call facts. */
async function fromFacts(pool: Pool, by: 'none' | 'priority' | 'district', f: { from?: string; to?: string; district?: string; category?: string; priority?: number }) {
  const params: unknown[] = [f.from ?? '0000', f.to ?? '9999'];
  const conds = ['local_day >= $1', 'local_day <= $2', 'received'];
  if (f.district) conds.push(`district = $${params.push(f.district)}`);
  if (f.category) conds.push(`category = $${params.push(f.category)}`);
  if (f.priority !== undefined) conds.push(`priority = $${params.push(f.priority)}`);
  const key = by === 'none' ? 'NULL::text' : by;
  const cols = { answer: 'answer_s', processing: 'processing_s', travel: 'travel_s', total: 'total_s' } as const;
  const sel = MEASURES.map((m) => `count(${cols[m]}) AS n_${m}, percentile_disc(ARRAY[0.5, 0.9, 0.95]) WITHIN GROUP (ORDER BY ${cols[m]}) AS p_${m}`).join(', ');
  const { rows } = await pool.query(
    `SELECT ${key} AS key, ${sel} FROM call_facts WHERE ${conds.join(' AND ')} AND (processing_s IS NOT NULL OR travel_s IS NOT NULL OR total_s IS NOT NULL OR answer_s IS NOT NULL) GROUP BY 1 ORDER BY 1 NULLS LAST`,
    params,
  );
  return rows.flatMap((row: Record<string, unknown>) =>
    MEASURES.map((m) => {
      const p = (row[`p_${m}`] as (number | null)[] | null) ?? [null, null, null];
      return { key: (row.key as string | number | null) ?? null, measure: m, n: Number(row[`n_${m}`]), p50: p[0] ?? null, p90: p[1] ?? null, p95: p[2] ?? null };
    }),
  );
}

describe('grainRanges', () => {
  it('covers a period exactly with whole years, whole months and days', () => {
    expect(grainRanges('2025-01-01', '2025-12-31')).toEqual({ y: [['2025', '2025']], m: [], d: [] });
    expect(grainRanges('2025-06-01', '2025-06-30')).toEqual({ y: [], m: [['2025-06', '2025-06']], d: [] });
    expect(grainRanges('2024-12-30', '2026-02-03')).toEqual({ y: [['2025', '2025']], m: [['2026-01', '2026-01']], d: [['2024-12-30', '2024-12-31'], ['2026-02-01', '2026-02-03']] });
    expect(grainRanges('2024-02-15', '2024-03-14')).toEqual({ y: [], m: [], d: [['2024-02-15', '2024-03-14']] });
    expect(grainRanges('2024-11-01', '2025-02-28')).toEqual({ y: [], m: [['2024-11', '2024-12'], ['2025-01', '2025-02']], d: [] });
    expect(grainRanges(undefined, '2025-03-02')).toEqual({ y: [['0001', '2024']], m: [['2025-01', '2025-02']], d: [['2025-03-01', '2025-03-02']] });
    expect(grainRanges('2025-12-31')).toEqual({ y: [['2026', '9999']], m: [], d: [['2025-12-31', '2025-12-31']] });
  });
});

describe('response-time percentiles from the histograms (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let pool: Pool;
  const facts = calls(6000);

  beforeAll(async () => {
    db = await tempDatabase(join(__dirname, '..', 'prisma', 'migrations'));
    pool = new Pool({ connectionString: db.url, max: 2 });
    const sql = sqlOf(pool);
    await bulkInsert(sql, ALL_SPECS.callFacts, facts);
    await bulkInsert(sql, ALL_SPECS.responseHist, responseHistRows(facts));
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const cases: [string, 'none' | 'priority' | 'district', { from?: string; to?: string; district?: string; category?: string; priority?: number }][] = [
    ['whole year by priority', 'priority', { from: '2025-01-01', to: '2025-12-31' }],
    ['whole year by district', 'district', { from: '2025-01-01', to: '2025-12-31' }],
    ['a quarter and a day', 'none', { from: '2025-04-01', to: '2025-07-01' }],
    ['across the year end, odd days', 'priority', { from: '2024-12-27', to: '2025-03-05' }],
    ['across the year end, odd days, longer', 'district', { from: '2024-12-21', to: '2026-01-09', category: 'traffic' }],
    ['a week in one district', 'none', { from: '2025-06-02', to: '2025-06-08', district: 'Precinct 3' }],
    ['everything by district', 'district', {}],
    ['open start, one category', 'priority', { to: '2025-08-17', category: 'criminal' }],
    ['open end, one priority', 'district', { from: '2025-02-11', priority: 2 }],
    ['a period without calls', 'none', { from: '2030-01-01', to: '2030-12-31' }],
    ['a month (read from the call facts)', 'priority', { from: '2025-06-01', to: '2025-06-30' }],
  ];
  it.each(cases)('%s: equals percentile_disc over the call facts', async (_name, by, f) => {
    const expected = await fromFacts(pool, by, f);
    expect(await responseTimes(sqlOf(pool), by, f)).toEqual(expected);
    if (_name !== 'a period without calls') expect(expected.length).toBeGreaterThan(0);
  });

  it('the migration backfill computes the rows the rebuild computes', async () => {
    const migration = readFileSync(join(__dirname, '..', 'prisma', 'migrations', '20261205130000_response_hist', 'migration.sql'), 'utf8');
    const backfill = migration.slice(migration.indexOf('INSERT INTO "response_hist"'));
    const rebuilt = await dumpTable(sqlOf(pool), ALL_SPECS.responseHist);
    await pool.query('TRUNCATE response_hist');
    await pool.query(backfill);
    expect(await dumpTable(sqlOf(pool), ALL_SPECS.responseHist)).toEqual(rebuilt);
    expect(rebuilt.length).toBeGreaterThan(1000);
  });
});
