import { join } from 'node:path';
import { Pool } from 'pg';
import { tempDatabase } from '@cad110/testkit';
import { pgTransaction } from './sql';
import { lockRow, lockRows, type TableSpec } from './table';

const MIGRATIONS = join(__dirname, '..', '..', '..', 'services', 'intake', 'prisma', 'migrations');

interface Fact {
  id: string;
  n: number;
  at: string | null;
}
const FACTS: TableSpec<Fact> = {
  table: 't_facts',
  key: ['id'],
  cols: [
    ['id', 'id', 'text'],
    ['n', 'n', 'int'],
    ['at', 'at', 'timestamptz'],
  ],
};

describe('lockRows on PostgreSQL (many lockRow in one statement)', () => {
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let pool: Pool;

  beforeAll(async () => {
    db = await tempDatabase(MIGRATIONS);
    pool = new Pool({ connectionString: db.url, max: 3 });
    await pool.query('CREATE TABLE t_facts (id text PRIMARY KEY, n int NOT NULL, at timestamptz)');
    await pool.query("INSERT INTO t_facts VALUES ('b', 7, '2026-12-06T10:00:00Z')");
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('returns the stored rows, creates the missing ones from their empties, in key order, and holds their locks', async () => {
    const tx = pgTransaction(pool);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const first = tx(async (t) => {
      const rows = await lockRows(t, FACTS, [
        { id: 'c', n: 0, at: null },
        { id: 'b', n: 0, at: null },
        { id: 'a', n: 1, at: '2026-01-01T00:00:00.000Z' },
      ]);
      expect(rows).toEqual([
        { id: 'a', n: 1, at: '2026-01-01T00:00:00.000Z' },
        { id: 'b', n: 7, at: '2026-12-06T10:00:00.000Z' }, // stored: not replaced by its empty
        { id: 'c', n: 0, at: null },
      ]);
      locked();
      await held;
    });
    // another transaction's lockRow of 'b' waits for the first one's commit
    await isLocked;
    let second = false;
    const other = tx(async (t) => {
      await lockRow(t, FACTS, { id: 'b', n: 0, at: null });
      second = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(second).toBe(false);
    release();
    await Promise.all([first, other]);
    expect(second).toBe(true);
    expect((await pool.query('SELECT id, n FROM t_facts ORDER BY id')).rows).toEqual([
      { id: 'a', n: 1 },
      { id: 'b', n: 7 },
      { id: 'c', n: 0 },
    ]);
    expect(await tx((t) => lockRows(t, FACTS, []))).toEqual([]);
  });
});
