/**
 * infra/grafana/cad110-ops.json: the ops view. Every query is valid PromQL (`promtool promql
 * format` is not in Debian's 2.42, so each expression is checked by `promtool check rules` as a
 * recording rule) and names only metrics the services export or the dispatch ops gauges.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

const ROOT = join(__dirname, '..', '..');
const dash = JSON.parse(readFileSync(join(ROOT, 'infra', 'grafana', 'cad110-ops.json'), 'utf8')) as { uid: string; panels: { title: string; targets: { expr: string }[] }[] };
const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
const PROMTOOL = process.env.CAD110_PROMTOOL ?? '/usr/bin/promtool';
/** metrics of libs/telemetry/src/metrics.ts, Prometheus' `up`, and the dispatch ops gauges (services/dispatch/src/ops/gauges.ts) */
const KNOWN = /^(cad110_messages_consumed_total|cad110_consumer_lag|cad110_outbox_backlog|cad110_http_request_seconds_(count|bucket)|up|cad110_incidents_pending|cad110_incidents_oldest_pending_seconds|cad110_units_available|cad110_alerts_overdue_open)$/;

describe('the Grafana ops dashboard', () => {
  it('shows the duty officer\'s figures', () => {
    expect(dash.uid).toBe('cad110-ops');
    expect(dash.panels.map((p) => p.title)).toEqual(expect.arrayContaining(['Pending incidents by priority', 'Oldest pending incident per priority', 'Units available per district and type', 'Open overdue alerts', 'Dead letters per minute']));
  });

  it('queries only known metrics', () => {
    const names = new Set(exprs.flatMap((e) => [...e.replace(/\{[^}]*\}/g, '').matchAll(/\b([a-z_][a-z0-9_]*)\b(?=\s*(\{|\[|\)|$|\s*[/*]))/g)].map((m) => m[1]!)));
    const fns = /^(sum|max|rate|by|histogram_quantile|le|priority|service|topic|district|type|job)$/;
    expect([...names].filter((n) => !fns.test(n) && !KNOWN.test(n))).toEqual([]);
  });

  it('every cad110 metric it knows is defined by a service', () => {
    const defined = ['libs/telemetry/src/metrics.ts', 'services/dispatch/src/ops/gauges.ts'].map((f) => readFileSync(join(ROOT, f), 'utf8')).join('\n');
    const known = KNOWN.source.replace(/^\^\(|\)\$$/g, '').split('|').filter((n) => n.startsWith('cad110_'));
    for (const n of known) expect({ n, defined: defined.includes(`name: '${n.replace(/_\((count|bucket).*$/, '')}'`) }).toEqual({ n, defined: true });
  });

  it('every query is valid PromQL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cad110-dash-'));
    writeFileSync(join(dir, 'r.yml'), stringify({ groups: [{ name: 'dash', rules: exprs.map((expr, i) => ({ record: `dash:q${i}`, expr })) }] }));
    const r = spawnSync(PROMTOOL, ['check', 'rules', 'r.yml'], { cwd: dir, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toMatch(new RegExp(`SUCCESS: ${exprs.length} rules found`));
  });
});
