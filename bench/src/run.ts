/**
 * `npm run bench [-- --quick] [--count 20000] [--rates 20,50,200,500] [--seconds 20] [--sampling 1,0.1] [--background-nice 3] [--profile] [--no-span-export]`
 *
 * On the local stack, in one run: (1) the raw floor — kafkajs produce→consume of 7 messages of
 * 900 B per call, and `pg` inserts of event-sized rows one transaction per row and batched, at a
 * fixed 14 rows per call (each of a call's 7 events stored once and published once through an
 * outbox row), so the pipeline writing more rows never improves its ratio; (2) for each trace
 * sampling ratio of `--sampling` (default 1 = 100 %, and 0.1 = the README's production
 * recommendation, parent-based), a fresh stack exporting its spans to an in-process OTLP
 * receiver: pipeline throughput — real calls replayed into intake as fast as it accepts them,
 * until dispatch, records and statistics have handled all — with the costs per call beside it
 * (CPU ms of each process, PostgreSQL transactions and rows, spans; see costs.ts); (3) latency
 * under offered load — p50/p95/p99 of accepted → recommendation / case opened / counted from the
 * stored event times. Prints a table (progress bars on stderr while it runs) and writes
 * bench/results/<timestamp>.json and .md. `--quick` (< 3 min) is CI's smoke test.
 * `--profile` runs the services with `--cpu-prof` (profiles in bench/results/profile-<timestamp>/,
 * summarised by `npx tsx bench/src/profile-summary.ts <dir>`).
 * `--no-span-export` gives the services no OTLP endpoint: sampled spans are made and dropped in
 * the process, as the benchmark of before 2a1fc1f ran them (for before/after comparisons); the
 * span counts then read 0.
 * `--background-nice N` (default `CAD110_BACKGROUND_NICE`, else 3) runs records and statistics
 * at that niceness, as the demo does (tools/devstack stack.ts `backgroundNice`; docker-compose.yml
 * gives them half the cpu_shares); 0 runs every process at the same priority (the benchmark
 * before this option; bench/results/issue17-session9.md compares the two).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { MultiBar, Presets } from 'cli-progress';
import { backgroundNice as niceOf, ensureKafka, Stack, ROOT, TraceTap } from '@cad110/devstack';
import { uniqueId } from '@cad110/testkit';
import { CostMeter, type PhaseCosts } from './costs';
import { kafkaFloor, pgFloor } from './floor';
import { latencyAt, throughput, type LatencyResult, type ThroughputResult } from './pipeline';
import { benchCalls } from './sources';
import { round } from './stats';

/** Messages the pipeline sends per replayed call: 4 call events, 2 dispatch events, 1 case event. */
const MESSAGES_PER_CALL = 7;
/** The floor's PostgreSQL rows per call: each of the 7 events stored once and published once (outbox). */
const FLOOR_ROWS_PER_CALL = 14;
/** The trace sampling ratio the README recommends for production (parent-based trace-id ratio). */
export const PRODUCTION_SAMPLING = 0.1;

/** Progress bars on a terminal; one plain line per finished stage otherwise (CI logs). */
class Progress {
  private readonly multi = process.stderr.isTTY
    ? new MultiBar({ format: '{stage} |{bar}| {value}/{total}', hideCursor: true, clearOnComplete: false, stream: process.stderr }, Presets.shades_classic)
    : undefined;

  bar(total: number, start: number, payload: { stage: string }) {
    const b = this.multi?.create(total, start, payload);
    let last = start;
    return {
      update: (n: number) => {
        b?.update(n);
        if (!this.multi && n >= total && last < total) process.stderr.write(`[bench] ${payload.stage.trim()}: done\n`);
        last = n;
      },
    };
  }

  stop() {
    this.multi?.stop();
  }
}

/**
 * Each outbox service's `cad110_outbox_idle_poll_rows_total` (its /metrics): rows that waited for
 * the relay's idle poll because no nudge came for them. NaN when a service did not answer.
 */
