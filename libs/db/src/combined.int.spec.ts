/**
 * CombinedWrites on real PostgreSQL: queued writes to several tables go as one statement with
 * their parameters renumbered, all or nothing, split only past the parameter limit.
 */
import { join } from 'node:path';
import { Pool } from 'pg';
import { tempDatabase } from '@cad110/testkit';
import { CombinedWrites, combineStatements } from './combined';
import { pgTransaction } from './sql';
import { upsertRows, type TableSpec } from './table';

const MIGRATIONS = join(__dirname, '..', '..', '..', 'services', 'intake', 'prisma', 'migrations');

interface Fact {
  id: string;
  n: number;
}
const A: TableSpec<Fact> = { table: 't_a', key: ['id'], cols: [['id', 'id', 'text'], ['n', 'n', 'int']] };
const B: TableSpec<Fact> = { table: 't_b', key: ['id'], cols: [['id', 'id', 'text'], ['n', 'n', 'int']] };

describe('CombinedWrites on PostgreSQL (several writes, one statement)', () => {
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let pool: Pool;
  const sent: string[] = [];

  beforeAll(async () => {
    db = await tempDatabase(MIGRATIONS);
    pool = new Pool({ connectionString: db.url, max: 3 });
    await pool.query('CREATE TABLE t_a (id text PRIMARY KEY, n int NOT NULL CHECK (n >= 0)); CREATE TABLE t_b (id text PRIMARY KEY, n int NOT NULL)');
    await pool.query("INSERT INTO t_a VALUES ('x', 1)");
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  /** pgTransaction whose statements are recorded in `sent`. */
  const tx = () => {
    const run = pgTransaction(pool);
    return <T>(fn: Parameters<typeof run>[0]) =>
      run((t) => fn({ ...t, exec: (text, params) => (sent.push(text), t.exec(text, params)), query: (text, params) => (sent.push(text), t.query(text, params)) }) as Promise<T>);
  };
  const all = async (table: string) => (await pool.query<Fact>(`SELECT id, n FROM ${table} ORDER BY id`)).rows;

  it('sends upserts and an update of two tables as one statement, each with its own parameters', async () => {
    sent.length = 0;
    await tx()(async (t) => {
      const w = new CombinedWrites();
      await upsertRows(w, A, [{ id: 'x', n: 5 }, { id: 'y', n: 2 }]);
      await upsertRows(w, B, [{ id: 'p', n: 7 }]);
      await w.exec('UPDATE t_a SET n = n + $2 WHERE id = $1', ['y', 10]);
      expect(w.size).toBe(3);
      expect(await w.flush(t)).toBe(1);
      expect(w.size).toBe(0);
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^WITH w1 AS \(INSERT INTO t_a/);
    // the UPDATE ran on the snapshot of the statement: it did not see 'y' inserted beside it
    expect(await all('t_a')).toEqual([{ id: 'x', n: 5 }, { id: 'y', n: 2 }]);
    expect(await all('t_b')).toEqual([{ id: 'p', n: 7 }]);
  });

  it('writes nothing when one of the combined statements fails', async () => {
    await expect(
      tx()(async (t) => {
        const w = new CombinedWrites();
        await upsertRows(w, B, [{ id: 'q', n: 1 }]);
        await w.exec('UPDATE t_a SET n = n - $1 WHERE id = $2', [100, 'x']); // violates the CHECK
        await w.flush(t);
      }),
    ).rejects.toThrow(/check constraint/);
    expect(await all('t_b')).toEqual([{ id: 'p', n: 7 }]);
    expect(await all('t_a')).toEqual([{ id: 'x', n: 5 }, { id: 'y', n: 2 }]);
  });

  it('sends a single statement as it is, refuses reads, and splits past 30,000 parameters', async () => {
    expect(combineStatements([{ text: 'DELETE FROM t_b WHERE id = $1', params: ['p'] }])).toEqual([{ text: 'DELETE FROM t_b WHERE id = $1', params: ['p'] }]);
    await expect(new CombinedWrites().query('SELECT 1')).rejects.toThrow(/writes only/);
    const rows = (table: string, from: number) => Array.from({ length: 5_000 }, (_, i) => ({ id: `${table}${from + i}`, n: i }));
    sent.length = 0;
    await tx()(async (t) => {
      const w = new CombinedWrites();
      // 4 × 10,000 parameters: two statements of 20,000
      for (const [spec, from] of [[A, 0], [B, 0], [A, 5_000], [B, 5_000]] as const) await upsertRows(w, spec, rows(spec.table, from));
      expect(await w.flush(t)).toBe(2);
    });
    expect(sent).toHaveLength(2);
    expect((await all('t_a')).length).toBe(2 + 10_000);
    expect((await all('t_b')).length).toBe(1 + 10_000);
  });
});
