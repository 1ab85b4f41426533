/**
 * The dataset tests' independent computation of every figure straight from the raw CSV:
 * plain loops over the rows, the source's local wall-clock text for days and hours (no time-zone
 * arithmetic), the mapping file's call-type table and the taxonomy file for categories. It
 * deliberately shares no code with the statistics service (only h3-js for the cells).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { cellToParent, gridDisk, latLngToCell } from 'h3-js';

/**
 * The mapping file (format v2) as this computation reads it: the shared datasets' mappings name
 * plain columns in the default `sql` time format, one row per call.
 */
export interface RawMapping {
  version: 2;
  timeZone: string;
  columns: Record<string, string | string[] | undefined> & { id: string; answeredAt: string; callType: string; priority: string };
  priorities: { values: Record<string, number>; default?: number };
  /** [minLon, minLat, maxLon, maxLat]: coordinates outside it are not trusted */
  area?: { bbox: [number, number, number, number] };
  noDispatchPriorities?: string[];
  missingBeat?: string;
  districtFromBeat?: string;
  redactedMarker?: string;
  callTypes: { values: Record<string, { subtype: string; priority?: number }>; default?: { subtype: string; priority?: number } };
  dispositions?: {
    codeFrom: 'whole' | 'before-dash';
    separator?: string;
    codes: Record<string, RawOutcome | null>;
    cancelReasons?: Record<string, RawOutcome>;
  };
}

/** An outcome as the mapping file writes it (counts default to 0). */
export interface RawOutcome {
  codes: string[];
  suspectsCaught?: number;
  peopleRescued?: number;
}

interface RawSubtype {
  code: string;
  kind: string;
  defaultPriority: number;
  flags: string[];
}

/** One CSV row reduced to what the figures need. */
export interface Row {
  id: string;
  /** local wall-clock text of the answer, `YYYY-MM-DD HH:MM:SS` */
  local: string;
  day: string;
  hour: number;
  category: string;
  subtype: string;
  kind: string;
  twoRob: boolean;
  priority: number;
  district: string | null;
  beat: string | null;
  lat: number | null;
  lon: number | null;
  handed: boolean;
  raw: Record<string, string>;
}

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

/** Reads the CSV rows whose local answer day is within [fromDay, toDay]. */
export function readRows(csvFile: string, mappingFile: string, taxonomyFile: string, fromDay: string, toDay: string): Row[] {
  const m = readJson(mappingFile) as RawMapping;
  const tax = readJson(taxonomyFile) as { categories: { code: string; subtypes: RawSubtype[] }[] };
  const subtypes = new Map<string, RawSubtype & { category: string }>();
  for (const c of tax.categories) for (const s of c.subtypes) subtypes.set(s.code, { ...s, category: c.code });
  const records = parse(readFileSync(csvFile), { columns: true, bom: true, skip_empty_lines: true }) as Record<string, string>[];
  const col = (r: Record<string, string>, c: string | undefined) => (c ? (r[c] ?? '').trim() : '');
  const out: Row[] = [];
  for (const r of records) {
    const local = col(r, m.columns.answeredAt);
    const day = local.slice(0, 10);
    if (day < fromDay || day > toDay) continue;
    const code = r[m.columns.callType] ?? '';
    const ct = (m.callTypes.values[code] ?? m.callTypes.default)!;
    const st = subtypes.get(ct.subtype)!;
    const srcPriority = col(r, m.columns.priority);
    const beatRaw = col(r, m.columns.beat as string | undefined);
    const beat = beatRaw && beatRaw !== m.missingBeat ? beatRaw : null;
    let district: string | null = m.columns.district ? col(r, m.columns.district as string) || null : null;
    if (!m.columns.district && m.districtFromBeat === 'first-digit' && beat) district = `Division ${beat[0]}`;
    const latText = col(r, m.columns.lat as string | undefined);
    const lonText = col(r, m.columns.lon as string | undefined);
    let lat = latText && latText !== m.redactedMarker && !Number.isNaN(Number(latText)) ? Number(latText) : null;
    let lon = lonText && lonText !== m.redactedMarker && !Number.isNaN(Number(lonText)) ? Number(lonText) : null;
    // not trusted: 0/0 (a geocoder's "not found") and anything outside the mapping's area
    const box = m.area?.bbox;
    if (lat !== null && lon !== null && ((lat === 0 && lon === 0) || (box && !(lon >= box[0] && lon <= box[2] && lat >= box[1] && lat <= box[3])))) lat = lon = null;
    out.push({
      id: col(r, m.columns.id),
      local,
      day,
      hour: Number(local.slice(11, 13)),
      category: st.category,
      subtype: st.code,
      kind: st.kind,
      twoRob: st.flags.includes('two-robberies-one-theft'),
      priority: ct.priority ?? m.priorities.values[srcPriority] ?? m.priorities.default ?? st.defaultPriority,
      district,
      beat,
      lat: lat !== null && lon !== null ? lat : null,
      lon: lat !== null && lon !== null ? lon : null,
      handed: !(m.noDispatchPriorities ?? []).includes(srcPriority),
      raw: r,
    });
  }
  return out;
}

