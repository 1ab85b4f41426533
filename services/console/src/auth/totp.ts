import { createHash, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { Sql } from '@cad110/db';

/**
 * The TOTP second factor (issue 19.5; MLPS 2.0 level 3 asks for two factors), with the `otpauth`
 * library: RFC 6238 codes of 6 digits, HMAC-SHA-1, 30-second steps — what every authenticator app
 * (Google/Microsoft Authenticator, FreeOTP, 腾讯身份验证器) reads from an `otpauth://` URI.
 * A code is accepted from one step before to one step after the server's clock
 * ({@link TOTP_WINDOW}: ±30 s of drift) and only once (the step of the last accepted code is
 * stored and a code of that step or an earlier one is refused). The secret (160 random bits,
 * base32) is kept in the console's database (table `totp_factors`); the 10 one-time recovery
 * codes only as SHA-256 (table `totp_recovery_codes`).
 */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** steps accepted either side of the current one */
export const TOTP_WINDOW = 1;
/** recovery codes made at each enrolment */
export const RECOVERY_CODES = 10;
/** the issuer shown in authenticator apps */
export const TOTP_ISSUER = 'cad110';
/** an unconfirmed enrolment is handed out again (not replaced) for this long, seconds */
export const PENDING_REUSE_SECONDS = 600;

const totpOf = (secret: string, username = '') =>
  new TOTP({ issuer: TOTP_ISSUER, label: username, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, secret: Secret.fromBase32(secret) });

/**
 * Checks a code against a secret at `nowMs` (epoch milliseconds).
 * @param lastStep the step of the last code accepted for this secret (a code of that step or earlier is refused: no replay)
 * @returns the 30-second step the code belongs to, or undefined when it is malformed, outside ±{@link TOTP_WINDOW} steps, or replayed
 */
export function verifyTotpCode(secret: string, code: string, nowMs: number, lastStep?: number | null): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totpOf(secret).validate({ token: code, timestamp: nowMs, window: TOTP_WINDOW });
  if (delta === null) return undefined;
  const step = Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS) + delta;
  return lastStep !== undefined && lastStep !== null && step <= lastStep ? undefined : step;
}

/** The code of `secret` at `nowMs` (what an authenticator app shows; for tests and tools). */
export function totpCodeAt(secret: string, nowMs: number): string {
  return totpOf(secret).generate({ timestamp: nowMs });
}

/** An enrolment handed to the user: the base32 secret and the `otpauth://totp/…` URI an authenticator app reads (as a QR code or a link). */
export interface Enrolment {
  secret: string;
  otpauthUri: string;
}

interface FactorRow {
  secret: string;
  confirmed: boolean;
  last_step: string | null;
  age_seconds: number;
}

/** The user's factor: confirmed, or an enrolment started and not confirmed; undefined when none. */
export async function factorOf(db: Sql, username: string): Promise<{ secret: string; confirmed: boolean; lastStep: number | null; ageSeconds: number } | undefined> {
  const [row] = await db.query<FactorRow>(
    `SELECT secret, confirmed_at IS NOT NULL AS confirmed, last_step::text AS last_step, extract(epoch FROM now() - created_at)::float8 AS age_seconds FROM totp_factors WHERE username = $1`,
    [username],
  );
  return row ? { secret: row.secret, confirmed: row.confirmed, lastStep: row.last_step === null ? null : Number(row.last_step), ageSeconds: row.age_seconds } : undefined;
}

/**
 * Starts (or restarts) the enrolment of `username`: a new secret, stored unconfirmed. An
 * unconfirmed one younger than {@link PENDING_REUSE_SECONDS} is handed out again when `reuse`.
 * @returns the enrolment, or undefined when the user already has a confirmed factor (nothing changed)
 */
