import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
// libs/kafka fixes kafkajs' 1 ms request-queue timer loop when it loads (request-queue.ts)
import '@cad110/kafka';
import { loadTaxonomy } from '@cad110/contracts';
import { loadMapping, readCalls, type MappedCall } from '@cad110/importer';
import { uniqueId } from '@cad110/testkit';
import { BUNDLED_SLICE, ROOT, SERVICES, SHARED_CALLS_DIR } from '../paths';
import { Stack } from '../stack';
import { KafkaCluster } from './cluster';
import { faultByName, FAULTS, type FaultContext } from './faults';
import { replayCalls } from './load';
import { PrivatePostgres } from './private-pg';
import { checkTopics, committedCalls, completeCalls, consumerLag, countedTwice, outboxRows, readAllTopics, type DbUrls } from './verify';

export interface SuiteOptions {
  /** calls replayed per fault run */
  count: number;
  /** offered calls per second */
  rate: number;
  /** fault names (keys of FAULTS), each its own run */
  faults: string[];
  /** instances of every service (default 2) */
  instances?: number;
  /** seconds after the load starts when the fault is injected (default: a quarter of the load) */
  faultAfterSeconds?: number;
  /** how long to wait for the pipeline to drain after the load, seconds (default 180) */
  drainSeconds?: number;
  /** result file (Markdown; a .json twin is written next to it) */
  out?: string;
  log?: (line: string) => void;
}

