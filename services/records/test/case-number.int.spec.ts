import { uniqueId } from '@cad110/testkit';
import { dropDatabase } from '@cad110/db';
import { createRuntime } from '@cad110/runtime';
import type { RecordsRuntime } from '../src/server';
import type { Case } from '../src/generated/prisma/client';
import { onEvent } from '../src/cases/on-event';
import { formatCaseNumber, nextCaseNumber, nextCaseNumbers } from '../src/cases/case-number';
import { envelope } from './helpers';
import { randomUUID } from 'node:crypto';

jest.setTimeout(180_000);
process.env.LOG_LEVEL ??= 'warn';
const TZ = 'Asia/Shanghai';

function incidentOpened(at: string) {
  const callId = randomUUID();
  const incidentId = randomUUID();
  return envelope('IncidentOpened', 'dispatch', `incident-${incidentId}`, 1, at, { incidentId, callId, openedAt: at, answeredAt: at, kind: 'report', category: 'criminal', subtype: 'theft', priority: 3, flags: [], location: { district: 'east' } });
}

/** Gapless, unique case numbers per local year on the real PostgreSQL, under concurrent openings. */
describe('case numbers', () => {
  let rt: RecordsRuntime;

  beforeAll(async () => {
    process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
    process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
    process.env.DB_POOL_SIZE = '12';
    rt = await createRuntime({ name: 'records', serviceDir: `${__dirname}/..` });
  });

  afterAll(async () => {
    await rt.producer.disconnect();
    await rt.pool.end();
    await dropDatabase(rt.databaseUrl);
  });

  it('formats the configured prefix, the year and six digits', () => {
    expect(formatCaseNumber(2026, 123)).toBe('JY-2026-000123');
    expect(formatCaseNumber(2027, 1, 'JH')).toBe('JH-2027-000001');
  });

  it('gives 240 openings, 8 at a time, the numbers 1..216 with no gap and no duplicate, while 24 rolled-back openings give theirs back', async () => {
    const N = 240;
    // 8 workers keep 8 openings in flight at any moment (below the pool size, so no transaction
    // waits for a connection); they all contend for the same counter row
    const results: PromiseSettledResult<void>[] = [];
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < N; i = next++) {
        results.push(
          ...(await Promise.allSettled([
            rt.db.transaction(async (tx) => {
              await onEvent(incidentOpened(`2027-06-01T0${i % 10}:00:00.000Z`), tx, rt.registry, TZ);
              if (i % 10 === 7) throw new Error('simulated failure after numbering');
            }),
          ])),
        );
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(24);
    const rows = await rt.db.select<{ caseNumber: string }>("SELECT case_number FROM cases WHERE case_number LIKE 'JY-2027-%'");
    const seqs = rows.map((r) => Number(r.caseNumber.slice(-6))).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: N - 24 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.caseNumber)).size).toBe(N - 24);
    const [counter] = await rt.db.query<{ last: number }>('SELECT last FROM case_number_counters WHERE year = 2027');
    expect(counter!.last).toBe(N - 24);
  });

  it('counts years in the bureau zone: 16:30 UTC on 31 December is already next year in Shanghai', async () => {
    const first = await rt.db.transaction((tx) => nextCaseNumber(tx, '2028-12-31T15:59:59.000Z', TZ));
    const next = await rt.db.transaction((tx) => nextCaseNumber(tx, '2028-12-31T16:30:00.000Z', TZ));
    const again = await rt.db.transaction((tx) => nextCaseNumber(tx, '2029-01-01T03:00:00.000Z', TZ));
    expect([first, next, again]).toEqual(['JY-2028-000001', 'JY-2029-000001', 'JY-2029-000002']);
    // the same instant in Chicago is still 2028
    expect(await rt.db.transaction((tx) => nextCaseNumber(tx, '2028-12-31T16:30:00.000Z', 'America/Chicago'))).toBe('JY-2028-000002');
  });

  it('takes a block of numbers in one statement, in order; a rollback gives the whole block back', async () => {
    expect(await rt.db.transaction((tx) => nextCaseNumbers(tx, 2031, 0))).toEqual([]);
    expect(await rt.db.transaction((tx) => nextCaseNumbers(tx, 2031, 3))).toEqual(['JY-2031-000001', 'JY-2031-000002', 'JY-2031-000003']);
    await expect(
      rt.db.transaction(async (tx) => {
        expect(await nextCaseNumbers(tx, 2031, 2)).toEqual(['JY-2031-000004', 'JY-2031-000005']);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await rt.db.transaction((tx) => nextCaseNumbers(tx, 2031, 2))).toEqual(['JY-2031-000004', 'JY-2031-000005']);
    expect(await rt.db.transaction((tx) => nextCaseNumber(tx, '2031-06-01T00:00:00.000Z', TZ))).toBe('JY-2031-000006');
  });

  it('opens one case per incident however often IncidentOpened is delivered', async () => {
    const e = incidentOpened('2030-02-02T02:00:00.000Z');
    await Promise.allSettled([0, 1, 2].map(() => rt.db.transaction((tx) => onEvent(e, tx, rt.registry, TZ))));
    await rt.db.transaction((tx) => onEvent(e, tx, rt.registry, TZ));
    const rows = await rt.db.select<Case>('SELECT * FROM cases WHERE incident_id = $1::uuid', [(e.data as { incidentId: string }).incidentId]);
    expect(rows.map((r) => r.caseNumber)).toEqual(['JY-2030-000001']);
    expect((await rt.db.query<{ last: number }>('SELECT last FROM case_number_counters WHERE year = 2030'))[0]!.last).toBe(1);
  });
});
