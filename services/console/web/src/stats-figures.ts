/**
 * Pure helpers of the ops view's statistics figures: the local-day periods asked of
 * `/api/statistics/stats/*` (statistics' `from` / `to` are local days in the bureau's zone, both
 * inclusive), the response-time rows grouped per key, and calls summed per H3 cell.
 */

/** The periods the ops view offers: today, the last 7 or 30 local days (today included), the year to date. */
export const PERIODS = ['today', '7d', '30d', 'ytd'] as const;
export type PeriodName = (typeof PERIODS)[number];

/** A local-day period, `YYYY-MM-DD`, both ends inclusive. */
export interface DayPeriod {
  from: string;
  to: string;
}

/** The local day (`YYYY-MM-DD`) of instant `at` in IANA zone `timeZone`. */
export function localDay(at: Date, timeZone: string): string {
  // en-CA formats dates as YYYY-MM-DD
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/** `day` plus `n` calendar days (n may be negative). */
export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The period `name` ending on local day `today`. */
export function periodOf(name: PeriodName, today: string): DayPeriod {
  switch (name) {
    case 'today':
      return { from: today, to: today };
    case '7d':
      return { from: addDays(today, -6), to: today };
    case '30d':
      return { from: addDays(today, -29), to: today };
    case 'ytd':
      return { from: `${today.slice(0, 4)}-01-01`, to: today };
    default: {
      const _exhaustive: never = name;
      return _exhaustive;
    }
  }
}

/** A row of `GET /stats/response-times`: seconds, nearest-rank percentiles, null when n = 0. */
export interface ResponseTimeRow {
  key: string | number | null;
  measure: 'answer' | 'processing' | 'travel' | 'total';
  n: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
}

/** The measures drawn, in the order of a call's life (answer time only exists with telephony ringing times). */
export const RESPONSE_MEASURES = ['answer', 'processing', 'travel', 'total'] as const;

/**
 * Response-time rows grouped by key (e.g. priority), keeping only measures with n > 0, keys in
 * ascending order (null last). The result is what the box figure draws, one group per key.
 */
export function groupResponseTimes(rows: readonly ResponseTimeRow[]): { key: string | number | null; rows: ResponseTimeRow[] }[] {
  const groups = new Map<string | number | null, ResponseTimeRow[]>();
  for (const r of rows) {
    if (r.n <= 0) continue;
    groups.set(r.key, [...(groups.get(r.key) ?? []), r]);
  }
  const order = (k: string | number | null) => (k === null ? Infinity : typeof k === 'number' ? k : Number.isFinite(Number(k)) ? Number(k) : Infinity);
  return [...groups.entries()]
    .sort(([a], [b]) => order(a) - order(b) || String(a).localeCompare(String(b)))
    .map(([key, rs]) => ({ key, rows: RESPONSE_MEASURES.flatMap((m) => rs.filter((r) => r.measure === m)) }));
}

/** A row of `GET /stats/hotspots/cells`: located calls in an H3 cell in one hour of week. */
export interface CellHourRow {
  cell: string;
  hourOfWeek: number;
  calls: number;
}

/** Calls per H3 cell over every hour of week, most calls first (ties by cell id). */
export function callsPerCell(rows: readonly CellHourRow[]): { cell: string; calls: number }[] {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.cell, (m.get(r.cell) ?? 0) + r.calls);
  return [...m].map(([cell, calls]) => ({ cell, calls })).sort((a, b) => b.calls - a.calls || a.cell.localeCompare(b.cell));
}

/** A duration in seconds as `m:ss` (or `h:mm:ss` from an hour on); `—` for null. */
export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  const t = Math.round(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
