/**
 * The summary counters under concurrent transactions (real PostgreSQL, READ COMMITTED): the
 * live consumer applies three partitions at once, so many transactions add to and subtract from
 * the same summary row. No change may be lost, and a row whose count reaches 0 must go.
 */
import { join } from 'node:path';
import { Pool } from 'pg';
import { tempDatabase } from '@cad110/testkit';
import { applySummaryChanges, bumpSummary, COUNTS_HOUR_TOTAL, pgSql, prismaSql } from '../src/projections/store';
import { pgTransaction } from '@cad110/eventstore';

describe('summary counters under concurrency', () => {
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let pool: Pool;

  beforeAll(async () => {
    db = await tempDatabase(join(__dirname, '..', 'prisma', 'migrations'));
    pool = new Pool({ connectionString: db.url, max: 12 });
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const count = async (day: string, hour: number) =>
    (await pool.query<{ calls: number }>('SELECT calls FROM call_counts_hour_total WHERE local_day = $1 AND local_hour = $2', [day, hour])).rows[0]?.calls ?? null;

  it('loses no subtraction and deletes the row at 0 when 60 transactions move one count each to other rows', async () => {
    await pool.query(`INSERT INTO call_counts_hour_total VALUES ('2021-01-01', 0, 60)`);
    const tx = pgTransaction(pool);
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        tx((t) =>
          applySummaryChanges(prismaSql(t), [
            { spec: COUNTS_HOUR_TOTAL, key: { localDay: '2021-01-01', localHour: 0 }, values: { calls: 1 }, sign: -1 },
            { spec: COUNTS_HOUR_TOTAL, key: { localDay: '2021-01-02', localHour: i % 3 }, values: { calls: 1 }, sign: 1 },
          ]),
        ),
      ),
    );
    expect(await count('2021-01-01', 0)).toBeNull();
    expect([await count('2021-01-02', 0), await count('2021-01-02', 1), await count('2021-01-02', 2)]).toEqual([20, 20, 20]);
  });

  it('ends at the right count when additions and subtractions of one row interleave', async () => {
    await pool.query(`INSERT INTO call_counts_hour_total VALUES ('2021-01-03', 5, 30)`);
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          await bumpSummary(pgSql(c), COUNTS_HOUR_TOTAL, { localDay: '2021-01-03', localHour: 5 }, { calls: 1 }, i % 2 ? 1 : -1);
          await c.query('COMMIT');
        } finally {
          c.release();
        }
      }),
    );
    expect(await count('2021-01-03', 5)).toBe(30);
  });
});
