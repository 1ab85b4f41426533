import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_WEB_DIR, ROOT } from './paths';

/** Newest modification time (ms) of the files under `dir` (recursively), 0 when none. */
function newestMtime(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((m, f) => Math.max(m, newestMtime(join(path, f))), st.mtimeMs);
}

/** The inputs of the console's web build: its sources, page, config and package manifest. */
const INPUTS = ['src', 'index.html', 'vite.config.ts', 'package.json', 'tsconfig.json', 'public'];

/**
 * True when `services/console/web/dist/index.html` is missing or older than any input of the
 * build (see {@link INPUTS}).
 */
export function webBuildStale(webDir = CONSOLE_WEB_DIR): boolean {
  const built = newestMtime(join(webDir, 'dist', 'index.html'));
  if (built === 0) return true;
  return INPUTS.some((f) => newestMtime(join(webDir, f)) > built);
}

/**
 * Builds the console's SPA with Vite (`vite build` in services/console/web) when the build is
 * missing or stale; does nothing otherwise.
 * @returns whether a build ran
 * @throws Error when the build fails (Vite's output is shown)
 */
export function ensureWebBuild(log: (m: string) => void = (m) => process.stderr.write(`${m}\n`), webDir = CONSOLE_WEB_DIR): boolean {
  if (!webBuildStale(webDir)) return false;
  log('[cad110] building the console web app (vite build)');
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: webDir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  if (r.status !== 0) throw new Error(`vite build failed (exit ${r.status})`);
  return true;
}
