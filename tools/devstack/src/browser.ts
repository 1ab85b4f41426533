import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Chromium, driven by playwright-core in the console's end-to-end tests. */
export const CHROMIUM = process.env.CAD110_CHROMIUM ?? '/usr/bin/chromium';

/** Launch arguments for headless Chromium in a container without a user namespace or GPU. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

function hasCjkFont(): boolean {
  const r = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim().length > 0;
}

/** Prometheus' `promtool` (Debian package `prometheus`), for `promtool test rules` on infra/prometheus. */
export const PROMTOOL = process.env.CAD110_PROMTOOL ?? '/usr/bin/promtool';

/**
 * Makes sure Debian's `chromium` (and a CJK font, so screenshots of the Chinese UI show text,
 * not boxes) are installed: when missing and this process is root with apt-get, runs
 * `apt-get update` and `apt-get install -y chromium fonts-wqy-microhei`. CI runs on a fresh
 * machine of this kind, so `npm test` does it. Debian's `prometheus` (for `promtool`, used by
 * the alert-rule tests) is installed the same way.
 * @returns what is still missing afterwards (empty when all is there)
 */
export function ensureChromium(log: (m: string) => void = (m) => process.stderr.write(`${m}\n`)): string[] {
  const missing = () => [...(existsSync(CHROMIUM) ? [] : ['chromium']), ...(hasCjkFont() ? [] : ['fonts-wqy-microhei']), ...(existsSync(PROMTOOL) ? [] : ['prometheus'])];
  const need = missing();
  if (need.length === 0) return [];
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || spawnSync('which', ['apt-get']).status !== 0) {
    log(`[cad110] missing ${need.join(', ')}; install with: apt-get install -y ${need.join(' ')}`);
    return need;
  }
  log(`[cad110] installing ${need.join(', ')} (apt-get) for the console's browser tests and the alert-rule tests`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...need], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return missing();
}
