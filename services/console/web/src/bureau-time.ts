/**
 * Instants shown in the bureau's IANA zone (the console config's `timeZone`, default
 * Asia/Shanghai) with the zone's UTC offset, whatever zone the browser runs in (issue 13 item 7):
 * `2026-12-05 17:03:09 +08:00`. Times are stored and served as UTC ISO-8601.
 */
const FORMATS = new Map<string, Intl.DateTimeFormat>();

function format(timeZone: string, withDate: boolean): Intl.DateTimeFormat {
  const key = `${timeZone}|${withDate}`;
  let f = FORMATS.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      ...(withDate ? { year: 'numeric', month: '2-digit', day: '2-digit' } : {}),
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    FORMATS.set(key, f);
  }
  return f;
}

/**
 * `YYYY-MM-DD HH:mm:ss ±HH:MM` (`withOffset: false`: without the offset, for a column of times
 * under one heading that shows it once, see `bureauOffset`) (or `HH:mm:ss ±HH:MM` with `withDate: false`) of a UTC instant in
 * the IANA `timeZone`. @returns '—' for a missing or invalid instant
 */
export function bureauTime(at: string | number | Date | null | undefined, timeZone: string, opts: { withDate?: boolean; withOffset?: boolean } = {}): string {
  if (at === null || at === undefined) return '—';
  const d = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(d.getTime())) return '—';
  const withDate = opts.withDate ?? true;
  const p = Object.fromEntries(format(timeZone, withDate).formatToParts(d).map((x) => [x.type, x.value])) as Record<string, string>;
  const offset = (p.timeZoneName ?? 'GMT').replace(/^GMT/, '') || '+00:00';
  const time = `${p.hour}:${p.minute}:${p.second}`;
  return `${withDate ? `${p.year}-${p.month}-${p.day} ` : ''}${time}${opts.withOffset === false ? '' : ` ${offset}`}`;
}

/** The UTC offset (`±HH:MM`) of the IANA `timeZone` at the instant `at` (default now). */
export function bureauOffset(timeZone: string, at: string | number | Date = Date.now()): string {
  const d = at instanceof Date ? at : new Date(at);
  const name = format(timeZone, false).formatToParts(Number.isNaN(d.getTime()) ? new Date() : d).find((x) => x.type === 'timeZoneName')?.value ?? 'GMT';
  return name.replace(/^GMT/, '') || '+00:00';
}
