import { DateTime } from 'luxon';

/**
 * A parser of one time column: source text → UTC ISO-8601 (milliseconds, `Z`), with Luxon
 * (https://moment.github.io/luxon). Local wall-clock values are read in the source's IANA zone;
 * values carrying an offset (`iso`) keep it. Returns undefined when the text does not match.
 */
export type TimeParser = (text: string) => string | undefined;

const cache = new Map<string, TimeParser>();

/**
 * Builds (and caches) the parser for a format and zone:
 * - `sql`: `YYYY-MM-DD HH:MM:SS[.fff]` (Luxon `fromSQL`);
 * - `iso`: ISO-8601, e.g. `2016-12-31T23:57:56-08:00` or without offset (then local to `zone`);
 * - `epoch-seconds` / `epoch-millis`: a number since 1970-01-01T00:00:00Z;
 * - anything else: a Luxon format (e.g. `MM/dd/yyyy hh:mm:ss a` for `12/31/2016 11:57:56 PM`),
 *   compiled once with `DateTime.buildFormatParser`.
 */
export function timeParser(format: string, zone: string): TimeParser {
  const key = `${format}\u0000${zone}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const out = (dt: DateTime) => (dt.isValid ? dt.toUTC().toISO()! : undefined);
  let p: TimeParser;
  switch (format) {
    case 'sql':
      p = (t) => out(DateTime.fromSQL(t.trim(), { zone }));
      break;
    case 'iso':
      p = (t) => out(DateTime.fromISO(t.trim(), { zone, setZone: false }));
      break;
    case 'epoch-seconds':
    case 'epoch-millis': {
      const f = format === 'epoch-seconds' ? 1000 : 1;
      p = (t) => {
        const v = t.trim();
        if (!/^-?\d+(\.\d+)?$/.test(v)) return undefined;
        return out(DateTime.fromMillis(Math.round(Number(v) * f), { zone: 'utc' }));
      };
      break;
    }
    default: {
      const parser = DateTime.buildFormatParser(format, { locale: 'en-US' });
      p = (t) => out(DateTime.fromFormatParser(t.trim(), parser, { zone }));
    }
  }
  cache.set(key, p);
  return p;
}

/** Formats `--infer` tries on a sample of a column's values, most specific first. */
export const CANDIDATE_FORMATS = [
  'sql',
  'iso',
  'MM/dd/yyyy hh:mm:ss a',
  'MM/dd/yyyy h:mm:ss a',
  'M/d/yyyy h:mm:ss a',
  'M/d/yyyy h:mm a',
  'MM/dd/yyyy HH:mm:ss',
  'M/d/yyyy H:mm:ss',
  'M/d/yyyy H:mm',
  'yyyy/MM/dd HH:mm:ss',
  'dd.MM.yyyy HH:mm:ss',
  'yyyyMMddHHmmss',
  'epoch-seconds',
  'epoch-millis',
] as const;

/**
 * The first candidate format that reads at least 80 % of the distinct non-empty sample values (a few bad
 * values are what the dry run is for), or undefined.
 * Epoch formats are only proposed for 9–10 digit (seconds) / 12–13 digit (millis) integers in a
 * plausible range (years 1990–2100), so ids are not taken for times.
 */
export function guessTimeFormat(samples: readonly string[], zone: string): string | undefined {
  const vals = samples.map((s) => s.trim()).filter(Boolean);
  if (!vals.length) return undefined;
  for (const f of CANDIDATE_FORMATS) {
    if (f === 'epoch-seconds' && !vals.every((v) => /^\d{9,10}$/.test(v) && +v > 631_152_000 && +v < 4_102_444_800)) continue;
    if (f === 'epoch-millis' && !vals.every((v) => /^\d{12,13}$/.test(v) && +v > 631_152_000_000 && +v < 4_102_444_800_000)) continue;
    if (f === 'iso' && !vals.every((v) => /^\d{4}-\d\d-\d\dT/.test(v))) continue;
    const p = timeParser(f, zone);
    if (vals.filter((v) => p(v) !== undefined).length >= Math.max(1, vals.length * 0.8)) return f;
  }
  return undefined;
}
