import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { tempDatabase, uniqueId } from '@cad110/testkit';
import { deployMigrations, listMigrations } from './migrate-deploy';
import { dropDatabase, ensureDatabase } from './ensure-database';
import { withDatabase, DEFAULT_POSTGRES_URL } from './urls';

const SERVICES = join(__dirname, '..', '..', '..', 'services');

describe('migrations', () => {
  // The wasm engine's glue is an ES module, which jest's CommonJS runtime cannot import: run the
  // migration CLI as developers do (`npm run migrate:check`).
  it.each(['intake', 'dispatch', 'records', 'statistics', 'console'])('%s: migrations match schema.prisma (Prisma wasm engine diff is empty)', (s) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, 'cli.ts'), 'check', '--service', join(SERVICES, s)], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('migrations match schema.prisma');
    expect(r.status).toBe(0);
  });

  it('records applied migrations exactly like prisma migrate deploy and applies each once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mig-'));
    mkdirSync(join(dir, '20260101000000_a'));
    writeFileSync(join(dir, '20260101000000_a', 'migration.sql'), 'CREATE TABLE a (id int);\nCREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;\n');
    const db = await tempDatabase(join(dir, 'none'));
    try {
      expect(await deployMigrations(db.url, dir)).toEqual(['20260101000000_a']);
      expect(await deployMigrations(db.url, dir)).toEqual([]);
      const c = new Client({ connectionString: db.url });
      await c.connect();
      const { rows } = await c.query('SELECT migration_name, checksum, finished_at IS NOT NULL AS done, applied_steps_count FROM _prisma_migrations');
      await c.end();
      expect(rows).toEqual([{ migration_name: '20260101000000_a', checksum: listMigrations(dir)[0]!.checksum, done: true, applied_steps_count: 1 }]);
      expect(rows[0].checksum).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await db.drop();
    }
  });

  it('refuses an edited migration and rolls back a failing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mig-'));
    cpSync(join(SERVICES, 'statistics', 'prisma', 'migrations'), dir, { recursive: true });
    const db = await tempDatabase(dir);
    try {
      const [first] = listMigrations(dir);
      writeFileSync(join(dir, first!.name, 'migration.sql'), first!.sql + '\n-- edited\n');
      await expect(deployMigrations(db.url, dir)).rejects.toThrow(/was modified after it was applied/);
      writeFileSync(join(dir, first!.name, 'migration.sql'), first!.sql);
      mkdirSync(join(dir, '29990101000000_broken'));
      writeFileSync(join(dir, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE ok_then (id int); SELECT * FROM no_such_table;');
      await expect(deployMigrations(db.url, dir)).rejects.toThrow(/29990101000000_broken failed/);
      const c = new Client({ connectionString: db.url });
      await c.connect();
      const t = await c.query(`SELECT to_regclass('ok_then') AS t`);
      const m = await c.query(`SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name = '29990101000000_broken'`);
      await c.end();
      expect(t.rows[0].t).toBeNull();
      expect(m.rows[0].n).toBe(0);
    } finally {
      await db.drop();
    }
  });

  it('ensureDatabase creates once and refuses odd names', async () => {
    const url = withDatabase(process.env.POSTGRES_URL ?? DEFAULT_POSTGRES_URL, uniqueId('cad110t_'));
    expect(await ensureDatabase(url)).toBe(true);
    expect(await ensureDatabase(url)).toBe(false);
    await dropDatabase(url);
    await expect(ensureDatabase(withDatabase(DEFAULT_POSTGRES_URL, 'x"; DROP'))).rejects.toThrow(/refusing database name/);
  });
});
