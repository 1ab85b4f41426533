import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
// libs/kafka fixes kafkajs' 1 ms request-queue timer loop when it loads (request-queue.ts)
import '@cad110/kafka';
import { loadTaxonomy, topicSpecs } from '@cad110/contracts';
import { loadMapping, postCalls, readCalls } from '@cad110/importer';
import { ensureKafka } from './kafka-broker';
import { BUNDLED_SLICE, SERVICES, STATE_DIR } from './paths';
import { categoryCountsFromCsv, categoryMismatches, checkTraces, sample, waitForPipeline } from './pipeline';
import { backgroundNice, Stack } from './stack';
import { TraceTap } from './trace-tap';
import { ensureWebBuild } from './web-build';

/** Demo users seeded in the console (services/console/src/auth/users.ts DEMO_USERS), by role. */
const DEMO_USERNAMES = ['calltaker', 'dispatcher', 'supervisor', 'analyst', 'ops', 'admin'];

export interface DemoOptions {
  exit: boolean;
  file: string;
  mapping: string;
  rate: number;
  limit: number;
  traceSamples: number;
}

/** The demo's token signing secret for a separate `npm run import` (mode 0600, git-ignored; read by tools/importer/src/cli.ts). */
export const DEMO_AUTH_FILE = join(STATE_DIR, 'demo-auth.env');

const say = (m: string) => process.stderr.write(`${m}\n`);

/** Deletes the demo's topics so every demo run starts from an empty log. */
async function resetTopics(brokers: string, prefix: string): Promise<void> {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING, clientId: 'cad110-demo' }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const ours = topicSpecs(prefix).map((t) => t.topic).filter((t) => existing.has(t));
    if (ours.length) await admin.deleteTopics({ topics: ours, timeout: 30_000 });
  } finally {
    await admin.disconnect();
  }
}

/**
 * `npm run demo`: builds the console's web app if missing or stale, starts Kafka (unless
 * KAFKA_BROKERS is set), the four services on ports 8081–8084 and the console on 8085
 * (`CAD110_PORT_BASE` + 0…4) with fresh demo databases (`cad110demo_*`) and topics
 * (`cad110demo.*`), seeds the console's demo users (one per role) with the password in
 * `CAD110_DEMO_PASSWORD` or a random one printed in the summary, replays
 * the bundled real calls through intake, waits for dispatch, records and statistics, checks
 * the per-category statistics against the CSV and the traces of sampled calls, prints a summary
 * table and, as the last line, one JSON object. Then serves until Ctrl-C (or exits with --exit).
 */
