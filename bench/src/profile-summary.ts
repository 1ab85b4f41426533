/**
 * Summarises V8 .cpuprofile files (from `node --cpu-prof`): self time by package / file and the
 * top functions. Usage: npx tsx bench/src/profile-summary.ts <dir-or-file> [top=25] [--origin=writev,writeBuffer] [--skip=<seconds>]
 *
 * With `--skip=<seconds>` the samples of the profile's first seconds are left out (a process's
 * start-up, when only its idle time is wanted: bench/idle.ts).
 *
 * With `--origin=<functions>` it also prints where the self time of those functions comes from:
 * their samples grouped by the nearest three frames of cad110's own code (services/, libs/) above
 * them, in % of busy time — e.g. which statements pay for the socket writes (`writev`,
 * `writeBuffer`) of each process. "(no app frame)" is time with no such frame on the stack
 * (kafkajs' own requests, BEGIN/COMMIT sent by the pool).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  children?: number[];
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function bucket(url: string): string {
  if (!url) return '(native/gc/idle)';
  const m = url.match(/node_modules\/((@[^/]+\/)?[^/]+)/);
  if (m) return m[1]!;
  const w = url.match(/\/(libs|services|tools)\/([^/]+)\//);
  if (w) return `${w[1]}/${w[2]}`;
  return url.startsWith('node:') ? url : url.split('/').slice(-2).join('/');
}

const args = process.argv.slice(2).filter((a) => !a.startsWith('--origin=') && !a.startsWith('--skip='));
const skipUs = Number(process.argv.find((a) => a.startsWith('--skip='))?.slice('--skip='.length) ?? 0) * 1e6;
if (!Number.isFinite(skipUs) || skipUs < 0) {
  process.stderr.write('--skip=<seconds> must be a non-negative number\n');
  process.exit(2);
}
const origin = new Set(
  process.argv
    .find((a) => a.startsWith('--origin='))
    ?.slice('--origin='.length)
    .split(',')
    .filter(Boolean) ?? [],
);
const target = args[0]!;
const top = Number(args[1] ?? 25);
const files = statSync(target).isDirectory() ? readdirSync(target).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(target, f)) : [target];
for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = 0;
  p.samples.forEach((id, i) => {
    at += p.timeDeltas[i] ?? 0;
    if (at >= skipUs) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const pkg = new Map<string, number>();
  const fn = new Map<string, number>();
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)' || name === '(program)') continue;
    pkg.set(bucket(n.callFrame.url), (pkg.get(bucket(n.callFrame.url)) ?? 0) + t);
    const key = `${name} ${bucket(n.callFrame.url)}:${n.callFrame.lineNumber}`;
    fn.set(key, (fn.get(key) ?? 0) + t);
  }
  const idle = [...self].filter(([id]) => ['(idle)', '(program)'].includes(byId.get(id)!.callFrame.functionName)).reduce((a, [, t]) => a + t, 0);
  console.log(`\n== ${file}\n   wall ${((p.endTime - p.startTime - Math.min(skipUs, p.endTime - p.startTime)) / 1e6).toFixed(1)} s${skipUs ? ` (after the first ${skipUs / 1e6} s)` : ''}, busy ${((total - idle) / 1e6).toFixed(1)} s`);
  console.log('   self time by package:');
  for (const [k, t] of [...pkg].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`     ${((t / (total - idle)) * 100).toFixed(1).padStart(5)} %  ${k}`);
  console.log('   top functions:');
  for (const [k, t] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`     ${((t / (total - idle)) * 100).toFixed(1).padStart(5)} %  ${k}`);
  if (origin.size) {
    const parent = new Map<number, number>();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const from = new Map<string, number>();
    let sum = 0;
    for (const [id, t] of self) {
      if (!origin.has(byId.get(id)!.callFrame.functionName)) continue;
      sum += t;
      const chain: string[] = [];
      for (let cur = parent.get(id); cur !== undefined && chain.length < 3; cur = parent.get(cur)) {
        const c = byId.get(cur)!.callFrame;
        if (/\/(services|libs)\//.test(c.url) && !c.url.includes('node_modules')) chain.push(`${c.functionName || '(anonymous)'} ${c.url.replace(/.*\/(services|libs)\//, '$1/')}`);
      }
      const k = chain.join(' < ') || '(no app frame)';
      from.set(k, (from.get(k) ?? 0) + t);
    }
    console.log(`   ${[...origin].join(', ')}: ${((sum / (total - idle)) * 100).toFixed(1)} %, called from:`);
    for (const [k, t] of [...from].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`     ${((t / (total - idle)) * 100).toFixed(1).padStart(5)} %  ${k}`);
  }
}
