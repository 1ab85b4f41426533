/**
 * Migration tool of every service (run from the service folder via its npm scripts):
 *   tsx libs/db/src/cli.ts create --service services/intake --name add_calls
 *   tsx libs/db/src/cli.ts deploy --service services/intake      (DATABASE_URL or the service default)
 *   tsx libs/db/src/cli.ts check  --service services/intake      (exit 1 if schema.prisma has unmigrated changes)
 */
import { basename, resolve } from 'node:path';
import { createMigration, pendingSchemaChanges } from './migrate-create';
import { deployMigrations } from './migrate-deploy';
import { ensureDatabase } from './ensure-database';
import { databaseUrlFor } from './urls';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const cmd = process.argv[2];
  const serviceDir = resolve(arg('service') ?? '.');
  const service = basename(serviceDir);
  switch (cmd) {
    case 'create': {
      const folder = await createMigration(serviceDir, arg('name') ?? 'migration');
      console.log(folder ? `created prisma/migrations/${folder}/migration.sql` : 'schema unchanged: no migration created');
      return 0;
    }
    case 'check': {
      const sql = await pendingSchemaChanges(serviceDir);
      if (sql) {
        console.error(`${service}: schema.prisma has changes without a migration:\n${sql}`);
        return 1;
      }
      console.log(`${service}: migrations match schema.prisma`);
      return 0;
    }
    case 'deploy': {
      const url = databaseUrlFor(service);
      await ensureDatabase(url);
      const applied = await deployMigrations(url, resolve(serviceDir, 'prisma', 'migrations'));
      console.log(applied.length ? `${service}: applied ${applied.join(', ')}` : `${service}: database is up to date`);
      return 0;
    }
    default:
      console.error('usage: cli.ts create|check|deploy --service <dir> [--name <snake_case>]');
      return 2;
  }
}

// The wasm engine keeps a timer alive; exit explicitly.
main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
