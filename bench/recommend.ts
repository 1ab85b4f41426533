/**
 * Recommendation latency with 500 units (issue 4: p95 ≤ 5 ms).
 *
 *   npx tsx bench/recommend.ts [--units 500] [--runs 20000]
 *
 * Builds a registry of `--units` units by repeating the seed roster (services/dispatch/seed/units.json)
 * with positions spread over the example county map (deterministic PRNG), a mix of statuses,
 * AVL fixes on a third of them and duty levels per district, then times `recommend()` (run card
 * selection, duty/shift filter, ETA for every candidate, ranking, need filling, reasons) for
 * random incidents of random subtypes, one call at a time. This is the computation dispatch runs
 * in memory for each recommendation; the HTTP endpoint adds reading the unit rows from PostgreSQL.
 * Prints p50/p95/p99/max in milliseconds and one JSON line.
 */
import { loadTaxonomy } from '@cad110/contracts';
import { anchorOf, loadCountyMap } from '../services/dispatch/src/map/county-map';
import { loadEtaModel } from '../services/dispatch/src/recommend/eta';
import { recommend, type UnitCandidate } from '../services/dispatch/src/recommend/recommend';
import { loadRunCards } from '../services/dispatch/src/recommend/run-cards';
import { loadSeed } from '../services/dispatch/src/units/seed';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

// mulberry32: small deterministic PRNG so every run measures the same workload
function prng(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UNITS = arg('units', 500);
const RUNS = arg('runs', 20_000);
const WARMUP = 2_000;
const rand = prng(20261130);
const map = loadCountyMap();
const eta = loadEtaModel();
const runCards = loadRunCards();
const subtypes = loadTaxonomy().allSubtypes();
const seed = loadSeed();
const box = { minLat: 44.86, maxLat: 45.05, minLon: -93.39, maxLon: -93.18 };
const districts = [...map.districts.keys()];
const statuses = ['available', 'available', 'available', 'cleared', 'dispatched', 'en-route', 'on-scene', 'out-of-service'];
const now = Date.parse('2026-11-29T12:00:00.000Z');

const units: UnitCandidate[] = Array.from({ length: UNITS }, (_, i) => {
  const s = seed[i % seed.length]!;
  const a = anchorOf(s.geometry as never)!;
  const jitter = i < seed.length ? { lat: a.lat, lon: a.lon } : { lat: box.minLat + rand() * (box.maxLat - box.minLat), lon: box.minLon + rand() * (box.maxLon - box.minLon) };
  return {
    id: `${s.unitId}-${i}`,
    callSign: `${s.callSign}-${i}`,
    type: s.type,
    district: i < seed.length ? s.district : (map.districtAt(jitter) ?? s.district),
    status: statuses[Math.floor(rand() * statuses.length)]!,
    capabilities: s.capabilities,
    minDutyLevel: s.minDutyLevel,
    shift: s.shift,
    anchor: jitter,
    avl: rand() < 0.33 ? { lat: jitter.lat + (rand() - 0.5) * 0.01, lon: jitter.lon + (rand() - 0.5) * 0.01, atMs: now - Math.floor(rand() * 1_800_000) } : null,
  };
});
const dutyLevels = new Map(districts.map((d, i) => [d, (['normal', 'reinforced', 'wartime'] as const)[i % 3]!]));

const incidents = Array.from({ length: 1000 }, () => {
  const sub = subtypes[Math.floor(rand() * subtypes.length)]!;
  const p = { lat: box.minLat + rand() * (box.maxLat - box.minLat), lon: box.minLon + rand() * (box.maxLon - box.minLon) };
  const noCoords = rand() < 0.1;
  return { category: sub.category, subtype: sub.code, flags: sub.flags, priority: sub.defaultPriority, district: map.districtAt(p) ?? null, ...(noCoords ? {} : p), minute: Math.floor(rand() * 1440) };
});

let sink = 0;
const times = new Float64Array(RUNS);
for (let i = 0; i < WARMUP + RUNS; i++) {
  const inc = incidents[i % incidents.length]!;
  const t0 = process.hrtime.bigint();
  const r = recommend(inc, units, { eta, runCards, dutyLevels, atMs: now, minute: inc.minute, areaOf: (d) => map.areaOf(d) });
  const dt = Number(process.hrtime.bigint() - t0) / 1e6;
  sink += r.recommendations.length;
  if (i >= WARMUP) times[i - WARMUP] = dt;
}
const sorted = Array.from(times).sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const f = (x: number) => x.toFixed(3);
const mean = sorted.reduce((s, x) => s + x, 0) / sorted.length;
console.log(`recommend(): ${UNITS} units, ${RUNS} runs after ${WARMUP} warm-up (node ${process.version})`);
console.log(`  p50 ${f(pct(50))} ms   p95 ${f(pct(95))} ms   p99 ${f(pct(99))} ms   max ${f(sorted.at(-1)!)} ms   mean ${f(mean)} ms`);
console.log(`  target p95 ≤ 5 ms: ${pct(95) <= 5 ? 'met' : 'NOT met'}   (avg ${(sink / (WARMUP + RUNS)).toFixed(1)} units recommended per call)`);
console.log(JSON.stringify({ bench: 'recommend', units: UNITS, runs: RUNS, p50Ms: Number(f(pct(50))), p95Ms: Number(f(pct(95))), p99Ms: Number(f(pct(99))), maxMs: Number(f(sorted.at(-1)!)) }));
