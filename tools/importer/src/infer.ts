import { basename } from 'node:path';
import type { Taxonomy } from '@cad110/contracts';
import { parseLocationText } from './location';
import { readSourceRows } from './read-csv';
import { guessTimeFormat } from './times';

/** What `--infer` found out about one column from the sample. */
export interface ColumnProfile {
  name: string;
  nonEmpty: number;
  distinct: number;
  examples: string[];
  timeFormat?: string;
  numeric?: { min: number; max: number };
  /** non-numeric values of a numeric column (e.g. a redaction marker such as REDACTED), most frequent first */
  markers?: string[];
  location?: 'lat-lon' | 'point-wkt';
}

export interface InferOptions {
  /** IANA zone to write (the data rarely says; default UTC, marked to check) */
  timeZone?: string;
  /** rows looked at (default 20 000) */
  sampleRows?: number;
  /** source name (default: from the file name) */
  source?: string;
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.floor((p / 100) * xs.length)))]!;

/** Column profiles of a sample of rows: emptiness, distinct values, time format, numbers, one-column locations. */
export function profileColumns(header: readonly string[], rows: readonly Record<string, string>[], zone: string): ColumnProfile[] {
  return header.map((name) => {
    const vals = rows.map((r) => (r[name] ?? '').trim()).filter(Boolean);
    const distinct = new Set(vals);
    const sample = [...distinct].slice(0, 400);
    const p: ColumnProfile = { name, nonEmpty: vals.length, distinct: distinct.size, examples: sample.slice(0, 3) };
    if (!vals.length) return p;
    const tf = /\d/.test(sample[0]!) && !/^-?\d{1,8}(\.\d+)?$/.test(sample[0]!) ? guessTimeFormat(sample, zone) : /^\d{9,13}$/.test(sample[0]!) && /time|date|dttm|at$/i.test(name) ? guessTimeFormat(sample, zone) : undefined;
    if (tf) p.timeFormat = tf;
    else if (isNumericColumn(vals)) {
      // numbers, but for a few markers (Minneapolis: REDACTED in 12 % of its coordinates)
      const isNum = (v: string) => /^-?\d+(\.\d+)?$/.test(v);
      const nums = vals.filter(isNum).map(Number);
      p.numeric = { min: nums.reduce((a, b) => Math.min(a, b), Infinity), max: nums.reduce((a, b) => Math.max(a, b), -Infinity) };
      const other = new Map<string, number>();
      for (const v of vals) if (!isNum(v)) other.set(v, (other.get(v) ?? 0) + 1);
      if (other.size) p.markers = [...other].sort((a, b) => b[1] - a[1]).map(([v]) => v);
    } else if (sample.filter((v) => parseLocationText(v, 'point-wkt')).length >= sample.length * 0.5) p.location = 'point-wkt';
    else if (sample.filter((v) => parseLocationText(v, 'lat-lon')).length >= sample.length * 0.5) p.location = 'lat-lon';
    return p;
  });
}

/**
 * A numeric column: most of its filled values are numbers and the rest are at most 3 distinct
 * markers (a redaction or "unknown" text), so a coordinate column with REDACTED rows is still
 * found (Minneapolis: 1,675 of 14,199).
 */
export function isNumericColumn(vals: readonly string[]): boolean {
  const other = vals.filter((v) => !/^-?\d+(\.\d+)?$/.test(v));
  return vals.length > 0 && other.length < vals.length * 0.5 && new Set(other).size <= 3;
}

/** The first column (in header order) whose normalised name matches, among those the filter accepts. */
function pick(profiles: readonly ColumnProfile[], patterns: RegExp[], accept: (p: ColumnProfile) => boolean = () => true, taken: Set<string> = new Set()): ColumnProfile | undefined {
  for (const re of patterns) {
    const hit = profiles.find((p) => re.test(norm(p.name)) && accept(p) && !taken.has(p.name));
    if (hit) return hit;
  }
  return undefined;
}