export async function demo(opts: DemoOptions): Promise<number> {
  const t0 = performance.now();
  // read (and refused when malformed) before anything is started
  const nice = backgroundNice(undefined, 3);
  ensureWebBuild(say);
  const demoPassword = process.env.CAD110_DEMO_PASSWORD ?? randomBytes(12).toString('base64url');
  const kafka = ensureKafka(say);
  const taxonomy = loadTaxonomy();
  const mapping = loadMapping(opts.mapping, taxonomy);
  const topicPrefix = process.env.KAFKA_TOPIC_PREFIX ?? 'cad110demo.';
  const dbPrefix = process.env.CAD110_DB_PREFIX ?? 'cad110demo';
  await resetTopics(kafka.brokers, topicPrefix);
  const portBase = Number(process.env.CAD110_PORT_BASE ?? 8081);
  const tap = new TraceTap(process.env.OTEL_EXPORTER_OTLP_ENDPOINT);
  const tapUrl = await tap.start();
  const stack = new Stack({
    brokers: kafka.brokers,
    topicPrefix,
    dbPrefix,
    fresh: true,
    ports: { intake: portBase, dispatch: portBase + 1, records: portBase + 2, statistics: portBase + 3, console: portBase + 4 },
    console: true,
    demoPassword,
    otlpEndpoint: tapUrl,
    timeZone: process.env.BUREAU_TIME_ZONE ?? mapping.timeZone,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    // records and statistics yield the cores to intake and dispatch when both are wanted (stack.ts)
    backgroundNice: nice,
  });
  const shutdown = async () => {
    await stack.stop();
    await tap.stop();
    kafka.stop();
  };
  try {
    say(`[cad110] starting ${SERVICES.join(', ')} and the console (logs in ${stack.logDir})${nice ? `; records and statistics at nice ${nice}, so intake and dispatch come first when the cores are short (CAD110_BACKGROUND_NICE=0: all equal)` : ''}`);
    await stack.start();
    // a separate `npm run import` signs its tokens with this key (a pair per demo unless CAD110_AUTH_PRIVATE_KEY and CAD110_AUTH_PUBLIC_KEYS are set)
    mkdirSync(STATE_DIR, { recursive: true });
    const k = stack.authKeys;
    writeFileSync(DEMO_AUTH_FILE, `CAD110_AUTH_PRIVATE_KEY=${k.CAD110_AUTH_PRIVATE_KEY.trim().replace(/\n/g, '\\n')}\nCAD110_AUTH_PUBLIC_KEYS=${k.CAD110_AUTH_PUBLIC_KEYS}\n`, { mode: 0o600 });
    const { calls, rejected } = await readCalls(opts.file, mapping, taxonomy, opts.limit);
    say(`[cad110] replaying ${calls.length} real calls from ${opts.file} (${mapping.source}, ${mapping.timeZone})`);
    const posted = await postCalls(calls, { intakeUrl: stack.url('intake'), rate: opts.rate, concurrency: 16, progress: true, headers: { authorization: `Bearer ${stack.token('call_taker', 'importer')}` } });
    const handed = new Set(calls.filter((c) => c.body.handToDispatch).map((c) => c.body.externalRef.id));
    const expectedIncidents = posted.accepted.filter((a) => handed.has(a.externalId)).length;
    say('[cad110] waiting for dispatch, records and statistics to catch up');
    const t1 = performance.now();
    const { counts, reached } = await waitForPipeline(stack, { incidents: expectedIncidents, cases: expectedIncidents, statsTotal: posted.accepted.length });
    const pipelineSeconds = (performance.now() - t1) / 1000 + posted.seconds;
    const expected = await categoryCountsFromCsv(opts.file, mapping, taxonomy, opts.limit);
    const mismatches = categoryMismatches(expected, counts.byCategory);
    const traced = await checkTraces(stack, tap, sample(posted.accepted.map((a) => a.callId), opts.traceSamples));

    const table: [string, string | number][] = [
      ['rows read / rejected by the mapping', `${calls.length + rejected.length} / ${rejected.length}`],
      ['calls replayed', calls.length],
      ['accepted by intake (HTTP 201)', posted.accepted.length],
      ['intake accept rate', `${posted.callsPerSecond.toFixed(1)} calls/s`],
      ['incidents opened (dispatch)', counts.incidents],
      ['cases opened (records)', counts.cases],
      ['calls counted (statistics)', counts.statsTotal],
      ['fully processed in', `${pipelineSeconds.toFixed(1)} s (${(posted.accepted.length / pipelineSeconds).toFixed(1)} calls/s)`],
      ['category mismatches vs CSV', mismatches.length],
      ['sampled traces complete', `${traced.complete} / ${traced.details.length}`],
      ['spans received', tap.received],
      ['wall time', `${((performance.now() - t0) / 1000).toFixed(1)} s`],
    ];
    const w = Math.max(...table.map(([k]) => k.length));
    say('');
    say('cad110 demo — real calls end to end');
    for (const [k, v] of table) say(`  ${k.padEnd(w)}  ${v}`);
    say('');
    say('  category     expected  counted');
    for (const k of Object.keys({ ...expected, ...counts.byCategory }).sort()) say(`  ${k.padEnd(12)} ${String(expected[k] ?? 0).padStart(8)} ${String(counts.byCategory[k] ?? 0).padStart(8)}`);
    if (!reached) say('[cad110] WARNING: the pipeline did not catch up before the timeout');
    if (mismatches.length) say(`[cad110] mismatches: ${JSON.stringify(mismatches)}`);
    if (posted.failed.length) say(`[cad110] first failures: ${JSON.stringify(posted.failed.slice(0, 3))}`);
    say('');
    say(`  intake      ${stack.url('intake')}/calls`);
    say(`  dispatch    ${stack.url('dispatch')}/incidents`);
    say(`  records     ${stack.url('records')}/cases`);
    say(`  statistics  ${stack.url('statistics')}/stats/counts?by=category`);
    say(`  console     ${stack.url('console')}/`);
    say('');
    say(`  a separate import into this demo: npm run import -- --mapping <name|file> --file <csv>  (signs with the key in ${DEMO_AUTH_FILE})`);
    say(`  console users: ${DEMO_USERNAMES.join(', ')}`);
    say(process.env.CAD110_DEMO_PASSWORD ? '  password:      the value of CAD110_DEMO_PASSWORD' : `  password:      ${demoPassword}   (generated for this run; set CAD110_DEMO_PASSWORD to choose one)`);
    say('');
    console.log(
      JSON.stringify({
        replayed: calls.length,
        accepted: posted.accepted.length,
        incidents: counts.incidents,
        cases: counts.cases,
        statsTotal: counts.statsTotal,
        mismatches: mismatches.length,
        tracesComplete: traced.complete,
      }),
    );
    const ok = reached && mismatches.length === 0 && posted.failed.length === 0;
    if (opts.exit) {
      await shutdown();
      return ok ? 0 : 1;
    }
    say('[cad110] serving; press Ctrl-C to stop');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await shutdown();
    return 0;
  } catch (err) {
    say(`[cad110] demo failed: ${(err as Error).message}`);
    await shutdown();
    return 1;
  }
}

export const DEFAULT_DEMO: DemoOptions = { exit: false, file: BUNDLED_SLICE, mapping: 'minneapolis-mpd', rate: 0, limit: Infinity, traceSamples: 20 };