async function outboxIdlePollRows(stack: Stack): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const svc of ['intake', 'dispatch', 'records'] as const) {
    try {
      const text = await (await fetch(`${stack.url(svc)}/metrics`)).text();
      const m = /^cad110_outbox_idle_poll_rows_total(?:\{[^}]*\})? (\S+)$/m.exec(text);
      out[svc] = m ? Number(m[1]) : NaN;
    } catch {
      out[svc] = NaN;
    }
  }
  return out;
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** One sampling ratio's run: throughput with its costs, latency per offered rate with its costs. */
interface SamplingRun {
  sampling: number;
  /** whether the services exported their spans to the bench's receiver (false with --no-span-export) */
  spanExport: boolean;
  /** CPU ms and transactions per SECOND of the idle stack */
  idle: PhaseCosts;
  /** per service with an outbox: `cad110_outbox_idle_poll_rows_total` at the end of the run (NaN: not read) */
  idlePollRows: Record<string, number>;
  throughput: Omit<ThroughputResult, 'times'>;
  costs: PhaseCosts;
  latency: (LatencyResult & { costs: PhaseCosts })[];
}

export async function runBench(args: string[]): Promise<number> {
  const quick = args.includes('--quick');
  const count = Number(flag(args, 'count') ?? (quick ? 1500 : 20000));
  const rates = (flag(args, 'rates') ?? (quick ? '20,200' : '20,50,200,500')).split(',').map(Number);
  const seconds = Number(flag(args, 'seconds') ?? (quick ? 5 : 20));
  const samplings = (flag(args, 'sampling') ?? `1,${PRODUCTION_SAMPLING}`).split(',').map(Number);
  const niceFlag = flag(args, 'background-nice');
  let backgroundNice: number;
  try {
    backgroundNice = niceOf(niceFlag !== undefined ? Number(niceFlag) : undefined, 3);
  } catch {
    process.stderr.write('[bench] --background-nice (or CAD110_BACKGROUND_NICE) must be an integer 0–19\n');
    return 2;
  }
  if ([count, seconds, ...rates, ...samplings].some((x) => !Number.isFinite(x) || x < 0) || samplings.some((s) => s > 1)) {
    process.stderr.write('[bench] --count, --rates, --seconds must be positive numbers and --sampling ratios in 0..1\n');
    return 2;
  }
  const started = new Date();
  const kafka = ensureKafka();
  const bars = new Progress();
  const result: Record<string, unknown> = {
    startedAt: started.toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, loadAverage1mAtStart: round(loadavg()[0]!, 2) },
    options: { quick, count, rates, secondsPerRate: seconds, sampling: samplings, backgroundNice },
  };
  let stack: Stack | undefined;
  let tap: TraceTap | undefined;
  let completed = true;
  try {
    // 1. floor
    const floorMessages = count * MESSAGES_PER_CALL;
    const kb = bars.bar(floorMessages, 0, { stage: 'floor: kafka round trip   ' });
    const kf = await kafkaFloor(kafka.brokers.split(','), floorMessages, 900, (n) => kb.update(Math.min(n, floorMessages)));
    kb.update(floorMessages);
    const pb = bars.bar(1, 0, { stage: 'floor: postgres inserts    ' });
    const pf = await pgFloor(quick ? 5000 : 20000, 900);
    pb.update(1);
    const floorCalls = Math.min(kf.messagesPerSecond / MESSAGES_PER_CALL, pf.batched.rowsPerSecond / FLOOR_ROWS_PER_CALL);
    result.floor = { kafka: kf, postgres: pf, rowsPerCall: FLOOR_ROWS_PER_CALL, messagesPerCall: MESSAGES_PER_CALL, callsPerSecond: round(floorCalls, 1) };

    const runs: SamplingRun[] = [];
    for (const sampling of samplings) {
      // 2. pipeline throughput on a fresh stack exporting every sampled span to a local receiver
      tap = new TraceTap(undefined, { keep: false });
      const otlpEndpoint = args.includes('--no-span-export') ? undefined : await tap.start();
      const label = `${round(sampling * 100, 0)} %`;
      const profileDir = join(ROOT, 'bench', 'results', `profile-${started.toISOString().replace(/[:.]/g, '-')}-sampling-${sampling}`);
      const env: Record<string, string> = { LOG_LEVEL: 'warn', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: String(sampling) };
      const nodeArgs = args.includes('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
      stack = new Stack({ brokers: kafka.brokers, topicPrefix: `${uniqueId('bench')}.`, dbPrefix: uniqueId('cad110bench_'), fresh: true, env, nodeArgs, otlpEndpoint, backgroundNice });
      const sb = bars.bar(1, 0, { stage: `[${label}] starting services `.padEnd(27) });
      await stack.start();
      sb.update(1);
      // the stack's fixed cost: 10 s without calls (relay polls, consumer fetches, broker)
      const im = await CostMeter.start(stack, tap);
      await new Promise((r) => setTimeout(r, 10_000));
      const idle = await im.finishPerSecond();
      const token = stack.token('call_taker', 'bench');
      const calls = await benchCalls(count, `t${sampling}`);
      const ab = bars.bar(count, 0, { stage: `[${label}] accepted`.padEnd(27) });
      const db = bars.bar(count, 0, { stage: `[${label}] fully processed`.padEnd(27) });
      const meter = await CostMeter.start(stack, tap);
      const tp = await throughput(stack, calls, token, 32, (stage, n) => (stage === 'accepted' ? ab : db).update(n));
      const costs = await meter.finish(tp.accepted);
      completed &&= tp.completed;
      const { times: _t, ...tpResult } = tp;

      // 3. latency under offered load
      const latency: SamplingRun['latency'] = [];
      for (const rate of rates) {
        const n = Math.max(1, Math.round(rate * seconds));
        const lb = bars.bar(1, 0, { stage: `[${label}] latency at ${rate}/s`.padEnd(27) });
        const m = await CostMeter.start(stack, tap);
        const l = await latencyAt(stack, await benchCalls(n, `r${rate}s${sampling}`), rate, token);
        latency.push({ ...l, costs: await m.finish(l.calls) });
        lb.update(1);
      }
      const idlePollRows = await outboxIdlePollRows(stack);
      runs.push({ sampling, spanExport: otlpEndpoint !== undefined, idle, throughput: tpResult, costs, latency, idlePollRows });
      await stack.stop();
      await stack.dropDatabases();
      stack = undefined;
      await tap.stop();
      tap = undefined;
    }
    bars.stop();
    result.runs = runs;
    result.pipelineToFloor = runs.map((r) => ({ sampling: r.sampling, ratio: round(r.throughput.fullyProcessedPerSecond / floorCalls, 3) }));
    result.machine = { ...(result.machine as object), loadAverage1mAtEnd: round(loadavg()[0]!, 2) };
    result.finishedAt = new Date().toISOString();

    const lines = report(result, kf, pf, floorCalls, runs);
    process.stdout.write(`${lines.join('\n')}\n`);
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = started.toISOString().replace(/[:.]/g, '-');
    writeFileSync(join(dir, `${stamp}.json`), JSON.stringify(result, null, 2));
    writeFileSync(join(dir, `${stamp}.md`), `# cad110 benchmark ${started.toISOString()}\n\n\`${['npm run bench --', ...args].join(' ')}\`\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`);
    process.stderr.write(`[bench] wrote bench/results/${stamp}.json and .md\n`);
    return completed ? 0 : 1;
  } finally {
    bars.stop();
    await stack?.stop();
    await stack?.dropDatabases();
    await tap?.stop();
    kafka.stop();
  }
}