/** A subtype guess for a source call type by words shared with the taxonomy's English labels and a few synonyms. */
export function guessSubtype(callType: string, taxonomy: Taxonomy): { subtype: string; sure: boolean } {
  const t = ` ${norm(callType)} `;
  const synonyms: [RegExp, string][] = [
    [/ (structure|building|residential|commercial) fire /, 'building-fire'],
    [/ (vehicle|car) fire /, 'vehicle-fire'],
    [/ (medical|ems|sick|injur|unconscious|cardiac|breathing|fall) /, 'person-down'],
    [/ alarm/, 'alarm'],
    [/ (traffic collision|accident|crash|tc |mvc|mva)/, 'property-damage-accident'],
    [/ (gas leak|odor|hazmat|smoke)/, 'hazmat'],
    [/ (outside fire|grass fire|brush fire|fire) /, 'building-fire'],
    [/ (welfare|check on)/, 'welfare-check'],
    [/ (domestic)/, 'domestic-dispute'],
    [/ (theft|larceny|shoplift)/, 'theft'],
    [/ (burglary|break in)/, 'burglary'],
    [/ (assault|battery|fight)/, 'assault'],
    [/ (suspicious)/, 'suspicious-person'],
    [/ (noise|loud)/, 'noise'],
    [/ (citizen assist|service call|assist)/, 'general-assistance'],
    [/ (elevator|rescue|trapped|extrication)/, 'rescue'],
    [/ (water rescue)/, 'water-rescue'],
    [/ (electrical|wires down|power)/, 'public-hazard'],
  ];
  for (const [re, subtype] of synonyms) if (re.test(t) && taxonomy.subtype(subtype)) return { subtype, sure: false };
  let best: { subtype: string; score: number } | undefined;
  const words = new Set(norm(callType).split(' ').filter((w) => w.length > 3));
  for (const s of taxonomy.allSubtypes()) {
    const label = new Set([...norm(s.en).split(' '), ...s.code.split('-')].filter((w) => w.length > 3));
    const score = [...words].filter((w) => label.has(w)).length;
    if (score > 0 && (!best || score > best.score)) best = { subtype: s.code, score };
  }
  return best ? { subtype: best.subtype, sure: false } : { subtype: 'unknown', sure: false };
}

/** JSON text of a value on one line. */
const j = (v: unknown) => JSON.stringify(v);

/**
 * Looks at a CSV's header and a sample of its values and writes a starting mapping (JSON with
 * comments, format v2) with every guess commented, for a person to finish: the id column and,
 * when call numbers repeat with a unit column beside them, `groupBy` with per-unit times; each
 * time column's format (tried in `CANDIDATE_FORMATS` order); coordinates as two columns or one
 * (`"(lat, lon)"`, `POINT(lon lat)`) and a bounding box from their 1st–99th percentiles;
 * call type, group, priority, channel, disposition, address, district and beat columns by name;
 * the call types with their counts and a guessed subtype each; the priorities found.
 * @returns the mapping text and the profiles it was guessed from
 */