export async function startEnrolment(db: Sql, username: string, reuse = false): Promise<Enrolment | undefined> {
  const f = await factorOf(db, username);
  if (f?.confirmed) return undefined;
  if (f && reuse && f.ageSeconds < PENDING_REUSE_SECONDS) return { secret: f.secret, otpauthUri: totpOf(f.secret, username).toString() };
  const secret = new Secret({ size: 20 }).base32;
  const n = await db.exec(
    `INSERT INTO totp_factors (username, secret) VALUES ($1, $2)
     ON CONFLICT (username) DO UPDATE SET secret = $2, created_at = now(), last_step = NULL WHERE totp_factors.confirmed_at IS NULL`,
    [username, secret],
  );
  return n > 0 ? { secret, otpauthUri: totpOf(secret, username).toString() } : undefined;
}

/**
 * Confirms the user's unconfirmed enrolment with a code of its secret and makes
 * {@link RECOVERY_CODES} new recovery codes (any earlier ones are deleted).
 * @returns the recovery codes in clear (shown once, never stored), `invalid` for a wrong code, `none` when no enrolment is pending
 */
export async function confirmEnrolment(db: Sql, username: string, code: string, nowMs = Date.now()): Promise<string[] | 'invalid' | 'none'> {
  const f = await factorOf(db, username);
  if (!f || f.confirmed) return 'none';
  const step = verifyTotpCode(f.secret, code, nowMs, f.lastStep);
  if (step === undefined) return 'invalid';
  const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
  const done = await db.exec('UPDATE totp_factors SET confirmed_at = now(), last_step = $3 WHERE username = $1 AND secret = $2 AND confirmed_at IS NULL', [username, f.secret, step]);
  if (done === 0) return 'none';
  await db.exec('DELETE FROM totp_recovery_codes WHERE username = $1', [username]);
  for (const c of codes) await db.exec('INSERT INTO totp_recovery_codes (username, code_hash) VALUES ($1, $2)', [username, recoveryHash(username, c)]);
  return codes;
}

/**
 * Accepts a code of the user's confirmed factor once: the step is stored in the same statement
 * that checks it was not used, so two requests with one code cannot both pass.
 * @returns whether the code signed the user in
 */
export async function useTotpCode(db: Sql, username: string, code: string, nowMs = Date.now()): Promise<boolean> {
  const f = await factorOf(db, username);
  if (!f?.confirmed) return false;
  const step = verifyTotpCode(f.secret, code, nowMs, f.lastStep);
  if (step === undefined) return false;
  return (await db.exec('UPDATE totp_factors SET last_step = $2 WHERE username = $1 AND confirmed_at IS NOT NULL AND (last_step IS NULL OR last_step < $2)', [username, step])) > 0;
}

/** Accepts an unused recovery code of the user once (any case, with or without the dash). @returns whether it did */
export async function useRecoveryCode(db: Sql, username: string, code: string): Promise<boolean> {
  return (await db.exec('UPDATE totp_recovery_codes SET used_at = now() WHERE username = $1 AND code_hash = $2 AND used_at IS NULL', [username, recoveryHash(username, code)])) > 0;
}

/** Removes the user's factor and recovery codes (a lost phone: the users CLI; the user enrols again). @returns whether there was one */
export async function resetFactor(db: Sql, username: string): Promise<boolean> {
  await db.exec('DELETE FROM totp_recovery_codes WHERE username = $1', [username]);
  return (await db.exec('DELETE FROM totp_factors WHERE username = $1', [username])) > 0;
}

// no 0/O, 1/I/L: read off paper
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** `XXXXX-XXXXX`: 10 characters of a 31-letter alphabet (≈ 49.5 bits). */
function newRecoveryCode(): string {
  const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

/** Hex SHA-256 of `<username>:<code>`, the code upper-cased without spaces or dashes. */
export function recoveryHash(username: string, code: string): string {
  return createHash('sha256').update(`${username}:${code.toUpperCase().replace(/[\s-]/g, '')}`).digest('hex');
}
