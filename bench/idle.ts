/**
 * The stack's fixed cost: what the four services, their PostgreSQL backends and the Kafka broker
 * spend per second while no call arrives (a county's night). A bureau pays for it around the clock,
 * and at a province's 20 calls/s it is about as large as the calls' own cost (issue 17).
 *
 * `npm run bench:idle [-- --seconds 60] [--settle 20] [--repeat 3] [--sampling 0.1] [--profile]`
 *
 * Starts a fresh stack on the local broker (started when needed), waits `--settle` seconds for
 * start-up work (migrations, JIT, group joins) to end, then measures `--repeat` windows of
 * `--seconds` each (libs' CostMeter: /proc CPU of each service process, the stack's PostgreSQL
 * backends and the broker; PostgreSQL transactions from pg_stat_database). Prints one line per
 * window: CPU milliseconds per second of wall time per process and in total, and PostgreSQL
 * transactions per second. `--profile` runs the services with `--cpu-prof` (profiles in
 * bench/results/profile-idle-<timestamp>/, summarise with bench/src/profile-summary.ts).
 * Nothing is written to bench/results otherwise; the figures are the printed lines.
 */
import { join } from 'node:path';
import { ensureKafka, ROOT, Stack } from '@cad110/devstack';
import { uniqueId } from '@cad110/testkit';
import { CostMeter } from './src/costs';

function flag(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number`);
  return v;
}

async function main(args: string[]): Promise<void> {
  const seconds = flag(args, 'seconds', 60);
  const settle = flag(args, 'settle', 20);
  const repeat = flag(args, 'repeat', 3);
  const sampling = flag(args, 'sampling', 0.1);
  const kafka = ensureKafka();
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const nodeArgs = args.includes('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench', 'results', `profile-idle-${stamp}`)}`] : [];
  const stack = new Stack({
    brokers: kafka.brokers,
    topicPrefix: `${uniqueId('idle')}.`,
    dbPrefix: uniqueId('cad110bench_'),
    fresh: true,
    env: { LOG_LEVEL: 'warn', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: String(sampling) },
    nodeArgs,
  });
  try {
    await stack.start();
    console.log(`idle stack, sampling ${sampling * 100} %: settle ${settle} s, then ${repeat} windows of ${seconds} s`);
    await new Promise((r) => setTimeout(r, settle * 1000));
    for (let i = 0; i < repeat; i++) {
      const m = await CostMeter.start(stack);
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const c = await m.finishPerSecond();
      const cpu = Object.entries(c.cpuMsPerCall)
        .filter(([k]) => k !== 'total' && k !== 'bench')
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ');
      console.log(`  window ${i + 1}: CPU ms per second ${cpu}; total ${c.cpuMsPerCall.total!.toFixed(1)}; ${c.transactionsPerCall.total!.toFixed(1)} PostgreSQL transactions per second`);
    }
  } finally {
    await stack.stop();
    await stack.dropDatabases();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
