/**
 * The supported runtime: one Node LTS release (.node-version) named the same way in engines, the
 * image and the entry script, and the test run itself on it (`npm test` goes through
 * tools/devstack/bin/run.cjs, which switches to that release when the machine's node is another).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../src/paths';

const pinned = readFileSync(join(ROOT, '.node-version'), 'utf8').trim();
const [major] = pinned.split('.').map(Number);

describe('the supported Node.js runtime', () => {
  it('is an LTS line, the same in .node-version, engines and the image', () => {
    // even majors are Node's LTS lines; 24 is supported until 2028-04-30 (nodejs.org/about/previous-releases)
    expect(major).toBe(24);
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).engines.node).toBe(`^${major}.11.0`);
    const dockerfile = readFileSync(join(ROOT, 'infra', 'docker', 'Dockerfile'), 'utf8');
    const froms = [...dockerfile.matchAll(/^FROM node:(\S+)/gm)].map((m) => m[1]);
    expect(froms.length).toBeGreaterThan(0);
    for (const f of froms) expect(f).toMatch(new RegExp(`^${pinned.replace(/\./g, '\\.')}-`));
  });

  it('is what this test run uses', () => {
    expect(process.versions.node.split('.')[0]).toBe(String(major));
  });

  it('is what the entry script switches to from any other node (runtime-path names its bin folder)', () => {
    // the machine's own node (an older line on the CI machine) or, failing that, this one
    const system = spawnSync('/usr/bin/node', ['-v'], { encoding: 'utf8' }).status === 0 ? '/usr/bin/node' : process.execPath;
    const r = spawnSync(system, [join(ROOT, 'tools', 'devstack', 'bin', 'run.cjs'), 'runtime-path'], { encoding: 'utf8', env: { ...process.env, CAD110_RUNTIME_REEXEC: '' } });
    expect(r.status).toBe(0);
    const bin = r.stdout.trim().split('\n').at(-1)!;
    const v = spawnSync(join(bin, 'node'), ['-v'], { encoding: 'utf8' }).stdout.trim();
    expect(v.startsWith(`v${major}.`)).toBe(true);
  });
});
