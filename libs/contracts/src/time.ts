import { DateTime, IANAZone } from 'luxon';

/** Default bureau time zone (IANA). Override with `BUREAU_TIME_ZONE`. */
export const DEFAULT_BUREAU_TIME_ZONE = 'Asia/Shanghai';

/**
 * The bureau's IANA time zone from `BUREAU_TIME_ZONE` (default Asia/Shanghai).
 * @throws Error when the variable names a zone that does not exist.
 */
export function bureauTimeZone(env: NodeJS.ProcessEnv = process.env): string {
  const zone = env.BUREAU_TIME_ZONE?.trim() || DEFAULT_BUREAU_TIME_ZONE;
  assertTimeZone(zone);
  return zone;
}

/** @throws Error when `zone` is not a valid IANA zone name. */
export function assertTimeZone(zone: string): void {
  if (!IANAZone.isValidZone(zone)) throw new Error(`unknown IANA time zone: ${zone}`);
}

/** Local calendar parts of a UTC instant in `zone`. */
export interface LocalParts {
  /** local date `YYYY-MM-DD` (the local midnight-to-midnight day) */
  day: string;
  /** local hour 0..23 */
  hour: number;
  /** ISO weekday 1 = Monday .. 7 = Sunday */
  weekday: number;
  /** hour of week 0..167, Monday 00:00 = 0 */
  hourOfWeek: number;
  /** local time with offset, ISO-8601, e.g. `2026-11-29T16:15:30.123+08:00` */
  iso: string;
}

/**
 * Splits a UTC instant into local day/hour in the given IANA zone.
 * Day boundaries are local midnights, so DST days have 23 or 25 hours.
 * @throws Error when `utc` is not a valid ISO-8601 instant.
 */
export function localParts(utc: string | Date, zone: string): LocalParts {
  const dt = (typeof utc === 'string' ? DateTime.fromISO(utc, { zone: 'utc' }) : DateTime.fromJSDate(utc, { zone: 'utc' })).setZone(zone);
  if (!dt.isValid) throw new Error(`invalid instant: ${String(utc)}`);
  return {
    day: dt.toISODate()!,
    hour: dt.hour,
    weekday: dt.weekday,
    hourOfWeek: (dt.weekday - 1) * 24 + dt.hour,
    iso: dt.toISO()!,
  };
}

/**
 * Converts local wall-clock text `YYYY-MM-DD HH:MM:SS` in `zone` to a UTC ISO-8601 instant.
 * Source files carry no offset, so the repeated hour of a DST fall-back is ambiguous: the second
 * occurrence (standard time) is taken, as luxon resolves it;
 * in the skipped hour of spring-forward the time is moved forward by the gap.
 * @throws Error when the text does not parse.
 */
export function localToUtc(local: string, zone: string): string {
  const dt = DateTime.fromSQL(local.trim(), { zone });
  if (!dt.isValid) throw new Error(`invalid local time "${local}" (${dt.invalidExplanation ?? dt.invalidReason})`);
  return dt.toUTC().toISO()!;
}

/** UTC instant of local midnight starting `day` (YYYY-MM-DD) in `zone`. */
export function localDayStartUtc(day: string, zone: string): string {
  const dt = DateTime.fromISO(day, { zone }).startOf('day');
  if (!dt.isValid) throw new Error(`invalid day: ${day}`);
  return dt.toUTC().toISO()!;
}

/** Every local day from `from` to `to` inclusive (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  let d = DateTime.fromISO(from, { zone: 'utc' });
  const end = DateTime.fromISO(to, { zone: 'utc' });
  while (d <= end) {
    out.push(d.toISODate()!);
    d = d.plus({ days: 1 });
  }
  return out;
}

