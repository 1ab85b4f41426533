import { join, resolve } from 'node:path';
import { ROOT } from './paths';
import { DEFAULT_DEMO, demo } from './demo';
import { runTests } from './test-runner';

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<number> {
  const [cmd, ...args] = process.argv.slice(2);
  switch (cmd) {
    case 'demo':
      return demo({
        ...DEFAULT_DEMO,
        exit: args.includes('--exit'),
        ...(flag(args, 'file') ? { file: resolve(flag(args, 'file')!) } : {}),
        ...(flag(args, 'mapping') ? { mapping: flag(args, 'mapping')! } : {}),
        ...(flag(args, 'rate') ? { rate: Number(flag(args, 'rate')) } : {}),
        ...(flag(args, 'limit') ? { limit: Number(flag(args, 'limit')) } : {}),
      });
    case 'setup':
      // bin/run.cjs has installed dependencies and generated the Prisma clients
      return 0;
    case 'test':
      return runTests(args);
    case 'chaos': {
      // the fault suite (tools/devstack/src/chaos): heavy, bounded by --count and the fault list
      const { runSuite, DEFAULT_RESULT } = await import('./chaos/suite');
      const { FAULTS } = await import('./chaos/faults');
      const rows = await runSuite({
        count: Number(flag(args, 'count') ?? 3000),
        rate: Number(flag(args, 'rate') ?? 50),
        faults: (flag(args, 'faults') ?? Object.keys(FAULTS).join(',')).split(',').filter(Boolean),
        instances: Number(flag(args, 'instances') ?? 2),
        out: flag(args, 'out') ? resolve(flag(args, 'out')!) : DEFAULT_RESULT(),
      });
      return rows.every((r) => r.lost === 0 && r.duplicated === 0 && r.orderViolations === 0 && r.caughtUpSeconds !== null && r.caughtUpSeconds <= 60) ? 0 : 1;
    }
    case 'bench': {
      const { runBench } = (await import(join(ROOT, 'bench', 'src', 'run.ts'))) as { runBench: (a: string[]) => Promise<number> };
      return runBench(args);
    }
    default:
      process.stderr.write('usage: run.cjs demo [--exit] [--file f --mapping m --rate n --limit n] | test [jest args] | bench [--quick] | chaos [--count n --rate r --faults a,b --instances n --out file.md]\n');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
