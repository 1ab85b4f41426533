/**
 * The Prometheus alert rules (infra/prometheus/alerts.yml) pass `promtool check rules` and their
 * unit tests (`promtool test rules alerts.test.yml`: each alert fires on the series that should
 * raise it and stays quiet just under its threshold). `npm test` installs Debian's `prometheus`
 * package (for promtool) when it is missing (tools/devstack/src/browser.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR = join(__dirname, '..', 'prometheus');
const PROMTOOL = process.env.CAD110_PROMTOOL ?? '/usr/bin/promtool';

function promtool(args: string[], cwd = DIR) {
  const r = spawnSync(PROMTOOL, args, { cwd, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('Prometheus alert rules', () => {
  beforeAll(() => {
    if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing: apt-get install prometheus (npm test does it as root)`);
  });

  it('are valid rules', () => {
    const r = promtool(['check', 'rules', 'alerts.yml']);
    expect(r.out).toMatch(/SUCCESS: 8 rules found/);
    expect(r.status).toBe(0);
  });

  it('are loaded by the compose stack\'s Prometheus, whose scrape jobs carry the names the rules match', () => {
    const r = promtool(['check', 'config', 'prometheus.yml']);
    expect(r.out).toMatch(/SUCCESS: prometheus.yml is valid/);
    expect(r.status).toBe(0);
    const jobs = [...readFileSync(join(DIR, 'prometheus.yml'), 'utf8').matchAll(/job_name: (\S+)/g)].map((m) => m[1]);
    expect(jobs).toEqual(['cad110-intake', 'cad110-dispatch', 'cad110-records', 'cad110-statistics', 'cad110-console']);
  });

  it('pass their promtool unit tests', () => {
    const r = promtool(['test', 'rules', 'alerts.test.yml']);
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.status).toBe(0);
  });

  it('the unit tests can fail: a threshold moved past the test series is caught', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'cad110-rules-'));
    writeFileSync(join(tmp, 'alerts.yml'), readFileSync(join(DIR, 'alerts.yml'), 'utf8').replace('sum by (service, topic) (cad110_consumer_lag) > 1000', 'sum by (service, topic) (cad110_consumer_lag) > 5000'));
    writeFileSync(join(tmp, 'alerts.test.yml'), readFileSync(join(DIR, 'alerts.test.yml'), 'utf8'));
    const r = promtool(['test', 'rules', 'alerts.test.yml'], tmp);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/CadConsumerLagHigh/);
  });
});
