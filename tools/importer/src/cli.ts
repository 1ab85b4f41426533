#!/usr/bin/env -S npx tsx
/**
 * Replays a calls-for-service CSV into cad110, checks a mapping without posting, or writes a first mapping.
 *
 *   npm run import -- --infer <csv> [--zone America/Chicago] [--out my-agency.jsonc] [--source my-agency]
 *   npm run import -- --mapping <name|file> [--file <csv>] --dry-run [--report report.json]
 *   npm run import -- --mapping <name|file> [--file <csv>] [--limit N] [--rate R] [--concurrency C] [--batch-size B]
 *                     [--with-dispatch-history] [--with-dispositions] [--allow-rejected]
 *
 * --infer F   looks at F's header and a sample of its values and writes a starting mapping (JSON
 *             with comments, every guess marked) to --out (default ./<source>.mapping.jsonc)
 * --mapping   source mapping name in tools/importer/mappings (or a path to a .json/.jsonc file)
 * --file      CSV to read (default: the bundled slice for minneapolis-mpd, else ../shared/data/calls/<dataset>)
 * --dry-run   reads and maps the whole file, posts nothing, prints rows read, calls formed, rejected
 *             rows by reason (first lines each), unmapped call types, category × priority, calls per
 *             local day, suspicious locations; --report FILE also writes it as JSON
 * --limit N   replay the earliest N calls (by answer time) of the whole file
 * --rate      offered calls per second (default 0 = as fast as intake accepts)
 * --batch-size B  calls per request (default 100): batches of up to B calls (and under 60 kB) to
 *             POST /calls/batch, at most 4 in flight; 1 = one POST /calls per call, --concurrency in flight
 * --with-dispatch-history
 *             after posting, replay the source's dispatch times into dispatch: every unit's history
 *             for unit-per-row sources, else the first unit's (see replay-dispatch.ts)
 * --with-dispositions  record each call's source disposition on its case and close it (records API)
 * --allow-rejected     exit 0 even when rows were rejected (they are always printed with reasons)
 * Services: --intake / --dispatch / --records, else INTAKE_URL / DISPATCH_URL / RECORDS_URL, else
 * 127.0.0.1 on CAD110_PORT_BASE (+0 intake, +1 dispatch, +2 records; default 8081), as `npm run demo` starts them.
 * Tokens: CAD110_TOKEN / CAD110_DISPATCH_TOKEN / CAD110_RECORDS_TOKEN, else signed with the
 * console's key (CAD110_AUTH_PRIVATE_KEY + CAD110_AUTH_PUBLIC_KEYS), else with the pair
 * `npm run demo` wrote to .cad110/demo-auth.env.
 * Prints the summary as JSON on stdout (last line), each phase's rate and every rejection reason on stderr.
 * Exit codes: 0 ok; 1 error; 2 rows rejected or posts failed (unless --allow-rejected).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { signingKey, signToken } from '@cad110/auth';
import { loadTaxonomy } from '@cad110/contracts';
import { dryRun, formatReport } from './dry-run';
import { inferMapping } from './infer';
import { loadMapping, MappingError } from './mapping';
import { postCalls } from './post-calls';
import { readCalls, rejectionSummary } from './read-csv';
import { replayDispatchHistory } from './replay-dispatch';
import { replayDispositions } from './replay-dispositions';

const REPO = resolve(__dirname, '..', '..', '..');

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const say = (s: string) => process.stderr.write(`${s}\n`);

/** Default CSV for a mapping: the committed slice when there is one, else the shared dataset. */
export function defaultFile(dataset: string): string {
  const slice = join(REPO, 'data', 'calls', dataset.replace(/\.csv$/, '.slice-2000.csv'));
  return existsSync(slice) ? slice : join(REPO, '..', 'shared', 'data', 'calls', dataset);
}

/**
 * The token signing keys: CAD110_AUTH_PRIVATE_KEY and CAD110_AUTH_PUBLIC_KEYS (the console's),
 * else the pair `npm run demo` wrote to `.cad110/demo-auth.env` (so a separate import into a
 * running demo is authorised).
 */