export async function inferMapping(file: string, taxonomy: Taxonomy, opts: InferOptions = {}): Promise<{ text: string; profiles: ColumnProfile[]; rows: number }> {
  const zone = opts.timeZone ?? 'UTC';
  const { header, rows: all } = await readSourceRows(file);
  const rows = all.slice(0, opts.sampleRows ?? 20_000).map((r) => r.values);
  const profiles = profileColumns(header, rows, zone);
  const taken = new Set<string>();
  const use = (p: ColumnProfile | undefined) => (p && taken.add(p.name), p);
  const times = profiles.filter((p) => p.timeFormat);
  const notTime = (p: ColumnProfile) => !p.timeFormat;

  // the call number: a column named like one; repeated values mean one row per unit per call
  const id = use(pick(profiles, [/^(call|incident|event|cad) ?(number|num|no|id|nbr)$/, /^master incident number$/, /incident num/, /call (number|num|no|id)/, /incident (number|num|no|id)/, /^(id|call id|event id)$/], notTime));
  const unitCol = pick(profiles, [/^unit (id|name|number|call sign)$/, /^unit$/, /^(apparatus|resource)( id)?$/], notTime);
  const grouped = !!id && id.distinct < rows.filter((r) => (r[id.name] ?? '').trim()).length && !!unitCol;
  if (grouped) use(unitCol);
  const t = (re: RegExp[]) => use(pick(times, re, () => true, taken));
  const answered = t([/received/, /pick ?up/, /answer/, /^date time$/, /call (date|time)/, /(create|entry|open)/, /date|time/]);
  const created = t([/^response date$/, /entry|created/]);
  const handed = t([/queue|entered|pending/]);
  const dispatched = t([/dispatch|assign/]);
  const enRoute = t([/en ?route|response dttm|responding/]);
  const onScene = t([/on ?scene|arriv/]);
  const available = t([/available|clear/]);
  const closed = t([/close/, /complete/]);
  const byName = (re: RegExp[], accept: (p: ColumnProfile) => boolean = notTime) => use(pick(profiles, re, accept, taken));
  const callType = byName([/^(call|incident|event|problem|nature) ?type$/, /^problem$/, /final.*type/, /type$/, /nature|problem|offense/]);
  const group = byName([/type group|call group|category/]);
  const initialType = byName([/^initial ?problem$/, /original.*type|initial.*type/]);
  const priority = byName([/^final priority$/, /^priority( number)?$/, /priority/]);
  const channel = byName([/911|channel|source|how received|call source/]);
  const disposition = byName([/disposition|dispo/]);
  const unitType = grouped ? byName([/unit type/]) : undefined;
  const district = byName([/district|division|precinct|battalion/]);
  const beat = byName([/beat|sector|station area|zone/]);
  const point = use(profiles.find((p) => p.location && !taken.has(p.name)));
  const lat = point ? undefined : byName([/^(latitude|lat|y)$/], (p) => !!p.numeric && p.numeric.min >= -90 && p.numeric.max <= 90);
  const lon = point ? undefined : byName([/^(longitude|lon|lng|long|x)$/], (p) => !!p.numeric && p.numeric.min >= -180 && p.numeric.max <= 180);
  const address = byName([/^address$/, /address|street|block|location$/]);

  // coordinates of the sample → area bounding box (1st..99th percentile, 10 % margin), 0/0 ignored
  const coords: { lat: number; lon: number }[] = [];
  for (const r of rows) {
    const c = point ? parseLocationText(r[point.name] ?? '', point.location!) : lat && lon ? { lat: Number(r[lat.name]), lon: Number(r[lon.name]) } : undefined;
    if (c && Number.isFinite(c.lat) && Number.isFinite(c.lon) && !(c.lat === 0 && c.lon === 0) && Math.abs(c.lat) <= 90 && Math.abs(c.lon) <= 180) coords.push(c);
  }
  let bbox: number[] | undefined;
  if (coords.length >= 10) {
    const la = coords.map((c) => c.lat).sort((a, b) => a - b);
    const lo = coords.map((c) => c.lon).sort((a, b) => a - b);
    const [a, b, c, d] = [pct(lo, 1), pct(la, 1), pct(lo, 99), pct(la, 99)];
    const mx = Math.max(0.01, (c - a) * 0.1);
    const my = Math.max(0.01, (d - b) * 0.1);
    const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
    bbox = [r4(a - mx), r4(b - my), r4(c + mx), r4(d + my)];
  }

  const count = (col: string | undefined) => {
    const m = new Map<string, number>();
    if (!col) return m;
    for (const r of all) {
      const v = (r.values[col] ?? '').trim();
      m.set(v, (m.get(v) ?? 0) + 1);
    }
    return m;
  };
  const L: string[] = [];
  const source = opts.source ?? basename(file).replace(/\.[^.]+$/, '').toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const colSpec = (p: ColumnProfile, agg?: string) => (p.timeFormat && p.timeFormat !== 'sql') || agg ? j({ column: p.name, ...(p.timeFormat && p.timeFormat !== 'sql' ? { format: p.timeFormat } : {}), ...(agg ? { agg } : {}) }) : j(p.name);
  const why = (p: ColumnProfile) => `${p.nonEmpty} of ${rows.length} sampled rows filled, ${p.distinct} distinct, e.g. ${p.examples.map((e) => j(e.slice(0, 40))).join(', ')}${p.timeFormat ? `; read as ${p.timeFormat}` : ''}`;
  L.push('// Starting mapping written by `npm run import -- --infer` — every line marked GUESS needs a person to check it.');
  L.push(`// File: ${file} (${all.length} rows, ${header.length} columns; ${rows.length} rows sampled).`);
  L.push('// Format: tools/importer/mapping.schema.json and "Bringing a new agency\'s data" in tools/importer/README.md.');
  L.push('// Check it with: npm run import -- --mapping THIS_FILE --file THE_CSV --dry-run');
  L.push('{');
  L.push('  "$schema": "../mapping.schema.json",');
  L.push('  "version": 2,');
  L.push(`  "source": ${j(source)}, // GUESS from the file name: the externalRef.source of every call`);
  L.push(`  "description": ${j(`calls for service from ${basename(file)}`)}, // GUESS: say who published it and when`);
  L.push('  "taxonomyVersion": "1.0.0",');
  L.push(`  "dataset": ${j(basename(file))},`);
  L.push(`  "timeZone": ${j(zone)}, // GUESS${opts.timeZone ? ' (given with --zone)' : ': the file does not say; set the agency\'s IANA zone (e.g. America/Los_Angeles) or pass --zone'}`);
  const formats = [...new Set(times.map((p) => p.timeFormat!))];
  L.push(`  "timeFormat": "sql", // time columns not in this format carry their own "format" below${formats.length ? `; found: ${formats.join(', ')}` : ''}`);
  if (grouped) L.push(`  "groupBy": { "column": ${j(id!.name)} }, // GUESS: ${id!.name} repeats (${id!.distinct} distinct in ${rows.length} rows) and ${unitCol!.name} looks like a unit: one row per unit per call`);
  L.push('  "columns": {');
  const field = (name: string, p: ColumnProfile | undefined, agg?: string, note = '') => {
    if (!p) return L.push(`    // "${name}": not found — add it if the file has it${note ? ` (${note})` : ''}`);
    L.push(`    ${j(name)}: ${colSpec(p, grouped ? agg : undefined)}, // GUESS: ${why(p)}${note ? `; ${note}` : ''}`);
  };
  field('id', id, undefined, grouped ? 'the group column' : 'unique per call?');
  field('answeredAt', answered, 'min', 'call received (required)');
  field('createdAt', created, 'min');
  field('handedAt', handed, 'min', 'handed to dispatch / queued');
  field('callType', callType, grouped ? 'first' : undefined);
  field('callTypeGroup', group, grouped ? 'first' : undefined);
  field('initialCallType', initialType);
  field('priority', priority, grouped ? 'first' : undefined, 'absent: the taxonomy\'s default priority per subtype');
  field('channel', channel);
  if (address) L.push(`    "address": [${j(address.name)}], // GUESS: ${why(address)}`);
  else L.push('    // "address": [columns joined with spaces] — not found');
  if (point) L.push(`    "location": { "column": ${j(point.name)}, "format": ${j(point.location)} }, // GUESS: ${why(point)}`);
  else {
    field('lat', lat);
    field('lon', lon);
  }
  field('district', district);
  field('beat', beat);
  field('disposition', disposition, grouped ? 'last' : undefined);
  if (!grouped) {
    field('closedAt', closed, undefined, 'the disposition\'s time');
    field('firstUnitAssignedAt', dispatched);
    field('firstUnitEnRouteAt', enRoute);
    field('firstUnitArrivedAt', onScene);
    field('firstUnitClearedAt', available);
  } else field('closedAt', closed ?? available, 'max', 'the disposition\'s time: the last unit available, if nothing better');
  L.push('    // "intersection": [cross-street columns], used when the first address column is 0');
  L.push('  },');
  if (grouped) {
    L.push(`  "units": { // GUESS: each row's unit and its own times, replayed as that unit's history`);
    L.push(`    "id": ${j(unitCol!.name)},`);
    if (unitType) L.push(`    "type": ${j(unitType.name)},`);
    for (const [k, p] of [
      ['dispatchedAt', dispatched],
      ['enRouteAt', enRoute],
      ['onSceneAt', onScene],
      ['availableAt', available],
    ] as const) {
      if (p) L.push(`    ${j(k)}: ${colSpec(p)},`);
      else L.push(`    // ${j(k)}: not found`);
    }
    L.push('  },');
  }
  const marker = point ? undefined : (lat?.markers ?? lon?.markers)?.[0];
  if (marker && lat && lon) {
    const n = all.filter((r) => (r.values[lat.name] ?? '').trim() === marker).length;
    L.push(`  "redactedMarker": ${j(marker)}, // GUESS: ${n} rows have ${j(marker)} instead of coordinates: they are replayed without coordinates (not flagged as suspect)`);
  }
  if (bbox) L.push(`  "area": { "bbox": ${j(bbox)} }, // GUESS: [minLon, minLat, maxLon, maxLat] of the sample's coordinates (1st–99th percentile + 10 %); set the agency's real area`);
  else L.push('  // "area": { "bbox": [minLon, minLat, maxLon, maxLat] } — no coordinates found to guess it from');
  const chan = count(channel?.name);
  L.push(`  "channels": { "values": {${[...chan.keys()].filter(Boolean).slice(0, 20).map((k) => ` ${j(k)}: "other"`).join(',')} }, "default": "other" }, // GUESS: map each value to 110 | 911 | non-emergency | alarm | officer-initiated | text | other`);
  const prios = [...count(priority?.name)].filter(([k]) => k).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const prioOf = (v: string) => (/^e(mergency)?$/i.test(v) ? 1 : /^\d+$/.test(v) ? Math.min(4, Math.max(1, Number(v))) : /^[A-Ea-e]$/.test(v) ? Math.min(4, 'abcde'.indexOf(v.toLowerCase()) + 1) : 3);
  L.push('  "priorities": {');
  L.push(`    "values": {${prios.map(([k, n]) => `\n      ${j(k)}: ${prioOf(k)} /* ${n} rows; GUESS */`).join(',')}`);
  L.push('    }');
  L.push('  }, // 110 priority 1 (most urgent) .. 4; unlisted values: the subtype\'s default');
  L.push('  "noDispatchPriorities": [],');
  if (disposition) {
    const d = [...count(disposition.name)].filter(([k]) => k).sort((a, b) => b[1] - a[1]);
    L.push('  "dispositions": {');
    L.push(`    "notes": "GUESS: every code below is recorded as unresolved until a person maps it",`);
    L.push('    "codeFrom": "whole",');
    L.push(`    "codes": {${d.slice(0, 200).map(([k, n]) => `\n      ${j(k)}: { "codes": ["unresolved"] } /* ${n} rows; GUESS */`).join(',')}`);
    L.push('    }');
    L.push('  },');
  }
  const types = [...count(callType?.name)].sort((a, b) => b[1] - a[1]);
  L.push('  "callTypes": {');
  L.push('    "values": {');
  L.push(types.map(([k, n]) => `      ${j(k)}: { "subtype": ${j(guessSubtype(k, taxonomy).subtype)} } /* ${n} rows; GUESS */`).join(',\n'));
  L.push('    },');
  L.push('    "default": { "subtype": "unknown" } // call types not listed above; remove to reject them instead');
  L.push('  }');
  L.push('}');
  return { text: `${L.filter((x) => x !== '').join('\n')}\n`, profiles, rows: all.length };
}
