import { join } from 'node:path';
import { Pool } from 'pg';
import { tempDatabase } from '@cad110/testkit';
import { DeferredRows, withDeferredRows } from './rows';
import { pgTransaction } from './sql';

const MIGRATIONS = join(__dirname, '..', '..', '..', 'services', 'intake', 'prisma', 'migrations');

describe('DeferredRows on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let pool: Pool;
  const statements: string[] = [];

  beforeAll(async () => {
    db = await tempDatabase(MIGRATIONS);
    pool = new Pool({ connectionString: db.url, max: 2 });
    pool.on('connect', (c) => {
      const q = c.query.bind(c) as (...a: unknown[]) => unknown;
      (c as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => {
        if (typeof a[0] === 'string') statements.push(a[0]);
        else if (a[0] && typeof (a[0] as { text?: unknown }).text === 'string') statements.push((a[0] as { text: string }).text);
        return q(...a);
      };
    });
    await pool.query('CREATE TABLE t_entries (event_id text PRIMARY KEY, call_id text NOT NULL, seq int, note text)');
    await pool.query('CREATE TABLE t_cases (id text PRIMARY KEY, call_id text NOT NULL)');
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  const rows = async () => (await pool.query<{ event_id: string; seq: number | null; note: string | null }>('SELECT event_id, seq, note FROM t_entries ORDER BY event_id')).rows;

  it('writes a transaction\'s queued rows with one INSERT before COMMIT, duplicates ignored', async () => {
    statements.length = 0;
    const tx = withDeferredRows(pgTransaction(pool));
    await tx(async (t) => {
      for (let i = 1; i <= 100; i++) t.deferred.add('t_entries', { eventId: `e${String(i).padStart(3, '0')}`, callId: 'c1', seq: i }, { onConflictDoNothing: true });
      t.deferred.add('t_entries', { eventId: 'e001', callId: 'c1', seq: 999 }, { onConflictDoNothing: true });
      expect(t.deferred.size).toBe(101);
      expect(await rows()).toHaveLength(0); // nothing written yet
    });
    const inserts = statements.filter((s) => s.startsWith('INSERT INTO "t_entries"'));
    expect(inserts).toHaveLength(1);
    expect(statements.indexOf(inserts[0]!)).toBeLessThan(statements.lastIndexOf('COMMIT'));
    const got = await rows();
    expect(got).toHaveLength(100);
    expect(got[0]).toEqual({ event_id: 'e001', seq: 1, note: null });
  });

  it('splits rows whose column sets differ and keeps their order', async () => {
    const d = new DeferredRows();
    d.add('t_entries', { eventId: 'f1', callId: 'c2', note: 'a' });
    d.add('t_entries', { eventId: 'f2', callId: 'c2', seq: undefined, note: 'b' });
    d.add('t_entries', { eventId: 'f3', callId: 'c2', seq: 3 });
    const n = await pgTransaction(pool)((t) => d.flush(t));
    expect(n).toBe(3);
    expect(d.size).toBe(0);
    expect((await rows()).filter((r) => r.event_id.startsWith('f'))).toEqual([
      { event_id: 'f1', seq: null, note: 'a' },
      { event_id: 'f2', seq: null, note: 'b' },
      { event_id: 'f3', seq: 3, note: null },
    ]);
  });

  it('writes the rows of several tables with one statement and counts what each inserted; a table’s second column set starts another', async () => {
    statements.length = 0;
    const d = new DeferredRows();
    d.add('t_entries', { eventId: 'm1', callId: 'c6' }, { onConflictDoNothing: true });
    d.add('t_entries', { eventId: 'f1', callId: 'c6' }, { onConflictDoNothing: true }); // exists: not inserted, not counted
    d.add('t_cases', { id: 'k1', callId: 'c6' });
    d.add('t_cases', { id: 'k2', callId: 'c6' });
    const n = await pgTransaction(pool)((t) => d.flush(t));
    expect(n).toBe(3);
    const writes = statements.filter((x) => /INSERT INTO "t_(entries|cases)"/.test(x));
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^WITH w1 AS \(INSERT INTO "t_entries".*RETURNING 1\),\s*w2 AS \(INSERT INTO "t_cases"/s);
    expect((await pool.query('SELECT id FROM t_cases ORDER BY id')).rows).toEqual([{ id: 'k1' }, { id: 'k2' }]);

    statements.length = 0;
    d.add('t_cases', { id: 'k3', callId: 'c6' });
    d.add('t_entries', { eventId: 'm2', callId: 'c6', note: 'x' });
    d.add('t_entries', { eventId: 'm3', callId: 'c6', seq: 3 });
    expect(await pgTransaction(pool)((t) => d.flush(t))).toBe(3);
    // t_cases + the first t_entries together, then the other column set of t_entries alone
    expect(statements.filter((x) => /INSERT INTO "t_(entries|cases)"/.test(x)).map((x) => x.slice(0, 12))).toEqual(['WITH w1 AS (', 'INSERT INTO ']);
  });

  it('rolls the whole transaction back when the flush fails', async () => {
    const tx = withDeferredRows(pgTransaction(pool));
    await expect(
      tx(async (t) => {
        await t.exec("INSERT INTO t_entries (event_id, call_id) VALUES ('g0', 'c3')");
        t.deferred.add('t_entries', { eventId: 'g1', callId: null });
      }),
    ).rejects.toThrow(/null value/);
    expect((await rows()).filter((r) => r.event_id.startsWith('g'))).toEqual([]);
  });

  it('runs before-commit hooks after the function, in order (a hook may add one), before the flush and COMMIT', async () => {
    statements.length = 0;
    const order: string[] = [];
    await withDeferredRows(pgTransaction(pool))(async (t) => {
      t.beforeCommit(async () => {
        order.push('first');
        await t.exec("INSERT INTO t_entries (event_id, call_id, note) VALUES ('h1', 'c4', 'hook')");
        t.beforeCommit(async () => void order.push('added by first'));
      });
      t.beforeCommit(async () => {
        order.push('second');
        t.deferred.add('t_entries', { eventId: 'h2', callId: 'c4' });
      });
      order.push('fn');
    });
    expect(order).toEqual(['fn', 'first', 'second', 'added by first']);
    const hook = statements.findIndex((s) => s.startsWith("INSERT INTO t_entries (event_id, call_id, note) VALUES ('h1'"));
    const flush = statements.findIndex((s) => s.startsWith('INSERT INTO "t_entries"'));
    expect(hook).toBeGreaterThanOrEqual(0);
    expect(flush).toBeGreaterThan(hook);
    expect(statements.lastIndexOf('COMMIT')).toBeGreaterThan(flush);
    expect((await rows()).filter((r) => r.event_id.startsWith('h')).map((r) => r.event_id)).toEqual(['h1', 'h2']);
  });

  it('rolls the whole transaction back when a before-commit hook fails', async () => {
    await expect(
      withDeferredRows(pgTransaction(pool))(async (t) => {
        await t.exec("INSERT INTO t_entries (event_id, call_id) VALUES ('k0', 'c5')");
        t.beforeCommit(async () => {
          throw new Error('hook failed');
        });
      }),
    ).rejects.toThrow(/hook failed/);
    expect((await rows()).filter((r) => r.event_id.startsWith('k'))).toEqual([]);
  });

  it('refuses unsafe table names when queued', () => {
    expect(() => new DeferredRows().add('t; DROP TABLE x', { a: 1 })).toThrow(/unsafe table/);
  });
});