export function importerKeys(env: NodeJS.ProcessEnv = process.env, repo = REPO): { CAD110_AUTH_PRIVATE_KEY: string; CAD110_AUTH_PUBLIC_KEYS: string } | undefined {
  if (env.CAD110_AUTH_PRIVATE_KEY && env.CAD110_AUTH_PUBLIC_KEYS) return { CAD110_AUTH_PRIVATE_KEY: env.CAD110_AUTH_PRIVATE_KEY, CAD110_AUTH_PUBLIC_KEYS: env.CAD110_AUTH_PUBLIC_KEYS };
  const file = join(repo, '.cad110', 'demo-auth.env');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const priv = /^CAD110_AUTH_PRIVATE_KEY=(.+)$/m.exec(text)?.[1]?.trim();
  const pub = /^CAD110_AUTH_PUBLIC_KEYS=(.+)$/m.exec(text)?.[1]?.trim();
  return priv && pub ? { CAD110_AUTH_PRIVATE_KEY: priv, CAD110_AUTH_PUBLIC_KEYS: pub } : undefined;
}

function token(envName: string, role: 'call_taker' | 'supervisor' | 'dispatcher'): string {
  const given = process.env[envName];
  if (given) return given;
  const keys = importerKeys();
  if (!keys) throw new Error(`no ${envName} and no signing key: set CAD110_AUTH_PRIVATE_KEY and CAD110_AUTH_PUBLIC_KEYS (the console's) or start \`npm run demo\`, which writes .cad110/demo-auth.env`);
  return signToken({ sub: 'importer', role }, signingKey(keys));
}

function serviceUrl(name: 'intake' | 'dispatch' | 'records'): string {
  const offset = { intake: 0, dispatch: 1, records: 2 }[name];
  return arg(name) ?? process.env[`${name.toUpperCase()}_URL`] ?? `http://127.0.0.1:${Number(process.env.CAD110_PORT_BASE ?? 8081) + offset}`;
}

const rate = (n: number, s: number) => Number((n / Math.max(s, 1e-9)).toFixed(1));

