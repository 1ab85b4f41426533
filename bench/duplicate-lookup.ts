/**
 * Duplicate-lookup benchmark (issue 3: p95 ≤ 20 ms with 1,000,000 calls stored).
 *
 *   npm run bench:duplicate-lookup                       # 1,000,000 calls, 2,000 + 2,000 lookups
 *   npm run bench:duplicate-lookup -- --calls 100000 --lookups 500 --days 365 --keep
 *
 * 1. Creates a temporary PostgreSQL database (POSTGRES_URL, default 127.0.0.1:5432) with intake's
 *    migrations — the real `calls` table and its indexes.
 * 2. Loads N realistic calls into the read model: positions, call types and time of day are drawn
 *    from the real Minneapolis CAD rows (../shared/data/calls, else the bundled slice) with a
 *    150 m Gaussian jitter; answer times spread over `--days` (default 365: 2,740 calls a day,
 *    4.4 × Minneapolis' volume); statuses 85 % closed, 10 % handed to dispatch, 3 % open, 2 %
 *    cancelled; Chinese mobile numbers, 5 % of them repeat callers within 10 minutes. The indexes
 *    are dropped for the bulk load and re-created with their migration definitions, then ANALYZE.
 * 3. Times, one after another, through intake's own DuplicateFinder on the pool's Sql (the code
 *    the endpoints run): `findForCall` for random stored calls (2 queries: the call, then its
 *    candidates) and `find` for random typing-time forms (point + time + caller number).
 *    A warm-up of 200 lookups is not counted. Prints p50/p95/p99/max in milliseconds.
 * 4. Drops the database (unless --keep).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { loadTaxonomy } from '@cad110/contracts';
import { deployMigrations, dropDatabase, ensureDatabase, sqlOf, withDatabase, DEFAULT_POSTGRES_URL } from '@cad110/db';
import { loadMapping, readCalls } from '@cad110/importer';
import { DuplicateFinder } from '@cad110/intake/src/duplicates/finder';
import { geoCell } from '@cad110/intake/src/duplicates/geo-cell';
import { duplicateConfig, loadCategoryCompatibility } from '@cad110/intake/src/duplicates/rules';

const ROOT = join(__dirname, '..');
const INTAKE = join(ROOT, 'services', 'intake');

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

/** Deterministic PRNG (mulberry32) so runs are comparable. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
  return { next, gauss, int: (n: number) => Math.floor(next() * n) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return { n: s.length, p50: r(percentile(s, 50)), p95: r(percentile(s, 95)), p99: r(percentile(s, 99)), max: r(s.at(-1)!), mean: r(s.reduce((a, b) => a + b, 0) / s.length) };
}

interface Seed {
  lat: number;
  lon: number;
  category: string;
  subtype: string;
  priority: number;
  kind: string;
  secondOfDay: number;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const N = arg('calls', quick ? 100_000 : 1_000_000);
  const LOOKUPS = arg('lookups', quick ? 500 : 2000);
  const DAYS = arg('days', 365);
  const keep = process.argv.includes('--keep');
  const rnd = prng(20261130);
  const taxonomy = loadTaxonomy();

  // real positions, call types and time of day
  const csv = [join(ROOT, '..', 'shared', 'data', 'calls', 'minneapolis-mpd-911-cad.csv'), join(ROOT, 'data', 'calls', 'minneapolis-mpd-911-cad.slice-2000.csv')].find(existsSync)!;
  const { calls: real } = await readCalls(csv, loadMapping('minneapolis-mpd', taxonomy), taxonomy);
  const seeds: Seed[] = real
    .filter((c) => c.body.location?.lat !== undefined)
    .map((c) => {
      const t = new Date(c.body.answeredAt);
      const sub = taxonomy.subtype(c.subtype)!;
      return { lat: c.body.location!.lat!, lon: c.body.location!.lon!, category: c.category, subtype: c.subtype, priority: c.body.classification.priority, kind: sub.kind, secondOfDay: t.getUTCHours() * 3600 + t.getUTCMinutes() * 60 + t.getUTCSeconds() };
    });
  console.log(`seed rows: ${seeds.length} real calls with coordinates from ${csv.replace(`${ROOT}/`, '')}`);

  const url = withDatabase(process.env.POSTGRES_URL ?? DEFAULT_POSTGRES_URL, `cad110bench_${randomBytes(4).toString('hex')}`);
  await ensureDatabase(url);
  await deployMigrations(url, join(INTAKE, 'prisma', 'migrations'));
  const pool = new Pool({ connectionString: url, max: 4 });
  try {
    // ---- load
    const t0 = performance.now();
    const idx = await pool.query<{ indexname: string; indexdef: string }>(`SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'calls' AND indexname <> 'calls_pkey'`);
    for (const i of idx.rows) await pool.query(`DROP INDEX "${i.indexname}"`);
    const start = Date.parse('2025-01-01T00:00:00.000Z');
    const times = new Float64Array(N);
    const picks = new Uint32Array(N);
    for (let i = 0; i < N; i++) {
      const s = rnd.int(seeds.length);
      picks[i] = s;
      times[i] = start + rnd.int(DAYS) * 86_400_000 + seeds[s]!.secondOfDay * 1000 + rnd.int(1000);
    }
    const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => times[a]! - times[b]!);
    const ids: string[] = new Array(N);
    const numbers: string[] = new Array(N);
    const mobile = () => `1${3 + rnd.int(7)}${String(rnd.int(1e9)).padStart(9, '0')}`;
    const BATCH = 5000;
    let cols: Record<string, unknown[]> = {};
    const flush = async () => {
      if (!cols.id?.length) return;
      await pool.query(
        `INSERT INTO calls (id, version, status, channel, answered_at, created_at, kind, category, subtype, priority, classified_at, lat, lon, geo_cell, district, caller_number, handed_at, updated_at)
         SELECT id, 5, st, '110', t, t, k, c, s, p, t, la, lo, g, d, n, CASE WHEN st IN ('handed-to-dispatch','closed') THEN t + interval '50 seconds' END, now()
         FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], $7::int[], $8::float8[], $9::float8[], $10::bigint[], $11::text[], $12::text[])
           AS x(id, st, t, k, c, s, p, la, lo, g, d, n)`,
        [cols.id, cols.st, cols.t, cols.k, cols.c, cols.s, cols.p, cols.la, cols.lo, cols.g, cols.d, cols.n],
      );
      cols = {};
    };
    const push = (k: string, v: unknown) => (cols[k] ??= []).push(v);
    for (let j = 0; j < N; j++) {
      const i = order[j]!;
      const seed = seeds[picks[i]!]!;
      const lat = seed.lat + (rnd.gauss() * 150) / 111_195;
      const lon = seed.lon + (rnd.gauss() * 150) / (111_195 * Math.cos((seed.lat * Math.PI) / 180));
      const u = rnd.next();
      const status = u < 0.85 ? 'closed' : u < 0.95 ? 'handed-to-dispatch' : u < 0.98 ? 'open' : 'cancelled';
      // 5 % repeat callers: the number of a call answered in the previous ~10 minutes
      let number = mobile();
      if (rnd.next() < 0.05 && j > 0) {
        for (let back = 1; back <= 40 && j - back >= 0; back++) {
          const prev = order[j - back]!;
          if (times[i]! - times[prev]! > 600_000) break;
          if (rnd.next() < 0.3) {
            number = numbers[prev]!;
            break;
          }
        }
      }
      ids[i] = randomUUID();
      numbers[i] = number;
      push('id', ids[i]);
      push('st', status);
      push('t', new Date(times[i]!).toISOString());
      push('k', seed.kind);
      push('c', seed.category);
      push('s', seed.subtype);
      push('p', seed.priority);
      push('la', lat);
      push('lo', lon);
      push('g', geoCell(lat, lon));
      push('d', 'D' + (1 + (picks[i]! % 5)));
      push('n', number);
      if (cols.id!.length >= BATCH) await flush();
      if (j > 0 && j % 200_000 === 0) console.log(`  loaded ${j.toLocaleString('en')} calls (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    await flush();
    const loaded = performance.now();
    for (const i of idx.rows) await pool.query(i.indexdef);
    await pool.query('VACUUM ANALYZE calls');
    const indexed = performance.now();
    const size = (await pool.query<{ rows: string; table: string; indexes: string }>(`SELECT (SELECT count(*) FROM calls)::text AS rows, pg_size_pretty(pg_table_size('calls')) AS table, pg_size_pretty(pg_indexes_size('calls')) AS indexes`)).rows[0]!;
    console.log(`stored calls: ${Number(size.rows).toLocaleString('en')} over ${DAYS} days (${Math.round(N / DAYS).toLocaleString('en')} a day); table ${size.table}, indexes ${size.indexes}`);
    console.log(`load ${((loaded - t0) / 1000).toFixed(1)} s, index + analyze ${((indexed - loaded) / 1000).toFixed(1)} s`);

    // ---- lookups through intake's finder on the pool's Sql, like the endpoints
    const db = sqlOf(pool);
    const config = duplicateConfig();
    const finder = new DuplicateFinder(config, loadCategoryCompatibility(taxonomy));
    const randomCall = () => ids[rnd.int(N)]!;
    const typingForm = () => {
      const seed = seeds[rnd.int(seeds.length)]!;
      const at = new Date(start + rnd.int(DAYS) * 86_400_000 + seed.secondOfDay * 1000).toISOString();
      return { at, lat: seed.lat + (rnd.gauss() * 100) / 111_195, lon: seed.lon + (rnd.gauss() * 100) / 78_000, callerNumber: rnd.next() < 0.5 ? numbers[rnd.int(N)]! : mobile(), category: seed.category, subtype: seed.subtype };
    };
    for (let i = 0; i < 200; i++) {
      await finder.findForCall(db, randomCall());
      await finder.find(db, typingForm());
    }
    const byCall: number[] = [];
    const byForm: number[] = [];
    let candidates = 0;
    let withCandidates = 0;
    for (let i = 0; i < LOOKUPS; i++) {
      const id = randomCall();
      let t = performance.now();
      const r = await finder.findForCall(db, id);
      byCall.push(performance.now() - t);
      candidates += r!.candidates.length;
      if (r!.candidates.length) withCandidates++;
      const form = typingForm();
      t = performance.now();
      await finder.find(db, form);
      byForm.push(performance.now() - t);
    }
    const mid = start + Math.floor(DAYS / 2) * 86_400_000 + 18 * 3600_000; // a busy hour in the middle of the data
    const plan = await pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) SELECT id FROM calls WHERE geo_cell = ANY($1::bigint[]) AND lat BETWEEN $2 AND $3 AND lon BETWEEN $4 AND $5 AND answered_at >= $6 AND answered_at <= $7 AND status = ANY($8::text[])`,
      [[geoCell(44.98, -93.27), geoCell(44.98, -93.265)], 44.978, 44.982, -93.273, -93.262, new Date(mid).toISOString(), new Date(mid + 1_800_000).toISOString(), ['open', 'handed-to-dispatch', 'transferred']],
    );
    console.log('plan of the "near" branch:');
    for (const r of plan.rows.slice(0, 6)) console.log(`  ${r['QUERY PLAN']}`);
    const a = stats(byCall);
    const b = stats(byForm);
    console.log(`radius ${config.radiusMetres} m, window ±${config.windowSeconds} s; mean candidates per stored call ${(candidates / LOOKUPS).toFixed(2)} (${Math.round((100 * withCandidates) / LOOKUPS)} % of calls have at least one)`);
    console.log(`GET /calls/{id}/duplicates path (findForCall, 2 queries): p50 ${a.p50} ms  p95 ${a.p95} ms  p99 ${a.p99} ms  max ${a.max} ms  (n=${a.n})`);
    console.log(`POST /duplicates/search path (find, 1 query):          p50 ${b.p50} ms  p95 ${b.p95} ms  p99 ${b.p99} ms  max ${b.max} ms  (n=${b.n})`);
    console.log(JSON.stringify({ bench: 'duplicate-lookup', storedCalls: Number(size.rows), days: DAYS, findForCall: a, search: b, targetP95Ms: 20, pass: a.p95 <= 20 && b.p95 <= 20 }));
  } finally {
    await pool.end();
    if (!keep) await dropDatabase(url);
    else console.log(`kept database ${url}`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
