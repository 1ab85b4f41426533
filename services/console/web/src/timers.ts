/** Colour of a pending incident's age timer. */
export type TimerLevel = 'ok' | 'amber' | 'red';

/**
 * Seconds after which a pending (not yet dispatched) incident's timer turns amber and red, by
 * priority (1 most urgent). Console defaults, not a standard: P1 amber at 1 min (the bureau's
 * one-minute response circle), red at 3 min; lower priorities get longer. Tune per bureau.
 */
export const PENDING_THRESHOLDS: Record<number, { amber: number; red: number }> = {
  1: { amber: 60, red: 180 },
  2: { amber: 180, red: 300 },
  3: { amber: 300, red: 900 },
  4: { amber: 600, red: 1800 },
};

/** The timer level of an incident pending for `ageSeconds` at `priority`. */
export function timerLevel(ageSeconds: number, priority: number): TimerLevel {
  const t = PENDING_THRESHOLDS[priority] ?? PENDING_THRESHOLDS[4]!;
  return ageSeconds >= t.red ? 'red' : ageSeconds >= t.amber ? 'amber' : 'ok';
}

/** `m:ss` under an hour, `h:mm:ss` under a day, else `Nd hh h`. Negative ages show as 0:00. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${pad(h)}h`;
  if (h > 0) return `${h}:${pad(m)}:${pad(sec)}`;
  return `${m}:${pad(sec)}`;
}

/** ETA in seconds as `m:ss` (or `—` when unknown). */
export function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  return formatAge(seconds);
}
