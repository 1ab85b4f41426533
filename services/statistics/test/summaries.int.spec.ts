/**
 * The summary counters under concurrent transactions (real PostgreSQL, READ COMMITTED): the
 * live consumer applies three partitions at once, so many transactions add to and subtract from
 * the same summary row. No change may be lost, and a row whose count reaches 0 must go.
 */
import { join } from 'node:path';
import { Pool } from 'pg';
import { tempDatabase } from '@cad110/testkit';
import { applySummaryChanges, bumpSummary, CASE_COUNTS_DAY, COUNTS_HOUR_TOTAL, TOPIC_MINUTE_COUNTS } from '../src/projections/store';
import { liveTransaction } from '../src/projections/live';
import { pgTransaction, sqlOf, type RunInTransaction } from '@cad110/db';

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
          applySummaryChanges(t, [
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
          await bumpSummary(sqlOf(c), COUNTS_HOUR_TOTAL, { localDay: '2021-01-03', localHour: 5 }, { calls: 1 }, i % 2 ? 1 : -1);
          await c.query('COMMIT');
        } finally {
          c.release();
        }
      }),
    );
    expect(await count('2021-01-03', 5)).toBe(30);
  });

  it('nets the changes of one transaction per row: −1 and +1 of a row cancel, a case moving to an arrest changes only the arrests, a row at 0 goes', async () => {
    await pool.query(`INSERT INTO case_counts_day VALUES ('2021-02-01', 'North', 'criminal', 2, 0, 0, 0), ('2021-02-02', 'North', 'criminal', 1, 0, 0, 0)`);
    const key = (day: string) => ({ dispositionDay: day, district: 'North', category: 'criminal' });
    const none = { cases: 1, mediated: 0, rescued: 0, caught: 0 };
    await pgTransaction(pool)((t) =>
      applySummaryChanges(t, [
        // a case's disposition replaced on the same day: one row changed twice in one transaction
        { spec: CASE_COUNTS_DAY, key: key('2021-02-01'), values: none, sign: -1 },
        { spec: CASE_COUNTS_DAY, key: key('2021-02-01'), values: { ...none, caught: 2 }, sign: 1 },
        // a count moved away and back: nothing to write
        { spec: CASE_COUNTS_DAY, key: key('2021-02-03'), values: none, sign: 1 },
        { spec: CASE_COUNTS_DAY, key: key('2021-02-03'), values: none, sign: -1 },
        // the last case of a day moves to another day
        { spec: CASE_COUNTS_DAY, key: key('2021-02-02'), values: none, sign: -1 },
        { spec: CASE_COUNTS_DAY, key: key('2021-02-04'), values: none, sign: 1 },
      ]),
    );
    const rows = (await pool.query(`SELECT disposition_day AS day, cases, caught FROM case_counts_day WHERE disposition_day LIKE '2021-02-%' ORDER BY 1`)).rows;
    expect(rows).toEqual([
      { day: '2021-02-01', cases: 2, caught: 2 },
      { day: '2021-02-04', cases: 1, caught: 0 },
    ]);
  });

  it('writes a live transaction’s summaries and unit statuses in one statement, deletes rows at 0 in a second, and 40 concurrent ones lose nothing', async () => {
    await pool.query(`INSERT INTO call_counts_hour_total VALUES ('2021-03-01', 0, 40)`);
    let statements = 0;
    const sent: string[] = [];
    const counted: RunInTransaction = (fn) =>
      pgTransaction(pool)((t) => fn({ ...t, exec: (text, params) => (statements++, sent.push(text), t.exec(text, params)), query: (text, params) => (statements++, t.query(text, params)) }));
    const live = liveTransaction(counted);
    const unit = (i: number) => ({ type: 'UnitStatusChanged', data: { unitId: `U${i % 4}`, to: 'on-scene', at: `2021-03-01T00:00:${String(i).padStart(2, '0')}.000Z` } });
    // each moves one call from the shared hour to one of three others (opposite key orders across
    // transactions), counts a minute's event and reports a unit: three tables in every statement
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        live(async (t) => {
          t.shared.add([
            { spec: COUNTS_HOUR_TOTAL, key: { localDay: '2021-03-02', localHour: i % 3 }, values: { calls: 1 }, sign: 1 },
            { spec: COUNTS_HOUR_TOTAL, key: { localDay: '2021-03-01', localHour: 0 }, values: { calls: 1 }, sign: -1 },
            { spec: TOPIC_MINUTE_COUNTS, key: { topic: 'calls', minute: `2021-03-01T00:0${i % 2}:00.000Z` }, values: { events: 1 }, sign: 1 },
          ]);
          t.shared.unitStatus(unit(i) as never);
        }),
      ),
    );
    // per transaction: the combined writes and the deletion of rows at 0 (four before: one upsert per table, then it)
    const writes = sent.filter((x) => x.startsWith('WITH w1 AS ('));
    expect(writes).toHaveLength(40);
    expect(writes.every((x) => /call_counts_hour_total/.test(x) && /topic_minute_counts/.test(x) && /unit_states/.test(x))).toBe(true);
    expect(sent.filter((x) => x.startsWith('DELETE FROM call_counts_hour_total'))).toHaveLength(40);
    expect(statements).toBe(40 * 2);
    expect(await count('2021-03-01', 0)).toBeNull();
    expect([await count('2021-03-02', 0), await count('2021-03-02', 1), await count('2021-03-02', 2)]).toEqual([14, 13, 13]);
    const minutes = (await pool.query<{ events: number }>(`SELECT events FROM topic_minute_counts WHERE topic = 'calls' AND minute < '2021-03-01T00:02:00Z' ORDER BY minute`)).rows;
    expect(minutes.map((m) => m.events)).toEqual([20, 20]);
    const units = (await pool.query<{ unit_id: string; at: Date }>(`SELECT unit_id, at FROM unit_states WHERE unit_id LIKE 'U_' ORDER BY unit_id`)).rows;
    // each unit's latest report is the one kept, whatever order the transactions committed in
    expect(units.map((u) => [u.unit_id, u.at.toISOString()])).toEqual([0, 1, 2, 3].map((k) => [`U${k}`, `2021-03-01T00:00:${String(36 + k).padStart(2, '0')}.000Z`]));
  });
});