/** key → count, as `{key, count}` rows sorted like the API (by key, unknown last). */
export function countBy<K extends string | number>(rows: readonly Row[], key: (r: Row) => K | null): { key: K | null; count: number }[] {
  const m = new Map<K | null, number>();
  for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
  return [...m]
    .map(([k, count]) => ({ key: k, count }))
    .sort((a, b) => (a.key === null ? 1 : b.key === null ? -1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

export const isIncident = (r: Row) => r.kind === 'report';

/** Every day from `from` to `to` (YYYY-MM-DD, inclusive), by plain calendar arithmetic. */
export function calendarDays(from: string, to: string): string[] {
  const out: string[] = [];
  for (let t = Date.UTC(+from.slice(0, 4), +from.slice(5, 7) - 1, +from.slice(8, 10)); ; t += 86_400_000) {
    const d = new Date(t).toISOString().slice(0, 10);
    if (d > to) break;
    out.push(d);
  }
  return out;
}

/** Days without an incident / criminal incident, overall (null) then per district (sorted). */
export function daysWithout(rows: readonly Row[], from: string, to: string) {
  const days = calendarDays(from, to);
  const districts = [...new Set(rows.map((r) => r.district).filter((d): d is string => !!d))].sort();
  const make = (district: string | null) => {
    const mine = rows.filter((r) => isIncident(r) && (district === null || r.district === district));
    const inc = new Set(mine.map((r) => r.day));
    const crim = new Set(mine.filter((r) => r.category === 'criminal').map((r) => r.day));
    const wi = days.filter((d) => !inc.has(d));
    const wc = days.filter((d) => !crim.has(d));
    return { district, days: days.length, daysWithoutIncident: wi.length, daysWithoutCriminalIncident: wc.length, withoutIncident: wi, withoutCriminalIncident: wc };
  };
  return [make(null), ...districts.map(make)];
}

/** Nearest rank: value at rank ceil(p/100 × n) of the sorted values. */
export function pct(values: number[], p: number): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1]!;
}

/**
 * Seconds between two local wall-clock texts of the dataset's zone, by reading both as if they
 * were UTC: exact because neither dataset's window contains a DST change (Minneapolis June–July
 * is all CDT, San Diego 1–20 January all PST). Negative intervals → null.
 */
export function secondsBetween(a: string, b: string): number | null {
  if (!a || !b) return null;
  const s = (Date.parse(`${b.replace(' ', 'T')}Z`) - Date.parse(`${a.replace(' ', 'T')}Z`)) / 1000;
  return s >= 0 ? s : null;
}

/** Calls per cell at `resolution` (parent of the resolution-`stored` cell) and hour of week (Monday 00 = 0). */
export function cellHourCounts(rows: readonly Row[], stored: number, resolution: number): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const r of rows) {
    if (r.lat === null || r.lon === null) continue;
    const cell = cellToParent(latLngToCell(r.lat, r.lon, stored), resolution);
    const dow = new Date(`${r.day}T00:00:00Z`).getUTCDay(); // 0 = Sunday
    const how = ((dow + 6) % 7) * 24 + r.hour;
    const m = out.get(cell) ?? out.set(cell, new Map()).get(cell)!;
    m.set(how, (m.get(how) ?? 0) + 1);
  }
  return out;
}