const f = (x: number | undefined, d = 0) => (x !== undefined && Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const PROCESSES = ['intake', 'dispatch', 'records', 'statistics', 'postgres', 'kafka'] as const;

function costLines(c: PhaseCosts, indent: string): string[] {
  return [
    `${indent}CPU ms per call          ${PROCESSES.map((p) => `${p} ${f(c.cpuMsPerCall[p], 1)}`).join(', ')}; total ${f(c.cpuMsPerCall.total, 1)} (bench process ${f(c.cpuMsPerCall.bench, 1)}, not in total)`,
    `${indent}PostgreSQL per call      ${f(c.transactionsPerCall.total, 1)} transactions, ${f(c.rowsPerCall.total, 1)} rows written (${f(c.rowsInsertedPerCall, 1)} inserted); ${['intake', 'dispatch', 'records', 'statistics'].map((s) => `${s} ${f(c.transactionsPerCall[s], 1)} tx / ${f(c.rowsPerCall[s], 1)} rows`).join(', ')}`,
    `${indent}spans per call           ${f(c.spansPerCall.total, 1)} (${f(c.pgStatementsTracedPerCall.total, 1)} of them pg statements); ${Object.keys(c.spansPerCall)
      .filter((k) => k !== 'total')
      .sort()
      .map((k) => `${k} ${f(c.spansPerCall[k], 1)}`)
      .join(', ')}`,
  ];
}

function report(r: Record<string, unknown>, kf: Awaited<ReturnType<typeof kafkaFloor>>, pf: Awaited<ReturnType<typeof pgFloor>>, floorCalls: number, runs: SamplingRun[]): string[] {
  const m = r.machine as { cpus: number; cpuModel: string; memoryGiB: number; node: string; loadAverage1mAtStart: number; loadAverage1mAtEnd: number };
  const nice = (r.options as { backgroundNice: number }).backgroundNice;
  const out = [
    `cad110 benchmark — ${m.cpus} CPU (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}; load average (1 min) ${m.loadAverage1mAtStart} at start, ${m.loadAverage1mAtEnd} at end`,
    `process layout: one process per service; records and statistics at nice ${nice}${nice ? ' (intake and dispatch first when the cores are short)' : ' (every process at the same priority)'}`,
    '',
    'raw floor (same machine, same run)',
    `  kafka produce→consume   ${f(kf.messagesPerSecond)} msg/s  (${kf.messages} × ${kf.bytesPerMessage} B)  = ${f(kf.messagesPerSecond / MESSAGES_PER_CALL)} calls/s at ${MESSAGES_PER_CALL} msg/call`,
    `  postgres 1 tx per row   ${f(pf.oneTxPerRow.rowsPerSecond)} rows/s (${pf.oneTxPerRow.connections} connections)`,
    `  postgres batched        ${f(pf.batched.rowsPerSecond)} rows/s (${pf.batched.batchSize} rows per insert)  = ${f(pf.batched.rowsPerSecond / FLOOR_ROWS_PER_CALL)} calls/s at a fixed ${FLOOR_ROWS_PER_CALL} rows/call`,
    `  floor                   ${f(floorCalls)} calls/s (the lower of the two)`,
  ];
  for (const run of runs) {
    const tp = run.throughput;
    out.push(
      '',
      `trace sampling ${f(run.sampling * 100)} % (OTEL_TRACES_SAMPLER=parentbased_traceidratio, ARG ${run.sampling}${run.sampling === PRODUCTION_SAMPLING ? ', the README’s production setting' : ''}; ${run.spanExport ? 'spans exported over OTLP/HTTP to the bench' : 'spans dropped in the services (--no-span-export)'})`,
      `  idle stack, per second   CPU ms ${PROCESSES.map((p) => `${p} ${f(run.idle.cpuMsPerCall[p], 1)}`).join(', ')}; total ${f(run.idle.cpuMsPerCall.total, 1)}; ${f(run.idle.transactionsPerCall.total, 1)} PostgreSQL transactions`,
      `  pipeline throughput (${tp.calls} real calls, as fast as intake accepts)`,
      `    accepted                ${f(tp.acceptedPerSecond, 1)} calls/s  (failed ${tp.failed})`,
      `    fully processed         ${f(tp.fullyProcessedPerSecond, 1)} calls/s  (accepted → recommendation → case → counted)${tp.completed ? '' : '  INCOMPLETE'}`,
      `    pipeline / floor        ${f(tp.fullyProcessedPerSecond / floorCalls, 3)}`,
      ...costLines(run.costs, '    '),
      `  outbox rows (whole run) found only by the idle poll (nobody nudged; each waited up to OUTBOX_IDLE_INTERVAL_MS)  ${Object.entries(run.idlePollRows).map(([svc, n]) => `${svc} ${n}`).join(', ')}`,
      '  latency under offered load (ms, from stored event times)',
      '    offered  achieved   → recommendation p50/p95/p99   → case opened p50/p95/p99   → counted p50/p95/p99   CPU ms/call',
      ...run.latency.map(
        (l) =>
          `    ${String(l.offeredPerSecond).padStart(7)}  ${f(l.achievedPerSecond, 1).padStart(8)}   ${[l.toRecommendation.p50, l.toRecommendation.p95, l.toRecommendation.p99].map((x) => f(x)).join('/').padEnd(28)}  ${[l.toCaseOpened.p50, l.toCaseOpened.p95, l.toCaseOpened.p99].map((x) => f(x)).join('/').padEnd(26)}  ${[l.toCounted.p50, l.toCounted.p95, l.toCounted.p99].map((x) => f(x)).join('/').padEnd(22)}  ${f(l.costs.cpuMsPerCall.total, 1)}`,
      ),
    );
  }
  return out;
}
