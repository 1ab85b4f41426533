/**
 * Scaling benchmark (issue 8, item 4): how intake's duplicate lookup and statistics' main queries
 * grow with the number of stored calls.
 *
 *   npm run bench:scaling [-- --sizes 10000,100000,1000000 --lookups 1000 --runs 20]
 *
 * For each size, one after the other (never two at once: they would share the two cores):
 *  - `bench/duplicate-lookup.ts --calls N` — N calls over 365 days in intake's real `calls` table,
 *    p50/p95/p99 of both lookup paths (`GET /calls/{id}/duplicates`, `POST /duplicates/search`);
 *  - `bench/statistics-queries.ts --calls N --days 730` — N calls over the same two years, so a
 *    larger N means denser data over the same periods; p50/p95 of each of the 22 API queries.
 * Each child prints JSON lines; this script collects them, prints a table and writes
 * `bench/results/scaling-<timestamp>.json` and `.md`. Times are milliseconds of wall clock per
 * query, measured inside the child on a warm cache (see each script's header). Nothing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const SIZES = arg('sizes', '10000,100000,1000000').split(',').map(Number);
const LOOKUPS = arg('lookups', '1000');
const RUNS = arg('runs', '20');

interface Pct {
  p50: number;
  p95: number;
  p99?: number;
  max?: number;
}

/** Runs a bench script in a child Node process and returns its JSON output lines. */
function runChild(script: string, args: string[]): Record<string, unknown>[] {
  const t0 = Date.now();
  const out = spawnSync(process.execPath, ['--max-old-space-size=6144', '--import', 'tsx', join(ROOT, 'bench', script), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  if (out.status !== 0) throw new Error(`${script} ${args.join(' ')} exited with ${out.status}:\n${out.stdout.slice(-2000)}`);
  process.stderr.write(`[scaling] ${script} ${args.join(' ')}: ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  return out.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const fmt = (x: number | undefined) => (x === undefined ? '—' : x < 10 ? x.toFixed(2) : x.toFixed(1));

function main(): void {
  const startedAt = new Date();
  const rows: { calls: number; duplicate: { findForCall: Pct; search: Pct }; queries: Record<string, Pct> }[] = [];
  for (const n of SIZES) {
    const dup = runChild('duplicate-lookup.ts', ['--calls', String(n), '--lookups', LOOKUPS]).find((j) => j.bench === 'duplicate-lookup') as { findForCall: Pct; search: Pct } | undefined;
    const stats = runChild('statistics-queries.ts', ['--calls', String(n), '--days', '730', '--runs', RUNS]);
    if (!dup) throw new Error('duplicate-lookup printed no result line');
    const queries: Record<string, Pct> = {};
    for (const j of stats) if (typeof j.query === 'string') queries[j.query] = j as unknown as Pct;
    rows.push({ calls: n, duplicate: { findForCall: dup.findForCall, search: dup.search }, queries });
  }

  const sizes = rows.map((r) => r.calls.toLocaleString('en'));
  const lines: string[] = [];
  lines.push(`# cad110 scaling — ${startedAt.toISOString()}`, '');
  lines.push(`${cpus().length} CPU (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; load average at the end ${loadavg().map((x) => x.toFixed(2)).join(' / ')}.`);
  lines.push(`Command: \`npm run bench:scaling -- --sizes ${SIZES.join(',')} --lookups ${LOOKUPS} --runs ${RUNS}\`. Milliseconds per query, p50 / p95.`, '');
  lines.push(`| query | ${sizes.join(' | ')} |`, `|---|${sizes.map(() => '---').join('|')}|`);
  lines.push(`| duplicate lookup, GET /calls/{id}/duplicates | ${rows.map((r) => `${fmt(r.duplicate.findForCall.p50)} / ${fmt(r.duplicate.findForCall.p95)}`).join(' | ')} |`);
  lines.push(`| duplicate lookup, POST /duplicates/search | ${rows.map((r) => `${fmt(r.duplicate.search.p50)} / ${fmt(r.duplicate.search.p95)}`).join(' | ')} |`);
  for (const q of Object.keys(rows[0]!.queries)) lines.push(`| statistics: ${q} | ${rows.map((r) => (r.queries[q] ? `${fmt(r.queries[q]!.p50)} / ${fmt(r.queries[q]!.p95)}` : '—')).join(' | ')} |`);
  const md = lines.join('\n') + '\n';
  process.stdout.write('\n' + md);
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  writeFileSync(join(dir, `scaling-${stamp}.json`), JSON.stringify({ startedAt, sizes: SIZES, lookups: Number(LOOKUPS), runs: Number(RUNS), rows }, null, 2));
  writeFileSync(join(dir, `scaling-${stamp}.md`), md);
  process.stderr.write(`[scaling] wrote bench/results/scaling-${stamp}.json and .md\n`);
}

main();