/** Gi* top cells of a band (hours [start, end) every day), written out from the formula. */
export function giStarTop(cells: Map<string, Map<number, number>>, k: number, start: number, end: number, top: number) {
  const area = new Set<string>();
  for (const c of cells.keys()) for (const j of gridDisk(c, k)) area.add(j);
  const x = new Map<string, number>();
  for (const c of area) {
    let s = 0;
    for (const [how, n] of cells.get(c) ?? []) if (how % 24 >= start && how % 24 < end) s += n;
    x.set(c, s);
  }
  const n = area.size;
  const xs = [...x.values()];
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const S = Math.sqrt(xs.reduce((a, b) => a + b * b, 0) / n - mean * mean);
  const res: { cell: string; calls: number; z: number | null }[] = [];
  for (const c of area) {
    if (!x.get(c)) continue;
    const nb = gridDisk(c, k).filter((j) => area.has(j));
    const w = nb.length;
    const wx = nb.reduce((a, j) => a + x.get(j)!, 0);
    const den = S * Math.sqrt((n * w - w * w) / (n - 1));
    res.push({ cell: c, calls: x.get(c)!, z: den > 0 ? (wx - mean * w) / den : null });
  }
  res.sort((a, b) => (b.z ?? -Infinity) - (a.z ?? -Infinity) || b.calls - a.calls || (a.cell < b.cell ? -1 : 1));
  return res.slice(0, top).map((r) => ({ ...r, z: r.z === null ? null : Math.round(r.z * 1000) / 1000 }));
}

export const readMapping = (file: string) => readJson(file) as RawMapping;

/**
 * What the mapping file says a row's disposition records (its `dispositions` notes, written out
 * again here): the cancel reason's code (text before the first `-`) when `cancelReasons` lists
 * it; else each value of the disposition cell (split at `separator`) reduced to its code (whole,
 * or the text before the first `-`); any code the table lacks → `unmapped` (nothing recorded);
 * codes mapped to null and empty cells → null (nothing recorded); several outcomes merge: their
 * codes in order without repeats, `unresolved` dropped beside another code, counts = the largest.
 */
export function rowOutcome(m: RawMapping, r: Row): { codes: string[]; suspectsCaught: number; peopleRescued: number } | 'unmapped' | null {
  const t = m.dispositions;
  const col = m.columns.disposition as string | undefined;
  if (!t || !col) return null;
  const norm = (o: RawOutcome) => ({ codes: o.codes, suspectsCaught: o.suspectsCaught ?? 0, peopleRescued: o.peopleRescued ?? 0 });
  const cancelCol = m.columns.cancelReason as string | undefined;
  const cancel = cancelCol ? (r.raw[cancelCol] ?? '').trim().split('-')[0]!.trim() : '';
  if (cancel && t.cancelReasons?.[cancel]) return norm(t.cancelReasons[cancel]!);
  const cell = (r.raw[col] ?? '').trim();
  if (!cell) return null;
  const codes: string[] = [];
  for (const v of t.separator ? cell.split(t.separator) : [cell]) {
    const code = t.codeFrom === 'before-dash' ? v.trim().split('-')[0]!.trim() : v.trim();
    if (code && !codes.includes(code)) codes.push(code);
  }
  if (codes.some((c) => !(c in t.codes))) return 'unmapped';
  const found = codes.map((c) => t.codes[c]).filter((o): o is RawOutcome => !!o).map(norm);
  if (!found.length) return null;
  let merged: string[] = [];
  for (const o of found) for (const c of o.codes) if (!merged.includes(c)) merged.push(c);
  if (merged.length > 1) merged = merged.filter((c) => c !== 'unresolved');
  return { codes: merged, suspectsCaught: Math.max(...found.map((o) => o.suspectsCaught)), peopleRescued: Math.max(...found.map((o) => o.peopleRescued)) };
}

/** The local calendar date (YYYY-MM-DD) of an instant in an IANA zone (Intl, not the service's helpers). */
export function localDateOf(instantMs: number, zone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(instantMs));
}
