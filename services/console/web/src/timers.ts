import { useI18n } from './i18n';
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

/** `formatAge` in the UI's language: ages of a day or more as whole days (`3天` / `3d`), the rest as `formatAge`. */
export function useAgeText(): (seconds: number) => string {
  const { t, lang } = useI18n();
  return (seconds) => (seconds >= 86400 ? `${Math.floor(seconds / 86400)}${lang === 'zh' ? '' : ' '}${t('days')}` : formatAge(seconds));
}

/** An incident of a replayed source call (the demo's bundled calls, an import): its times are the source's, often years ago. */
export function isReplayed(i: { externalSource?: string | null }): boolean {
  return !!i.externalSource;
}

/**
 * Seconds since `at` of a live incident, or `undefined` for a replayed one: a replayed call's
 * times are the source system's (the demo's calls are from years ago), so its running age would
 * read "2338天" and its timer would be red forever. The desk shows a replayed incident's source
 * date instead of an age, and never turns its timer amber or red.
 */
export function liveAgeSeconds(i: { externalSource?: string | null }, at: string, now: number): number | undefined {
  return isReplayed(i) ? undefined : (now - Date.parse(at)) / 1000;
}