export interface FaultRow {
  fault: string;
  describe: string;
  offered: number;
  accepted: number;
  committed: number;
  lost: number;
  duplicated: number;
  requestsFailed: number;
  requests: number;
  /** % of offered calls answered 201 within 2 s of their first attempt */
  within2sPct: number;
  /** seconds from the fault's end until every call accepted before it had its incident, case and count */
  caughtUpSeconds: number | null;
  /** the longest any call waited from its 201 to having its incident, case and count (0.5 s polling) */
  maxDelaySeconds: number | null;
  /** seconds from the load's end until lag 0, outboxes empty and every call complete */
  drainedSeconds: number | null;
  orderViolations: number;
  deadLetters: number;
  notes: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The calls a run replays: ≥ 2,000 rows from the shared file when present, else the bundled slice; externalRef ids get the run's suffix. */
export async function loadCalls(count: number): Promise<MappedCall[]> {
  const taxonomy = loadTaxonomy();
  const mapping = loadMapping('minneapolis-mpd', taxonomy);
  const shared = join(SHARED_CALLS_DIR, 'minneapolis-mpd-911-cad.csv');
  const file = count > 1900 ? shared : BUNDLED_SLICE;
  const { calls } = await readCalls(file, mapping, taxonomy, count);
  if (calls.length < count) throw new Error(`${file} gave ${calls.length} calls, ${count} asked`);
  return calls;
}

const forRun = (calls: MappedCall[], suffix: string): MappedCall[] =>
  calls.map((c) => ({ ...c, body: { ...c.body, externalRef: { ...c.body.externalRef, id: `${c.body.externalRef.id}${suffix}` } } }));

/**
 * The fault suite: a private PostgreSQL (PrivatePostgres), the 3-broker cluster, `instances` of
 * every service; for each fault, `count` real calls replayed at `rate` calls/s with the fault
 * injected a quarter into the load, then every accepted or committed call checked for exactly one
 * incident, case and count (databases), every topic re-read from offset 0 (no fact twice, per-stream
 * order), lag 0 and outboxes empty. Prints and writes one table row per fault.
 */
export async function runSuite(opts: SuiteOptions): Promise<FaultRow[]> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`[chaos] ${l}\n`));
  const instances = opts.instances ?? 2;
  const pg = new PrivatePostgres();
  const cluster = new KafkaCluster();
  const prefix = `${uniqueId('chaos')}.`;
  const rows: FaultRow[] = [];
  const savedPg = process.env.POSTGRES_URL;
  log(`private PostgreSQL on ${pg.port}, cluster base port ${cluster.env.CAD110_KAFKA_CLUSTER_PORT}`);
  await pg.start();
  await cluster.run('reset');
  await cluster.start();
  process.env.POSTGRES_URL = pg.url;
  const brokers = await cluster.brokers();
  const stack = new Stack({
    brokers,
    topicPrefix: prefix,
    dbPrefix: uniqueId('cad110chaos_'),
    fresh: true,
    instances,
    env: { POSTGRES_URL: pg.url, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', KAFKA_PARTITIONS: '3', DISPATCH_TIMER_INTERVAL_MS: '5000' },
  });
  const kafka = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING, clientId: 'chaos-suite', retry: { initialRetryTime: 200, maxRetryTime: 2000, retries: 30 } });
  try {
    const calls = await loadCalls(opts.count);
    await stack.start(180_000);
    log(`stack up: ${instances} instances of ${SERVICES.join(', ')}`);
    const db: DbUrls = { intake: stack.databaseUrl('intake'), dispatch: stack.databaseUrl('dispatch'), records: stack.databaseUrl('records'), statistics: stack.databaseUrl('statistics') };
    const groups = ['dispatch', 'records', 'statistics'].map((g) => `${prefix}${g}`);
    const ctx: FaultContext = { cluster, stack, pg, kafka, prefix, instances, log };
    const token = `Bearer ${stack.token('call_taker', 'chaos')}`;
    let deadLettersBefore = 0;
    let orderViolationsBefore = 0;
    for (const [run, name] of opts.faults.entries()) {
      const fault = faultByName(name);
      if (!fault) throw new Error(`unknown fault ${name}; one of ${Object.keys(FAULTS).join(', ')}, kill:<service>`);
      const suffix = `~r${run}`;
      const runCalls = forRun(calls, suffix);
      log(`run ${run + 1}/${opts.faults.length}: ${fault.describe}; ${opts.count} calls at ${opts.rate}/s`);
      const loadSeconds = opts.count / opts.rate;
      let endedAt = 0;
      // every accepted call's 201 time and the time it was first seen complete (polled every 0.5 s)
      const acceptedAt = new Map<string, number>(); // callId → ms
      const completedAt = new Map<string, number>();
      const liveAccepted = new Map<string, string>(); // externalId → callId
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const open = [...acceptedAt.keys()].filter((id) => !completedAt.has(id));
          const done = await completeCalls(db, open).catch(() => new Set<string>());
          const t = Date.now();
          for (const id of done) completedAt.set(id, t);
          await sleep(500);
        }
      })();
      const load = replayCalls(runCalls, {
        urls: () => stack.urls('intake'),
        rate: opts.rate,
        authorization: token,
        onAccepted: (ext, id) => {
          liveAccepted.set(ext, id);
          acceptedAt.set(id, Date.now());
        },
      });
      const faultRun = (async () => {
        await sleep((opts.faultAfterSeconds ?? loadSeconds / 4) * 1000);
        return fault.inject(ctx, () => (endedAt = Date.now()));
      })();
      const loadResult = await load;
      const notes = await faultRun;
      const loadEnd = loadResult.endedAt;
      log(`load done: ${loadResult.accepted.size}/${loadResult.offered} accepted, ${loadResult.requestsFailed} requests failed; waiting for the pipeline`);
      const deadline = Date.now() + (opts.drainSeconds ?? 180) * 1000;
      let drainedAt: number | null = null;
      let committed = new Map<string, string>();
      let all: string[] = [];
      let complete = new Set<string>();
      while (Date.now() < deadline) {
        committed = await committedCalls(db, 'minneapolis-mpd', suffix).catch(() => committed);
        all = [...new Set([...committed.values(), ...liveAccepted.values()])];
        complete = await completeCalls(db, all).catch(() => complete);
        if (complete.size === all.length && (await outboxRows(db).catch(() => 1)) === 0 && (await consumerLag(kafka, prefix, groups).catch(() => 1)) === 0) {
          drainedAt = Date.now();
          break;
        }
        await sleep(500);
      }
      await sleep(600); // one more poll round
      polling = false;
      await poller;
      // caught up: the last call accepted before the fault's end had its incident, case and count
      const before = [...acceptedAt].filter(([, at]) => at <= endedAt).map(([id]) => id);
      const caughtUpSeconds = endedAt === 0 || before.some((id) => !completedAt.has(id)) ? null : Math.max(0, ...before.map((id) => (completedAt.get(id)! - endedAt) / 1000));
      const delays = [...acceptedAt].filter(([id]) => completedAt.has(id)).map(([id, at]) => (completedAt.get(id)! - at) / 1000);
      const topics = checkTopics(await readAllTopics(kafka, prefix));
      const acceptedNotCommitted = [...liveAccepted.keys()].filter((ext) => !committed.has(ext)).length;
      const dupCalls = topics.duplicatedFacts.filter((d) => d.of.endsWith(suffix) || all.includes(d.of)).length;
      const row: FaultRow = {
        fault: name,
        describe: fault.describe,
        offered: loadResult.offered,
        accepted: loadResult.accepted.size,
        committed: committed.size,
        lost: all.length - complete.size + acceptedNotCommitted,
        duplicated: dupCalls + Math.max(0, await countedTwice(db)),
        requestsFailed: loadResult.requestsFailed,
        requests: loadResult.requests,
        within2sPct: Math.round((1000 * loadResult.within2s) / loadResult.offered) / 10,
        caughtUpSeconds,
        maxDelaySeconds: delays.length ? Math.max(...delays) : null,
        drainedSeconds: drainedAt === null ? null : (drainedAt - loadEnd) / 1000,
        orderViolations: topics.orderViolations.length - orderViolationsBefore,
        deadLetters: topics.deadLetters - deadLettersBefore,
        notes: `${notes}; ${loadResult.failed.length} calls not accepted${loadResult.failed.length ? ` (${[...new Set(loadResult.failed.map((f) => f.status))].join(', ')})` : ''}; topics re-read: ${topics.messages} messages, ${topics.redelivered} redeliveries, ${topics.unreadable} unreadable`,
      };
      deadLettersBefore = topics.deadLetters;
      orderViolationsBefore = topics.orderViolations.length;
      rows.push(row);
      log(JSON.stringify(row));
      if (opts.out) writeResult(opts.out, rows, opts); // after every run: a suite cut short keeps what it measured
      if (topics.orderViolations.length) log(`order violations: ${JSON.stringify(topics.orderViolations.slice(0, 5))}`);
    }
  } finally {
    await stack.stop().catch((e) => log(`stopping the stack: ${(e as Error).message}`));
    await stack.dropDatabases().catch(() => undefined);
    if (process.env.CHAOS_KEEP_CLUSTER !== '1') {
      await cluster.stop().catch((e) => log(`stopping the cluster: ${(e as Error).message}`));
      await pg.stop();
    }
    if (savedPg === undefined) delete process.env.POSTGRES_URL;
    else process.env.POSTGRES_URL = savedPg;
  }
  const table = formatTable(rows, opts);
  process.stdout.write(`${table}\n`);
  if (opts.out) writeResult(opts.out, rows, opts);
  return rows;
}

