/**
 * Adds or updates a console user (for real deployments; demo users are seeded by `npm run demo`):
 *   CAD110_USER_PASSWORD=… npm run users -w @cad110/console -- --username wang.li --role dispatcher --name "王力"
 * The password is read from `CAD110_USER_PASSWORD` (never from the command line, which other
 * users of the machine can see); the database is the console's (`DATABASE_URL` or
 * `<POSTGRES_URL>/<CAD110_DB_PREFIX>_console`), migrated first.
 * A lost authenticator (TOTP second factor): `npm run users -w @cad110/console -- --username wang.li --reset-totp`
 * removes the user's factor and recovery codes (audited as `totp_reset`); they enrol again.
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { databaseUrlFor, deployMigrations, ensureDatabase, sqlOf } from '@cad110/db';
import { recordAudit } from './auth/audit';
import { resetFactor } from './auth/totp';
import { isRole, upsertUser } from './auth/users';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** `--username <name> --reset-totp`: removes the user's second factor. */
async function resetTotp(username: string): Promise<number> {
  const url = databaseUrlFor('console');
  await ensureDatabase(url);
  await deployMigrations(url, join(__dirname, '..', 'prisma', 'migrations'));
  const pool = new Pool({ connectionString: url, max: 1 });
  try {
    const had = await resetFactor(sqlOf(pool), username);
    await recordAudit(sqlOf(pool), { action: 'totp_reset', outcome: had ? 'ok' : 'none', actor: `users-cli:${userInfo().username}`, subject: username });
    console.log(had ? `second factor of ${username} removed: they enrol again at their next sign-in` : `${username} had no second factor`);
    return 0;
  } finally {
    await pool.end();
  }
}

async function main(): Promise<number> {
  const username = arg('username');
  if (username && process.argv.includes('--reset-totp')) return resetTotp(username);
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
