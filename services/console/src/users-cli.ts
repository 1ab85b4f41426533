/**
 * Adds or updates a console user (for real deployments; demo users are seeded by `npm run demo`):
 *   CAD110_USER_PASSWORD=… npm run users -w @cad110/console -- --username wang.li --role dispatcher --name "王力"
 * The password is read from `CAD110_USER_PASSWORD` (never from the command line, which other
 * users of the machine can see); the database is the console's (`DATABASE_URL` or
 * `<POSTGRES_URL>/<CAD110_DB_PREFIX>_console`), migrated first.
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { databaseUrlFor, deployMigrations, ensureDatabase, sqlOf } from '@cad110/db';
import { isRole, upsertUser } from './auth/users';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const username = arg('username');
  const role = arg('role');
  const password = process.env.CAD110_USER_PASSWORD;
  if (!username || !role || !isRole(role) || !password) {
    console.error('usage: CAD110_USER_PASSWORD=… users-cli.ts --username <name> --role <call_taker|dispatcher|supervisor|analyst|ops|admin> [--name <display name>]');
    return 2;
  }
  const url = databaseUrlFor('console');
  await ensureDatabase(url);
  await deployMigrations(url, join(__dirname, '..', 'prisma', 'migrations'));
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    await upsertUser(sqlOf(pool), { username, role, displayName: arg('name') ?? username, password }, `users-cli:${userInfo().username}`);
    console.log(`user ${username} (${role}) saved`);
    return 0;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
