/**
 * A clone without ../shared: the tests that need it are skipped visibly (the run names each one
 * and the missing file), and the run still passes; with ../shared present they run.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { itWithShared } from '@cad110/testkit';
import { ROOT } from '../src/paths';

jest.setTimeout(180_000);

const SPEC = 'tools/importer/src/dispositions.unit.spec.ts';

function jest_(env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), SPEC], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('tests that need ../shared', () => {
  it('are skipped by name with the missing file when ../shared is absent, and the run passes', () => {
    const { status, out } = jest_({ CAD110_SHARED_DIR: join(ROOT, '.cad110', 'no-shared-here') });
    expect(status).toBe(0);
    expect(out).toMatch(/\[cad110\] 2 test\(s\) skipped:/);
    expect(out).toContain('maps every Call_Disposition of the Minneapolis file');
    expect(out).toMatch(/why: needs \.\.\/shared\/data\/calls\/minneapolis-mpd-911-cad\.csv \(not found under .*no-shared-here\)/);
    expect(out).toMatch(/why: needs \.\.\/shared\/data\/calls\/san-diego-pd-disposition-codes\.csv, \.\.\/shared\/data\/calls\/san-diego-pd-calls-for-service\.csv/);
  });

  itWithShared('all run when ../shared is present', ['data/calls/minneapolis-mpd-911-cad.csv', 'data/calls/san-diego-pd-disposition-codes.csv', 'data/calls/san-diego-pd-calls-for-service.csv'], () => {
    const { status, out } = jest_({});
    expect(status).toBe(0);
    expect(out).not.toMatch(/skipped/);
  });
});
