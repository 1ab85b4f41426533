import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm run bench [-- --quick]`: runs every benchmark script `bench/*.ts` one after another with
 * tsx (`--quick` runs them on smaller data, e.g. 100,000 instead of 1,000,000 stored calls).
 * @returns 0 when every benchmark exited 0
 */
export async function runBench(args: string[]): Promise<number> {
  const dir = join(__dirname, '..');
  const quick = args.includes('--quick');
  let failed = 0;
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts')).sort()) {
    console.log(`\n=== bench/${f}${quick ? ' (quick)' : ''}`);
    const extra = quick ? ['--quick'] : [];
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, f), ...extra, ...args.filter((a) => a !== '--quick')], { stdio: 'inherit', cwd: join(dir, '..') });
    if (r.status !== 0) failed++;
  }
  return failed ? 1 : 0;
}
