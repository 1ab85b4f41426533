/**
 * `npm run bench [-- --quick] [--count 20000] [--rates 50,200,500] [--seconds 20]`
 *
 * On the local stack, in one run: (1) the raw floor — kafkajs produce→consume of as many
 * messages, of the same size, as the pipeline sends per call, and `pg` inserts of event-sized
 * rows one transaction per row and batched; (2) pipeline throughput — real calls replayed into
 * intake as fast as it accepts them, until dispatch, records and statistics have handled all;
 * (3) latency under offered load — p50/p95/p99 of accepted → recommendation / case opened /
 * counted from the stored event times. Prints a table (progress bars on stderr while it runs)
 * and writes bench/results/<timestamp>.json and .md. `--quick` (< 2 min) is CI's smoke test.
 * `--profile` runs the services with `--cpu-prof` (profiles in bench/results/profile-<timestamp>/,
 * summarised by `npx tsx bench/src/profile-summary.ts <dir>`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { MultiBar, Presets } from 'cli-progress';
import { ensureKafka, Stack, ROOT } from '@cad110/devstack';
import { uniqueId } from '@cad110/testkit';
import { kafkaFloor, pgFloor } from './floor';
import { latencyAt, rowsPerCall, throughput } from './pipeline';
import { benchCalls } from './sources';
import { round } from './stats';

/** Messages the pipeline sends per replayed call: 4 call events, 2 dispatch events, 1 case event. */
const MESSAGES_PER_CALL = 7;

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

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function runBench(args: string[]): Promise<number> {
  const quick = args.includes('--quick');
  const count = Number(flag(args, 'count') ?? (quick ? 1500 : 20000));
  const rates = (flag(args, 'rates') ?? (quick ? '50,200' : '50,200,500')).split(',').map(Number);
  const seconds = Number(flag(args, 'seconds') ?? (quick ? 5 : 20));
  const started = new Date();
  const kafka = ensureKafka();
  const bars = new Progress();
  const result: Record<string, unknown> = {
    startedAt: started.toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version },
    options: { quick, count, rates, secondsPerRate: seconds },
  };
  let stack: Stack | undefined;
  try {
    // 1. floor
    const floorMessages = count * MESSAGES_PER_CALL;
    const kb = bars.bar(floorMessages, 0, { stage: 'floor: kafka round trip   ' });
    const kf = await kafkaFloor(kafka.brokers.split(','), floorMessages, 900, (n) => kb.update(Math.min(n, floorMessages)));
    kb.update(floorMessages);
    const pb = bars.bar(1, 0, { stage: 'floor: postgres inserts    ' });
    const pf = await pgFloor(quick ? 5000 : 20000, 900);
    pb.update(1);
    result.floor = { kafka: kf, postgres: pf };

    // 2. pipeline throughput on a fresh stack
    const profileDir = join(ROOT, 'bench', 'results', `profile-${started.toISOString().replace(/[:.]/g, '-')}`);
    const env: Record<string, string> = { LOG_LEVEL: 'warn' };
    const nodeArgs = args.includes('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    stack = new Stack({ brokers: kafka.brokers, topicPrefix: `${uniqueId('bench')}.`, dbPrefix: uniqueId('cad110bench_'), fresh: true, env, nodeArgs });
    const sb = bars.bar(1, 0, { stage: 'starting the four services ' });
    await stack.start();
    sb.update(1);
    const token = stack.token('call_taker', 'bench');
    const calls = await benchCalls(count, 't');
    const ab = bars.bar(count, 0, { stage: 'pipeline: accepted         ' });
    const db = bars.bar(count, 0, { stage: 'pipeline: fully processed  ' });
    const tp = await throughput(stack, calls, token, 32, (stage, n) => (stage === 'accepted' ? ab : db).update(n));
    const { times: _t, ...tpResult } = tp;
    const perCallRows = await rowsPerCall(stack, tp.accepted);
    result.throughput = { ...tpResult, rowsWrittenPerCall: round(perCallRows, 1) };

    // 3. latency under offered load
    const latency = [];
    for (const rate of rates) {
      const n = Math.max(1, Math.round(rate * seconds));
      const lb = bars.bar(1, 0, { stage: `latency at ${String(rate).padStart(4)} calls/s     ` });
      latency.push(await latencyAt(stack, await benchCalls(n, `r${rate}`), rate, token));
      lb.update(1);
    }
    result.latency = latency;
    bars.stop();

    const floorCalls = Math.min(kf.messagesPerSecond / MESSAGES_PER_CALL, pf.batched.rowsPerSecond / perCallRows);
    result.floorCallsPerSecond = round(floorCalls, 1);
    result.pipelineToFloor = round(tp.fullyProcessedPerSecond / floorCalls, 3);
    result.finishedAt = new Date().toISOString();

    const lines = report(result, kf, pf, tp, perCallRows, latency, floorCalls);
    process.stdout.write(`${lines.join('\n')}\n`);
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = started.toISOString().replace(/[:.]/g, '-');
    writeFileSync(join(dir, `${stamp}.json`), JSON.stringify(result, null, 2));
    writeFileSync(join(dir, `${stamp}.md`), `# cad110 benchmark ${started.toISOString()}\n\n\`\`\`\n${lines.join('\n')}\n\`\`\`\n`);
    process.stderr.write(`[bench] wrote bench/results/${stamp}.json and .md\n`);
    return tp.completed ? 0 : 1;
  } finally {
    bars.stop();
    await stack?.stop();
    await stack?.dropDatabases();
    kafka.stop();
  }
}

