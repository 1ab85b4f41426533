import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Repository root (libs/testkit/src → ../../..). */
const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/**
 * The folder of shared standards and datasets that CI keeps beside the checkout
 * (`../shared`: the NENA EIDO schema in standards/eido, the real call files in data/calls).
 * `CAD110_SHARED_DIR` overrides it (set it to a missing path to try a clone without it).
 */
export function sharedDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CAD110_SHARED_DIR ? resolve(env.CAD110_SHARED_DIR) : resolve(REPO_ROOT, '..', 'shared');
}

/** Absolute path of `rel` inside {@link sharedDir}. */
export function sharedPath(rel: string): string {
  return join(sharedDir(), rel);
}

/**
 * Why a test that needs the given `../shared` files cannot run here, or undefined when they all
 * exist. `rels` are paths inside the shared folder (e.g. `data/calls/san-diego-pd-calls-for-service.csv`).
 */
export function sharedSkipReason(rels: string[]): string | undefined {
  const missing = rels.filter((r) => !existsSync(sharedPath(r)));
  return missing.length ? `needs ../shared/${missing.join(', ../shared/')} (not found under ${sharedDir()})` : undefined;
}

/** The title suffix jest prints for a skipped test; tools/devstack/skip-reporter.cjs lists these at the end of every run. */
const skipped = (title: string, reason: string) => `${title} [skipped: ${reason}]`;

/**
 * `describe` when every file in `rels` exists under ../shared, else `describe.skip` with the
 * reason in its title, so the run lists the block (and each test in it) as skipped and why —
 * never a test that passes because its data is missing.
 */
export function describeWithShared(title: string, rels: string[], fn: () => void): void {
  const reason = sharedSkipReason(rels);
  if (!reason) return describe(title, fn);
  describe.skip(skipped(title, reason), () => {
    // the block's tests are still collected so the run lists each one; set-up code in the block
    // body that reads the missing files may throw, and then the block is listed as a whole
    try {
      fn();
    } catch {
      it.skip('(the rest of this block: its set-up reads the missing files)', () => undefined);
    }
  });
}

/** `it` when every file in `rels` exists under ../shared, else `it.skip` with the reason in its title (see {@link describeWithShared}). */
export function itWithShared(title: string, rels: string[], fn: jest.ProvidesCallback, timeoutMs?: number): void {
  const reason = sharedSkipReason(rels);
  if (reason) it.skip(skipped(title, reason), fn);
  else it(title, fn, timeoutMs);
}
