import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DEFAULT_POSTGRES_URL } from './urls';
import { createResilientPool } from './pool';

/**
 * Fault: PostgreSQL restarts (issue 14: an unhandled `error` event on a pg client, SQLSTATE
 * 57P01, ended records and statistics). `pg_terminate_backend` sends the connection exactly what
 * a restart sends (FATAL 57P01 "terminating connection due to administrator command"), so this
 * test needs no server restart: it terminates the pool's own connections, idle and checked out.
 */
describe('a pg pool survives its connections being terminated (57P01)', () => {
  const url = process.env.POSTGRES_URL ?? DEFAULT_POSTGRES_URL;
  const app = `cad110-pool-test-${randomBytes(4).toString('hex')}`;

  it('keeps the process alive, drops the broken clients and serves queries again', async () => {
    const seen: string[] = [];
    const pool = createResilientPool({ connectionString: url, max: 3, application_name: app, onConnectionError: (err, where) => seen.push(`${where}:${(err as { code?: string }).code}`) });
    const admin = new Client({ connectionString: url });
    await admin.connect();
    try {
      const held = await pool.connect(); // checked out, between two queries of a transaction
      await held.query('BEGIN');
      await pool.query('SELECT 1'); // one idle client too
      const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [app]);
      expect(rowCount).toBeGreaterThanOrEqual(2);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual(expect.arrayContaining(['checked-out:57P01', 'idle:57P01']));
      await expect(held.query('SELECT 1')).rejects.toThrow();
      held.release(true);
      expect((await pool.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n).toBe(1);
    } finally {
      await admin.end();
      await pool.end();
    }
  });
});
