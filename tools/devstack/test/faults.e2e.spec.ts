/**
 * The CI-sized part of the fault suite (`npm run chaos` runs the whole one): the 3-broker KRaft
 * cluster (infra/kafka/kafka-cluster.sh), a private PostgreSQL, two instances of every service,
 * a few hundred real Minneapolis calls replayed with Idempotency-Key and retries; one run with
 * kill -9 of the leader broker of calls partition 0, one with kill -9 of an intake instance. After
 * each: every accepted or committed call has exactly one incident, case and count, no fact twice
 * on any topic (re-read from offset 0), per-stream order held, lag 0, outboxes empty.
 */
import { join } from 'node:path';
import { runSuite, STATE_DIR } from '../src';

jest.setTimeout(1_200_000);

describe('fault suite, CI size: 3 brokers, 2 instances each', () => {
  it('loses and duplicates nothing through kill -9 of the leader broker and of an intake instance', async () => {
    const rows = await runSuite({
      count: Number(process.env.CHAOS_CI_COUNT ?? 300),
      rate: 20,
      faults: ['leader-kill', 'kill:intake'],
      instances: 2,
      drainSeconds: 300,
      out: join(STATE_DIR, 'chaos-ci', 'fault-suite.md'),
      log: (l) => process.stderr.write(`[chaos] ${l}\n`),
    });
    expect(rows.map((r) => r.fault)).toEqual(['leader-kill', 'kill:intake']);
    for (const r of rows) {
      expect({ fault: r.fault, lost: r.lost, duplicated: r.duplicated, orderViolations: r.orderViolations, deadLetters: r.deadLetters }).toEqual({ fault: r.fault, lost: 0, duplicated: 0, orderViolations: 0, deadLetters: 0 });
      expect(r.accepted).toBe(r.offered);
      expect(r.committed).toBe(r.accepted);
      // the goal is 30 s; a loaded 2-core CI machine gets the bound
      expect(r.caughtUpSeconds).not.toBeNull();
      expect(r.caughtUpSeconds!).toBeLessThanOrEqual(60);
      expect(r.drainedSeconds).not.toBeNull();
    }
  });
});
