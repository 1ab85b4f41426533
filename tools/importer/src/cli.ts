#!/usr/bin/env -S npx tsx
/**
 * Replays a calls-for-service CSV into intake.
 *
 *   npm run import -- --mapping minneapolis-mpd [--file <csv>] [--intake http://127.0.0.1:8081]
 *                     [--rate 50] [--limit 1000] [--concurrency 16]
 *                     [--with-dispositions [--records http://127.0.0.1:8083]]
 *
 * --mapping   source mapping name in tools/importer/mappings (or a path to one)
 * --file      CSV to read (default: the bundled slice for minneapolis-mpd, else ../shared/data/calls/<dataset>)
 * --rate      offered calls per second (default 0 = as fast as intake accepts)
 * --limit     read at most this many rows
 * --with-dispatch-history
 *             after posting, replay the source's dispatch times into dispatch (first unit assigned,
 *             en route, on scene, cleared) for mappings that name those columns; see
 *             replay-dispatch.ts for how units are chosen. Needs dispatch at --dispatch
 *             (default DISPATCH_URL or http://127.0.0.1:8082) and a supervisor token
 *             (`CAD110_DISPATCH_TOKEN`, else signed from `CAD110_AUTH_SECRET`).
 * --with-dispositions  then record each call's source disposition on its case and close it
 *             (records API; the mapping's `dispositions` table, the source close time as `at`)
 * --records   records base URL (default RECORDS_URL or http://127.0.0.1:8083)
 * Needs an access token with the call_taker role: `CAD110_TOKEN`, or `CAD110_AUTH_SECRET` to sign one;
 * with --with-dispositions also one with the dispatcher role: `CAD110_RECORDS_TOKEN`, or signed.
 * Prints a JSON summary on stdout; the progress bar goes to stderr.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { signToken } from '@cad110/auth';
import { loadTaxonomy } from '@cad110/contracts';
import { loadMapping, postCalls, readCalls, replayDispatchHistory, replayDispositions } from './index';

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** Default CSV for a mapping: the committed slice when there is one, else the shared dataset. */
export function defaultFile(dataset: string): string {
  const repo = resolve(__dirname, '..', '..', '..');
  const slice = join(repo, 'data', 'calls', dataset.replace(/\.csv$/, '.slice-2000.csv'));
  return existsSync(slice) ? slice : join(repo, '..', 'shared', 'data', 'calls', dataset);
}

async function main() {
  const taxonomy = loadTaxonomy();
  const mapping = loadMapping(arg('mapping', 'minneapolis-mpd')!, taxonomy);
  const file = resolve(arg('file') ?? defaultFile(mapping.dataset));
  const { calls, rejected } = await readCalls(file, mapping, taxonomy, Number(arg('limit', 'Infinity')));
  const res = await postCalls(calls, {
    intakeUrl: arg('intake', process.env.INTAKE_URL ?? 'http://127.0.0.1:8081')!,
    rate: Number(arg('rate', '0')),
    concurrency: Number(arg('concurrency', '16')),
    headers: { authorization: `Bearer ${process.env.CAD110_TOKEN ?? signToken({ sub: 'importer', role: 'call_taker' })}` },
  });
  const summary: Record<string, unknown> = { file, rows: calls.length + rejected.length, rejected: rejected.length, accepted: res.accepted.length, failed: res.failed.length, seconds: Number(res.seconds.toFixed(2)), callsPerSecond: Number(res.callsPerSecond.toFixed(1)) };
  if (res.failed.length) console.error('first failures:', res.failed.slice(0, 5));
  if (process.argv.includes('--with-dispatch-history')) {
    if (!mapping.columns.firstUnitAssignedAt) throw new Error(`mapping ${mapping.source} has no dispatch-history columns`);
    const token = process.env.CAD110_DISPATCH_TOKEN ?? signToken({ sub: 'importer', role: 'supervisor' });
    const replay = await replayDispatchHistory(calls, res.accepted, { dispatchUrl: arg('dispatch', process.env.DISPATCH_URL ?? 'http://127.0.0.1:8082')!, headers: { authorization: `Bearer ${token}` }, progressEvery: 1000 });
    const { skipped, failed, ...counts } = replay;
    summary.dispatchHistory = { ...counts, seconds: Number(replay.seconds.toFixed(2)), skipped: skipped.length, failed: failed.length };
    if (failed.length) console.error('first dispatch replay failures:', failed.slice(0, 5));
  }
  if (process.argv.includes('--with-dispositions')) {
    if (!mapping.dispositions) throw new Error(`mapping ${mapping.source} has no dispositions table`);
    const byExternal = new Map(calls.map((c) => [c.body.externalRef.id, c]));
    const d = await replayDispositions(
      res.accepted.map((a) => ({ externalId: a.externalId, callId: a.callId, handedToDispatch: byExternal.get(a.externalId)!.body.handToDispatch, disposition: byExternal.get(a.externalId)!.disposition })),
      {
        recordsUrl: arg('records', process.env.RECORDS_URL ?? 'http://127.0.0.1:8083')!,
        headers: { authorization: `Bearer ${process.env.CAD110_RECORDS_TOKEN ?? signToken({ sub: 'importer', role: 'dispatcher' })}` },
      },
    );
    summary.dispositions = { recorded: d.recorded, closed: d.closed, alreadyClosed: d.alreadyClosed, skipped: d.skipped, unmapped: d.unmapped.length, clampedToOpening: d.clampedToOpening, failed: d.failed.length, seconds: Number(d.seconds.toFixed(2)) };
    if (d.failed.length) console.error('first disposition failures:', d.failed.slice(0, 5));
  }
  console.log(JSON.stringify(summary));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