function report(
  r: Record<string, unknown>,
  kf: Awaited<ReturnType<typeof kafkaFloor>>,
  pf: Awaited<ReturnType<typeof pgFloor>>,
  tp: Awaited<ReturnType<typeof throughput>>,
  perCallRows: number,
  latency: Awaited<ReturnType<typeof latencyAt>>[],
  floorCalls: number,
): string[] {
  const m = r.machine as { cpus: number; cpuModel: string; memoryGiB: number; node: string };
  const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const out = [
    `cad110 benchmark — ${m.cpus} CPU (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}`,
    '',
    'raw floor (same machine, same run)',
    `  kafka produce→consume   ${f(kf.messagesPerSecond)} msg/s  (${kf.messages} × ${kf.bytesPerMessage} B)  = ${f(kf.messagesPerSecond / MESSAGES_PER_CALL)} calls/s at ${MESSAGES_PER_CALL} msg/call`,
    `  postgres 1 tx per row   ${f(pf.oneTxPerRow.rowsPerSecond)} rows/s (${pf.oneTxPerRow.connections} connections)`,
    `  postgres batched        ${f(pf.batched.rowsPerSecond)} rows/s (${pf.batched.batchSize} rows per insert)  = ${f(pf.batched.rowsPerSecond / perCallRows)} calls/s at ${f(perCallRows, 1)} rows/call`,
    `  floor                   ${f(floorCalls)} calls/s (the lower of the two)`,
    '',
    `pipeline throughput (${tp.calls} real calls, as fast as intake accepts)`,
    `  accepted                ${f(tp.acceptedPerSecond, 1)} calls/s  (failed ${tp.failed})`,
    `  fully processed         ${f(tp.fullyProcessedPerSecond, 1)} calls/s  (accepted → recommendation → case → counted)${tp.completed ? '' : '  INCOMPLETE'}`,
    `  pipeline / floor        ${f(tp.fullyProcessedPerSecond / floorCalls, 3)}`,
    '',
    'latency under offered load (ms, from stored event times)',
    '  offered  achieved   → recommendation p50/p95/p99   → case opened p50/p95/p99   → counted p50/p95/p99',
    ...latency.map(
      (l) =>
        `  ${String(l.offeredPerSecond).padStart(7)}  ${f(l.achievedPerSecond, 1).padStart(8)}   ${[l.toRecommendation.p50, l.toRecommendation.p95, l.toRecommendation.p99].map((x) => f(x)).join('/').padEnd(28)}  ${[l.toCaseOpened.p50, l.toCaseOpened.p95, l.toCaseOpened.p99].map((x) => f(x)).join('/').padEnd(26)}  ${[l.toCounted.p50, l.toCounted.p95, l.toCounted.p99].map((x) => f(x)).join('/')}`,
    ),
  ];
  return out;
}
