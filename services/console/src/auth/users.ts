import bcrypt from 'bcryptjs';
import { ROLES, type Role } from '@cad110/auth';
import type { Sql } from '@cad110/db';
import type { User } from '../generated/prisma/client';
import { recordAudit } from './audit';

/** bcrypt cost factor: 2^10 rounds, the minimum OWASP's Password Storage Cheat Sheet gives for bcrypt (bcryptjs, pure JS: a hash costs ~0.1–0.2 s here). */
export const BCRYPT_COST = 10;

/** Shortest password the console accepts for a user (demo or real). */
export const MIN_PASSWORD_LENGTH = 10;

/** A signed-in user as the console API returns it (no hash). */
export interface PublicUser {
  username: string;
  displayName: string;
  role: Role;
}

/**
 * The demo users `npm run demo` seeds, one per role. Their password is NOT stored anywhere in
 * the repository: it comes from `CAD110_DEMO_PASSWORD` or is generated at demo start and printed
 * in the demo summary (see services/console/README.md).
 */
export const DEMO_USERS: readonly { username: string; role: Role; displayName: string }[] = [
  { username: 'calltaker', role: 'call_taker', displayName: '接警员 Call taker' },
  { username: 'dispatcher', role: 'dispatcher', displayName: '调度员 Dispatcher' },
  { username: 'supervisor', role: 'supervisor', displayName: '值班长 Supervisor' },
  { username: 'analyst', role: 'analyst', displayName: '研判员 Analyst' },
  { username: 'ops', role: 'ops', displayName: '运维 Ops' },
  { username: 'admin', role: 'admin', displayName: '管理员 Admin' },
];

/** bcrypt hash of a password (cost {@link BCRYPT_COST}). */
export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

// Compared against when the username is unknown, so an unknown user costs as much time as a wrong password.
let dummyHash: Promise<string> | undefined;

/**
 * Checks a username and password against the users table.
 * @returns the user when the password matches an active user, else undefined (never says which part was wrong)
 */
export async function verifyUser(db: Sql, username: string, password: string): Promise<PublicUser | undefined> {
  const [user] = await db.select<User>('SELECT * FROM users WHERE username = $1', [username]);
  if (!user) {
    dummyHash ??= hashPassword('not-a-real-password-0000');
    await bcrypt.compare(password, await dummyHash);
    return undefined;
  }
  const ok = await bcrypt.compare(password, user.passwordHash);
  if (!ok || !user.active || !isRole(user.role)) return undefined;
  return { username: user.username, displayName: user.displayName, role: user.role };
}

/** Stamps `last_login_at` (UTC): called once the whole sign-in, second factor included, succeeded. */
export async function recordLogin(db: Sql, username: string): Promise<void> {
  await db.exec('UPDATE users SET last_login_at = now(), updated_at = now() WHERE username = $1', [username]);
}

export function isRole(r: string): r is Role {
  return (ROLES as readonly string[]).includes(r);
}

/**
 * Creates or updates a user with a new password hash; a new or changed role is recorded in the
 * audit trail as `role_change` by `actor`.
 * @throws Error when the password is shorter than {@link MIN_PASSWORD_LENGTH} or the role unknown
 */
export async function upsertUser(db: Sql, u: { username: string; role: Role; displayName: string; password: string; demo?: boolean }, actor = 'users-cli'): Promise<void> {
  if (u.password.length < MIN_PASSWORD_LENGTH) throw new Error(`a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (!isRole(u.role)) throw new Error(`unknown role ${u.role}`);
  const passwordHash = await hashPassword(u.password);
  const [before] = await db.query<{ role: string }>('SELECT role FROM users WHERE username = $1', [u.username]);
  await db.exec(
    `INSERT INTO users (username, display_name, role, password_hash, active, demo, updated_at) VALUES ($1, $2, $3, $4, true, $5, now())
     ON CONFLICT (username) DO UPDATE SET display_name = $2, role = $3, password_hash = $4, active = true, demo = $5, updated_at = now()`,
    [u.username, u.displayName, u.role, passwordHash, u.demo ?? false],
  );
  // a new user's role, or another role: the audit trail's role_change (issue 19.5)
  if (before?.role !== u.role) await recordAudit(db, { action: 'role_change', outcome: 'ok', actor, subject: u.username, detail: { from: before?.role ?? null, to: u.role } });
}

/**
 * Seeds (or re-hashes) the {@link DEMO_USERS} with one shared password, so every demo start
 * sets the password it prints. Hashing runs one user at a time (bcrypt is CPU-bound).
 */
export async function seedDemoUsers(db: Sql, password: string): Promise<string[]> {
  for (const u of DEMO_USERS) await upsertUser(db, { ...u, password, demo: true }, 'demo-seed');
  return DEMO_USERS.map((u) => u.username);
}
