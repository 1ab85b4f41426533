import { Client } from 'pg';
import { databaseOf, withDatabase } from './urls';

const VALID_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates the database named in `databaseUrl` if it does not exist, connecting to the server's
 * `postgres` maintenance database. Safe to run concurrently (a duplicate-database race is ignored).
 * @throws Error when the name is not a plain lower-case identifier or the server is unreachable.
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const name = databaseOf(databaseUrl);
  if (!VALID_NAME.test(name)) throw new Error(`refusing database name ${JSON.stringify(name)}`);
  const admin = new Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rowCount) return false;
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
    } catch (e) {
      if ((e as { code?: string }).code !== '42P04') throw e; // duplicate_database
      return false;
    }
    return true;
  } finally {
    await admin.end();
  }
}

/**
 * Drops the database named in `databaseUrl` if it exists (tests and `--fresh` demos). Sessions
 * still closing are given up to `graceMs` to go (a `pg` pool's `end()` resolves before its
 * connections have closed on the server; forcing them then makes the closing client emit an
 * error nobody handles); whatever is left is terminated (`WITH (FORCE)`).
 */
export async function dropDatabase(databaseUrl: string, graceMs = 2000): Promise<void> {
  const name = databaseOf(databaseUrl);
  if (!VALID_NAME.test(name)) throw new Error(`refusing database name ${JSON.stringify(name)}`);
  const admin = new Client({ connectionString: withDatabase(databaseUrl, 'postgres') });
  await admin.connect();
  try {
    const deadline = Date.now() + graceMs;
    while ((await admin.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1', [name])).rowCount && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
