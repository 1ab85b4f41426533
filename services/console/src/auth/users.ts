import bcrypt from 'bcryptjs';
import { ROLES, type Role } from '@cad110/auth';
import type { PrismaClient } from '../prisma';

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
export async function verifyUser(prisma: PrismaClient, username: string, password: string): Promise<PublicUser | undefined> {
  const user = await prisma.user.findUnique({ where: { username } });
  if (!user) {
    dummyHash ??= hashPassword('not-a-real-password-0000');
    await bcrypt.compare(password, await dummyHash);
    return undefined;
  }
  const ok = await bcrypt.compare(password, user.passwordHash);
  if (!ok || !user.active || !isRole(user.role)) return undefined;
  await prisma.user.update({ where: { username }, data: { lastLoginAt: new Date() } });
  return { username: user.username, displayName: user.displayName, role: user.role };
}

export function isRole(r: string): r is Role {
  return (ROLES as readonly string[]).includes(r);
}

/**
 * Creates or updates a user with a new password hash.
 * @throws Error when the password is shorter than {@link MIN_PASSWORD_LENGTH} or the role unknown
 */
export async function upsertUser(prisma: PrismaClient, u: { username: string; role: Role; displayName: string; password: string; demo?: boolean }): Promise<void> {
  if (u.password.length < MIN_PASSWORD_LENGTH) throw new Error(`a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  if (!isRole(u.role)) throw new Error(`unknown role ${u.role}`);
  const passwordHash = await hashPassword(u.password);
  const data = { displayName: u.displayName, role: u.role, passwordHash, active: true, demo: u.demo ?? false };
  await prisma.user.upsert({ where: { username: u.username }, create: { username: u.username, ...data }, update: data });
}

/**
 * Seeds (or re-hashes) the {@link DEMO_USERS} with one shared password, so every demo start
 * sets the password it prints. Hashing runs one user at a time (bcrypt is CPU-bound).
 */
export async function seedDemoUsers(prisma: PrismaClient, password: string): Promise<string[]> {
  for (const u of DEMO_USERS) await upsertUser(prisma, { ...u, password, demo: true });
  return DEMO_USERS.map((u) => u.username);
}
