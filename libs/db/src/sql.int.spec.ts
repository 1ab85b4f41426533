import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Pool } from 'pg';
import { tempDatabase } from '@cad110/testkit';
import { dbOf, pgTransaction, preparedName, sqlOf, type Db } from './sql';

const MIGRATIONS = join(__dirname, '..', '..', '..', 'services', 'intake', 'prisma', 'migrations');

describe('the one SQL interface (Sql over pg) on PostgreSQL', () => {
  let dbase: Awaited<ReturnType<typeof tempDatabase>>;
  let pool: Pool;
  let db: Db;

  beforeAll(async () => {
    dbase = await tempDatabase(MIGRATIONS);
    pool = new Pool({ connectionString: dbase.url, max: 2 });
    db = dbOf(pool);
  });
  afterAll(async () => {
    await pool.end();
    await dbase.drop();
  });

  it('query keeps the column names, select gives the Prisma field names, exec counts rows', async () => {
    const id = randomUUID();
    expect(await db.exec(`INSERT INTO streams (stream_id, type, version, updated_at) VALUES ($1, 'call', 1, '2026-12-05T08:00:00Z')`, [id])).toBe(1);
    const [raw] = await db.query<{ stream_id: string; updated_at: Date }>('SELECT stream_id, updated_at FROM streams WHERE stream_id = $1', [id]);
    expect(raw).toEqual({ stream_id: id, updated_at: new Date('2026-12-05T08:00:00Z') });
    const [row] = await db.select<{ streamId: string; updatedAt: Date; version: number }>('SELECT stream_id, updated_at, version FROM streams WHERE stream_id = $1', [id]);
    expect(row).toEqual({ streamId: id, updatedAt: new Date('2026-12-05T08:00:00Z'), version: 1 });
    expect(await db.exec('UPDATE streams SET version = 2 WHERE stream_id = $1 AND version = 5', [id])).toBe(0);
  });

  it('runs a statement with parameters as a named prepared statement, parsed once per connection; a failed one leaves the connection usable', async () => {
    const text = 'SELECT $1::int + 1 AS n /* prepared-test */';
    await pgTransaction(pool)(async (tx) => {
      expect(await tx.query(text, [1])).toEqual([{ n: 2 }]);
      expect(await tx.query(text, [41])).toEqual([{ n: 42 }]);
      const prepared = await tx.query<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements');
      expect(prepared.filter((p) => p.statement === text)).toEqual([{ name: preparedName(text, 1), statement: text }]);
    });
    // an error at execution (not at parse) in a transaction: the next transaction on the connection runs it again
    await expect(pgTransaction(pool)((tx) => tx.query('SELECT 1 / $1::int AS n /* prepared-test */', [0]))).rejects.toThrow(/division by zero/);
    await expect(pgTransaction(pool)((tx) => tx.query('SELECT 1 / $1::int AS n /* prepared-test */', [1]))).resolves.toEqual([{ n: 1 }]);
  });

  it('sends a JS array as a PostgreSQL array: many rows in one unnest statement', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const n = await db.exec(`INSERT INTO streams (stream_id, type, version, updated_at) SELECT id, 'call', v, now() FROM unnest($1::text[], $2::int[]) AS x(id, v)`, [ids, [1, 2, 3]]);
    expect(n).toBe(3);
    const rows = await db.query<{ version: number }>('SELECT version FROM streams WHERE stream_id = ANY($1::text[]) ORDER BY version', [ids]);
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3]);
  });

  it('runs parameterless multi-statement text in one round trip and sums the rows affected', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const n = await db.exec(`INSERT INTO streams (stream_id, type, version, updated_at) VALUES ('${a}', 'x', 1, now()); INSERT INTO streams (stream_id, type, version, updated_at) VALUES ('${b}', 'x', 1, now())`);
    expect(n).toBe(2);
  });

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    const [kept, lost] = [randomUUID(), randomUUID()];
    await db.transaction((tx) => tx.exec(`INSERT INTO streams (stream_id, type, version, updated_at) VALUES ($1, 'x', 1, now())`, [kept]));
    await expect(
      db.transaction(async (tx) => {
        await tx.exec(`INSERT INTO streams (stream_id, type, version, updated_at) VALUES ($1, 'x', 1, now())`, [lost]);
        throw new Error('decided otherwise');
      }),
    ).rejects.toThrow('decided otherwise');
    const rows = await db.query<{ stream_id: string }>('SELECT stream_id FROM streams WHERE stream_id = ANY($1::text[])', [[kept, lost]]);
    expect(rows.map((r) => r.stream_id)).toEqual([kept]);
    expect(pool.idleCount + pool.waitingCount).toBeLessThanOrEqual(2);
  });

  it('applies a statement timeout to its transaction only', async () => {
    await expect(pgTransaction(pool, { statementTimeoutMs: 50 })((tx) => tx.query('SELECT pg_sleep(1)'))).rejects.toThrow(/statement timeout/);
    const client = await pool.connect();
    try {
      const [t] = await sqlOf(client).query<{ statement_timeout: string }>('SHOW statement_timeout');
      expect(t!.statement_timeout).toBe('0');
    } finally {
      client.release();
    }
    expect(() => pgTransaction(pool, { statementTimeoutMs: 1.5 })).toThrow(RangeError);
  });
});
