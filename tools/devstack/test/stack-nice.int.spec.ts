/**
 * The devstack's process layout on shared cores: records and statistics (off the call →
 * recommendation path) run at the niceness `backgroundNice` gives, every thread of them, while
 * intake and dispatch keep the niceness of the process running the stack (`nice` adds to it, so
 * the figures are read relative to this test's own). Real service processes on the real broker and PostgreSQL; the
 * niceness read from Linux's /proc/<pid>/task/<tid>/stat (field 19).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId } from '@cad110/testkit';
import { backgroundNice, Stack } from '../src';

jest.setTimeout(180_000);

/** niceness of each thread of process `pid` */
function threadNiceness(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // fields after the command name in parentheses start at field 3 (state); nice is field 19
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19 - 3]);
  });
}

describe('devstack: records and statistics yield the cores to intake and dispatch', () => {
  const stack = new Stack({ brokers: kafkaBrokers().join(','), topicPrefix: `${uniqueId('nice')}.`, dbPrefix: uniqueId('cad110nice_'), backgroundNice: 3, env: { LOG_LEVEL: 'warn' } });

  afterAll(async () => {
    await stack.stop();
    await stack.dropDatabases();
  });

  it('starts records and statistics 3 nicer in every thread and intake unchanged; all are the node processes answering /readyz', async () => {
    const own = getPriority();
    const intake = await stack.startService('intake', 90_000);
    const [records, statistics] = await Promise.all([stack.startService('records', 90_000), stack.startService('statistics', 90_000)]);
    for (const svc of [records, statistics, intake]) {
      const body = (await (await fetch(`${svc.url}/readyz`)).json()) as { pid: number; service: string };
      expect(body).toMatchObject({ pid: svc.process.pid, service: svc.name });
    }
    for (const svc of [records, statistics]) {
      const threads = threadNiceness(svc.process.pid!);
      expect(threads.length).toBeGreaterThan(4); // V8's and libuv's threads, not only the main one
      expect(new Set(threads)).toEqual(new Set([Math.min(19, own + 3)]));
    }
    expect(new Set(threadNiceness(intake.process.pid!))).toEqual(new Set([own]));
  });

  it('reads CAD110_BACKGROUND_NICE when no value is given, and refuses one outside 0–19', () => {
    const saved = process.env.CAD110_BACKGROUND_NICE;
    try {
      process.env.CAD110_BACKGROUND_NICE = '5';
      expect(backgroundNice(undefined, 3)).toBe(5);
      expect(backgroundNice(2, 3)).toBe(2);
      delete process.env.CAD110_BACKGROUND_NICE;
      expect(backgroundNice(undefined, 3)).toBe(3);
      expect(backgroundNice()).toBe(0);
      process.env.CAD110_BACKGROUND_NICE = '20';
      expect(() => backgroundNice()).toThrow(/integer 0–19, got 20/);
    } finally {
      if (saved === undefined) delete process.env.CAD110_BACKGROUND_NICE;
      else process.env.CAD110_BACKGROUND_NICE = saved;
    }
  });
});