function writeResult(out: string, rows: FaultRow[], opts: SuiteOptions): void {
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${formatTable(rows, opts)}\n`);
  writeFileSync(out.replace(/\.md$/, '') + '.json', JSON.stringify({ options: { ...opts, log: undefined }, rows }, null, 2));
}

/** The result table (Markdown). */
export function formatTable(rows: FaultRow[], opts: Pick<SuiteOptions, 'count' | 'rate' | 'instances'>): string {
  const head = `Fault suite ${new Date().toISOString()}: ${opts.count} real calls per run at ${opts.rate} calls/s, 3 brokers (RF 3, min.insync 2), ${opts.instances ?? 2} instances of every service, private PostgreSQL 15\n\n`;
  const cols = '| fault | offered | accepted | committed | lost | duplicated | requests failed / sent | 201 ≤ 2 s | caught up after fault (s) | longest call delay (s) | drained after load (s) | order violations | dead letters | notes |';
  const sep = '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|';
  const fmt = (n: number | null) => (n === null ? 'not within the wait' : n.toFixed(1));
  const lines = rows.map((r) => `| ${r.fault} | ${r.offered} | ${r.accepted} | ${r.committed} | ${r.lost} | ${r.duplicated} | ${r.requestsFailed} / ${r.requests} | ${r.within2sPct} % | ${fmt(r.caughtUpSeconds)} | ${fmt(r.maxDelaySeconds)} | ${fmt(r.drainedSeconds)} | ${r.orderViolations} | ${r.deadLetters} | ${r.notes} |`);
  return head + [cols, sep, ...lines].join('\n');
}

export const DEFAULT_RESULT = (stamp = new Date().toISOString().replace(/[:.]/g, '-')) => join(ROOT, 'tools', 'chaos', 'results', `fault-suite-${stamp}.md`);