async function main(): Promise<number> {
  const taxonomy = loadTaxonomy();
  const inferFile = arg('infer');
  if (inferFile) {
    const t0 = performance.now();
    const source = arg('source');
    const zone = arg('zone');
    const r = await inferMapping(resolve(inferFile), taxonomy, { ...(zone ? { timeZone: zone } : {}), ...(source ? { source } : {}) });
    const out = resolve(arg('out') ?? `${source ?? basename(inferFile).replace(/\.[^.]+$/, '').toLowerCase().replace(/[^a-z0-9]+/g, '-')}.mapping.jsonc`);
    writeFileSync(out, r.text);
    const seconds = Number(((performance.now() - t0) / 1000).toFixed(2));
    say(`wrote ${out}: a starting mapping for ${inferFile} (${r.rows} rows) — check every GUESS, then: npm run import -- --mapping ${out} --file ${inferFile} --dry-run`);
    console.log(JSON.stringify({ infer: inferFile, out, rows: r.rows, columns: r.profiles.length, timeColumns: r.profiles.filter((p) => p.timeFormat).map((p) => `${p.name}: ${p.timeFormat}`), seconds }));
    return 0;
  }

  const mapping = loadMapping(arg('mapping', 'minneapolis-mpd')!, taxonomy);
  const file = resolve(arg('file') ?? defaultFile(mapping.dataset));
  if (flag('dry-run')) {
    const report = await dryRun(file, mapping, taxonomy);
    console.log(formatReport(report));
    const out = arg('report');
    if (out) {
      writeFileSync(resolve(out), `${JSON.stringify(report, null, 2)}\n`);
      say(`report written to ${resolve(out)}`);
    }
    return 0;
  }

  const read0 = performance.now();
  const limit = Number(arg('limit', 'Infinity'));
  const { calls, rejected, rowsRead } = await readCalls(file, mapping, taxonomy, limit);
  const readSeconds = (performance.now() - read0) / 1000;
  say(`[import] read ${rowsRead} rows → ${calls.length} calls${Number.isFinite(limit) ? ` (the earliest ${limit} by answer time)` : ''}, ${rejected.length} rejected, in ${readSeconds.toFixed(2)} s`);
  const reasons = rejectionSummary(rejected);
  for (const r of reasons) say(`[import] rejected ${r.count}× ${r.reason} (first lines ${r.firstLines.join(', ')}; e.g. ${r.example})`);

  const posted = await postCalls(calls, { intakeUrl: serviceUrl('intake'), rate: Number(arg('rate', '0')), concurrency: Number(arg('concurrency', '32')), batchSize: Number(arg('batch-size', '100')), headers: { authorization: `Bearer ${token('CAD110_TOKEN', 'call_taker')}` } });
  say(`[import] phase calls: ${posted.accepted.length} accepted, ${posted.failed.length} failed in ${posted.seconds.toFixed(1)} s = ${rate(posted.accepted.length, posted.seconds)} calls/s`);
  if (posted.failed.length) say(`[import] first failures: ${JSON.stringify(posted.failed.slice(0, 5))}`);
  const summary: Record<string, unknown> = {
    file,
    rows: rowsRead,
    calls: calls.length,
    rejected: rejected.length,
    rejectedByReason: reasons.map((r) => ({ reason: r.reason, count: r.count, firstLines: r.firstLines })),
    accepted: posted.accepted.length,
    failed: posted.failed.length,
    seconds: Number(posted.seconds.toFixed(2)),
    callsPerSecond: rate(posted.accepted.length, posted.seconds),
  };
  let failures = posted.failed.length;
  if (flag('with-dispatch-history')) {
    if (!mapping.columns.firstUnitAssignedAt && !mapping.units) throw new Error(`mapping ${mapping.source} has no dispatch-history columns (columns.firstUnit* or units)`);
    const replay = await replayDispatchHistory(calls, posted.accepted, { dispatchUrl: serviceUrl('dispatch'), headers: { authorization: `Bearer ${token('CAD110_DISPATCH_TOKEN', 'supervisor')}` }, progressEvery: 5000, mode: 'planned', concurrency: Number(arg('concurrency', '32')) });
    const { skipped, failed, ...counts } = replay;
    summary.dispatchHistory = { ...counts, seconds: Number(replay.seconds.toFixed(2)), incidentWaitSeconds: Number((replay.incidentWaitSeconds ?? 0).toFixed(2)), callsPerSecond: rate(replay.incidents, replay.seconds), skipped: skipped.length, failed: failed.length };
    say(`[import] phase dispatch history: ${replay.incidents} incidents, ${replay.dispatched} units dispatched, ${replay.reopened} reopened, ${failed.length} failed in ${replay.seconds.toFixed(1)} s = ${rate(replay.incidents, replay.seconds)} calls/s (${(replay.incidentWaitSeconds ?? 0).toFixed(1)} s of it finding the incidents dispatch opened)`);
    if (failed.length) say(`[import] first dispatch replay failures: ${JSON.stringify(failed.slice(0, 5))}`);
    failures += failed.length;
  }
  if (flag('with-dispositions')) {
    if (!mapping.dispositions) throw new Error(`mapping ${mapping.source} has no dispositions table`);
    const byExternal = new Map(calls.map((c) => [c.body.externalRef.id, c]));
    const d = await replayDispositions(
      posted.accepted.map((a) => ({ externalId: a.externalId, callId: a.callId, handedToDispatch: byExternal.get(a.externalId)!.body.handToDispatch, disposition: byExternal.get(a.externalId)!.disposition })),
      { recordsUrl: serviceUrl('records'), headers: { authorization: `Bearer ${token('CAD110_RECORDS_TOKEN', 'dispatcher')}` }, concurrency: Number(arg('concurrency', '32')) },
    );
    const handled = d.recorded + d.alreadyClosed + d.skipped + d.unmapped.length + d.failed.length;
    summary.dispositions = { recorded: d.recorded, closed: d.closed, alreadyClosed: d.alreadyClosed, skipped: d.skipped, unmapped: d.unmapped.length, clampedToOpening: d.clampedToOpening, failed: d.failed.length, seconds: Number(d.seconds.toFixed(2)), callsPerSecond: rate(handled, d.seconds) };
    say(`[import] phase dispositions: ${d.recorded} recorded, ${d.closed} closed, ${d.unmapped.length} unmapped, ${d.failed.length} failed of ${handled} calls in ${d.seconds.toFixed(1)} s = ${rate(handled, d.seconds)} calls/s`);
    if (d.failed.length) say(`[import] first disposition failures: ${JSON.stringify(d.failed.slice(0, 5))}`);
    failures += d.failed.length;
  }
  console.log(JSON.stringify(summary));
  if ((rejected.length || failures) && !flag('allow-rejected')) {
    say(`[import] ${rejected.length} rows rejected and ${failures} requests failed: exit 2 (--allow-rejected to accept)`);
    return 2;
  }
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      if (e instanceof MappingError) say(e.message);
      else console.error(e);
      process.exit(1);
    },
  );
}
