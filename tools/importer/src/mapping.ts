import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import leven from 'leven';
import { z } from 'zod';
import { assertTimeZone, DispositionCode, loadTaxonomy, type Taxonomy } from '@cad110/contracts';

/**
 * Mapping format v2: how one agency's calls-for-service export becomes cad110 calls.
 * The committed JSON Schema `tools/importer/mapping.schema.json` is generated from these zod
 * schemas (`npm run schema -w @cad110/importer`; a unit test keeps it in step). Mapping files are
 * JSON with comments (JSONC), so a file written by `--infer` keeps its comments when finished by hand.
 * Every object is strict: an unknown key is an error naming its path.
 */

const Column = z.string().min(1).describe('a column name of the CSV header (checked against the file when it is read)');

/**
 * How a time column is read: `sql` (`YYYY-MM-DD HH:MM:SS[.fff]`, the default), `iso` (ISO-8601;
 * an offset or `Z` in the value wins over the source zone), `epoch-seconds`, `epoch-millis`, or a
 * Luxon format string such as `MM/dd/yyyy hh:mm:ss a` (tokens: https://moment.github.io/luxon/#/parsing?id=table-of-tokens).
 */
export const TimeFormat = z.string().min(1).describe('sql | iso | epoch-seconds | epoch-millis | a Luxon format such as "MM/dd/yyyy hh:mm:ss a"');

/**
 * Per-field aggregation over the rows of one group (unit-per-row sources): `first` / `last` =
 * the first / last non-empty value in file order; `min` / `max` = the earliest / latest time
 * (time fields) or the smallest / largest value (numbers compared as numbers, else text);
 * `count` = how many rows have a non-empty value. Ungrouped sources have one row per group.
 */
export const Aggregation = z.enum(['first', 'last', 'min', 'max', 'count']);
export type Aggregation = z.infer<typeof Aggregation>;

export const ColumnSpecObject = z
  .object({
    column: Column,
    format: TimeFormat.optional().describe('time format of this column (default: the mapping\'s timeFormat)'),
    agg: Aggregation.optional().describe('aggregation over the rows of a group (default first)'),
    where: z
      .object({ column: Column, equals: z.string() })
      .strict()
      .optional()
      .describe('only the rows of the group where another column equals a value (e.g. the row of the unit sequence 1)'),
  })
  .strict();
/** A column name, or a column with a time format / aggregation / row filter. */
export const ColumnSpec = z.union([Column, ColumnSpecObject]);
export type ColumnSpec = z.infer<typeof ColumnSpec>;

/** A location held in one column: `lat-lon` = `"(lat, lon)"` (parentheses optional), `point-wkt` = `POINT (lon lat)`. */
export const LocationColumn = z
  .object({
    column: Column,
    format: z.enum(['lat-lon', 'point-wkt']),
    agg: Aggregation.optional(),
  })
  .strict();
export type LocationColumn = z.infer<typeof LocationColumn>;

const Channel = z.enum(['110', '911', 'non-emergency', 'alarm', 'officer-initiated', 'text', 'other']);
const Priority = z.number().int().min(1).max(4);

/** One source disposition's outcome in cad110 terms (DispositionRecorded's codes and counts). */
export const DispositionOutcome = z
  .object({
    codes: z.array(DispositionCode).min(1),
    suspectsCaught: z.number().int().nonnegative().default(0),
    peopleRescued: z.number().int().nonnegative().default(0),
    note: z.string().optional(),
  })
  .strict();
export type DispositionOutcome = z.infer<typeof DispositionOutcome>;

/**
 * Source disposition codes → cad110 outcomes. `codeFrom`: `whole` = the cell is the code;
 * `before-dash` = the code is the text before the first `-` of each value (`RPT-Report`).
 * `separator` splits cells holding several values. A code mapped to `null` records nothing
 * (e.g. duplicates). `cancelReasons` (codes before the first `-` too) override the disposition.
 * `default` is used for a code the table does not list (absent: the code is reported as unmapped).
 */
export const DispositionTable = z
  .object({
    notes: z.string(),
    codeFrom: z.enum(['whole', 'before-dash']),
    separator: z.string().optional(),
    codes: z.record(z.string(), DispositionOutcome.nullable()),
    cancelReasons: z.record(z.string(), DispositionOutcome).default({}),
    default: DispositionOutcome.nullable().optional(),
  })
  .strict();
export type DispositionTable = z.infer<typeof DispositionTable>;

/** The source columns of the call's fields. */
export const Columns = z
  .object({
    id: ColumnSpec.describe('call number (with groupBy: normally the group column itself)'),
    answeredAt: ColumnSpec.describe('call received / answered (required)'),
    createdAt: ColumnSpec.optional(),
    handedAt: ColumnSpec.optional().describe('handed to dispatch / entered the queue'),
    callType: ColumnSpec.describe('the source call type, looked up in callTypes'),
    callTypeGroup: ColumnSpec.optional().describe('the source\'s own group of call types (a statistics dimension)'),
    initialCallType: ColumnSpec.optional(),
    priority: ColumnSpec.optional().describe('absent: the call type\'s priority, else priorities.default, else the subtype\'s default'),
    channel: ColumnSpec.optional(),
    address: z.array(ColumnSpec).default([]).describe('joined with spaces'),
    intersection: z.array(ColumnSpec).optional().describe('cross street: used as "primary & intersecting" when the first address column is 0'),
    lat: ColumnSpec.optional(),
    lon: ColumnSpec.optional(),
    location: LocationColumn.optional().describe('coordinates held in one column, instead of lat/lon'),
    district: ColumnSpec.optional(),
    beat: ColumnSpec.optional(),
    disposition: ColumnSpec.optional().describe('final disposition, looked up in dispositions'),
    closedAt: ColumnSpec.optional().describe('close time: the disposition\'s time (absent or empty: the call\'s last known time)'),
    cancelReason: ColumnSpec.optional(),
    firstUnitAssignedAt: ColumnSpec.optional().describe('one-row-per-call sources: first unit dispatched'),
    firstUnitEnRouteAt: ColumnSpec.optional(),
    firstUnitArrivedAt: ColumnSpec.optional(),
    firstUnitClearedAt: ColumnSpec.optional(),
    callClosedAt: ColumnSpec.optional(),
  })
  .strict();
export type Columns = z.infer<typeof Columns>;

/** Unit-per-row sources: each row's unit and its own times, replayed as that unit's history. */
export const UnitColumns = z
  .object({
    id: ColumnSpec.describe('unit id / call sign of the row'),
    type: ColumnSpec.optional().describe('unit type (ENGINE, MEDIC, ...)'),
    dispatchedAt: ColumnSpec,
    enRouteAt: ColumnSpec.optional(),
    onSceneAt: ColumnSpec.optional(),
    availableAt: ColumnSpec.optional().describe('the unit cleared / became available'),
  })
  .strict();
export type UnitColumns = z.infer<typeof UnitColumns>;

/** The agency's area for location sanity: a bounding box or a polygon ring, in WGS84 degrees. */
export const Area = z.union([
  z.object({ bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]).describe('[minLon, minLat, maxLon, maxLat]') }).strict(),
  z.object({ polygon: z.array(z.tuple([z.number(), z.number()])).min(3).describe('ring of [lon, lat]') }).strict(),
]);
export type Area = z.infer<typeof Area>;

function valueTable<T extends z.ZodType>(value: T) {
  return z
    .object({
      values: z.record(z.string(), value).describe('source value → cad110 value'),
      default: value.optional().describe('for a value the table does not list'),
    })
    .strict();
}

export const CallTypeEntry = z
  .object({
    subtype: z.string().describe('110 taxonomy subtype code'),
    priority: Priority.optional().describe('overrides the source priority'),
    group: z.string().max(64).optional().describe('the source\'s group of this call type (when the file has no group column)'),
  })
  .strict();

export const SourceMappingSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(2),
    source: z.string().min(1).max(64).describe('the source system, the externalRef.source of every call'),
    description: z.string(),
    taxonomyVersion: z.string(),
    dataset: z.string().describe('default file name in ../shared/data/calls'),
    timeZone: z.string().describe('IANA zone of the source\'s local times'),
    timeFormat: TimeFormat.default('sql').describe('default format of every time column'),
    notes: z.string().optional(),
    groupBy: z.object({ column: Column }).strict().optional().describe('unit-per-row sources: rows with the same value form one call'),
    columns: Columns,
    units: UnitColumns.optional().describe('with groupBy: the unit of each row and its times'),
    area: Area.optional(),
    redactedMarker: z.string().optional(),
    districtFromBeat: z.enum(['first-digit']).optional(),
    missingBeat: z.string().optional(),
    channels: valueTable(Channel).default({ values: {}, default: 'other' }),
    priorities: valueTable(Priority).default({ values: {} }),
    noDispatchPriorities: z.array(z.string()).default([]).describe('source priorities recorded but not handed to dispatch'),
    callTypes: valueTable(CallTypeEntry),
    dispositions: DispositionTable.optional(),
  })
  .strict();
export type SourceMapping = z.infer<typeof SourceMappingSchema>;

export const MAPPINGS_DIR = join(__dirname, '..', 'mappings');
export const MAPPING_SCHEMA_FILE = join(__dirname, '..', 'mapping.schema.json');

/** A mapping file that does not validate: every problem names its field (`columns.callType`, ...). */
export class MappingError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: invalid mapping\n  - ${problems.join('\n  - ')}`);
    this.name = 'MappingError';
  }
}

/** The closest of `options` to `word` when it is a plausible typo (edit distance ≤ a third of its length). */
export function didYouMean(word: string, options: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const d = leven(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) [best, bestD] = [o, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function knownKeys(schema: z.ZodType, path: PropertyKey[]): string[] {
  let s: any = schema;
  for (const p of path) {
    while (s?.def?.innerType) s = s.def.innerType;
    if (s?.def?.type === 'union') s = s.def.options.find((o: any) => o.def?.type === 'object') ?? s;
    if (s?.def?.type === 'object') s = s.def.shape[p as string];
    else if (s?.def?.type === 'record') s = s.def.valueType;
    else if (s?.def?.type === 'array') s = s.def.element;
    else return [];
  }
  while (s?.def?.innerType) s = s.def.innerType;
  if (s?.def?.type === 'union') s = s.def.options.find((o: any) => o.def?.type === 'object') ?? s;
  return s?.def?.type === 'object' ? Object.keys(s.def.shape) : [];
}

/** Zod issues as `path: message` lines, unknown keys with the closest known key. */
export function describeIssues(error: z.ZodError, schema: z.ZodType = SourceMappingSchema): string[] {
  const out: string[] = [];
  const walk = (issues: readonly z.core.$ZodIssue[], prefix: PropertyKey[]) => {
    for (const i of issues) {
      const path = [...prefix, ...i.path];
      const where = path.length ? path.join('.') : '(top level)';
      if (i.code === 'unrecognized_keys') {
        const known = knownKeys(schema, path);
        for (const k of i.keys) {
          const hint = didYouMean(k, known);
          out.push(`${[...path, k].join('.')}: unknown key${hint ? ` (did you mean "${hint}"?)` : known.length ? ` (known: ${known.join(', ')})` : ''}`);
        }
      } else if (i.code === 'invalid_union' && i.errors.length) {
        // report the branch that got furthest (the object form of a column spec, usually)
        const best = [...i.errors].sort((a, b) => Math.max(0, ...b.map((x) => x.path.length)) - Math.max(0, ...a.map((x) => x.path.length)))[0]!;
        walk(best, path);
      } else out.push(`${where}: ${i.message}`);
    }
  };
  walk(error.issues, []);
  return [...new Set(out)];
}

/** Parses JSON with comments; syntax errors name line and column. */
export function parseJsoncText(text: string, file: string): unknown {
  const errors: ParseError[] = [];
  const value = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    const lineOf = (offset: number) => text.slice(0, offset).split('\n').length;
    throw new MappingError(file, errors.map((e) => `line ${lineOf(e.offset)}: ${printParseErrorCode(e.error)}`));
  }
  return value;
}

/**
 * Validates a parsed mapping object: the schema (strict), the time zone, every subtype against the
 * taxonomy, and `units` only with `groupBy`.
 * @throws MappingError listing every problem with its field path
 */
export function validateMapping(raw: unknown, file: string, taxonomy: Taxonomy = loadTaxonomy()): SourceMapping {
  if (raw && typeof raw === 'object' && !('version' in raw)) throw new MappingError(file, ['version: missing; this is a v1 mapping? v2 files start with "version": 2 (see tools/importer/README.md)']);
  const parsed = SourceMappingSchema.safeParse(raw);
  if (!parsed.success) throw new MappingError(file, describeIssues(parsed.error));
  const m = parsed.data;
  const problems: string[] = [];
  try {
    assertTimeZone(m.timeZone);
  } catch (e) {
    problems.push(`timeZone: ${(e as Error).message}`);
  }
  const subtypes = taxonomy.allSubtypes().map((s) => s.code);
  const checkSubtype = (where: string, code: string) => {
    if (!taxonomy.subtype(code)) {
      const hint = didYouMean(code, subtypes);
      problems.push(`${where}.subtype: unknown taxonomy subtype "${code}"${hint ? ` (did you mean "${hint}"?)` : ''}`);
    }
  };
  for (const [k, v] of Object.entries(m.callTypes.values)) checkSubtype(`callTypes.values.${JSON.stringify(k)}`, v.subtype);
  if (m.callTypes.default) checkSubtype('callTypes.default', m.callTypes.default.subtype);
  if (m.units && !m.groupBy) problems.push('units: needs groupBy (one row per unit per call)');
  if (m.columns.location && (m.columns.lat || m.columns.lon)) problems.push('columns.location: give either location or lat/lon, not both');
  if ((m.columns.lat === undefined) !== (m.columns.lon === undefined)) problems.push(`columns.${m.columns.lat ? 'lon' : 'lat'}: lat and lon go together`);
  if (problems.length) throw new MappingError(file, problems);
  return m;
}

/** Path of a mapping by source name (`minneapolis-mpd`) or the path itself. */
export function mappingPath(nameOrPath: string): string {
  return /\.jsonc?$/.test(nameOrPath) ? nameOrPath : join(MAPPINGS_DIR, `${nameOrPath}.json`);
}

/**
 * Loads a mapping by source name (`minneapolis-mpd`, `san-diego-pd`) or path (JSON with comments).
 * Column names are checked against a file's header when it is read (`checkHeader`).
 * @throws MappingError listing every problem with its field path
 */
export function loadMapping(nameOrPath: string, taxonomy: Taxonomy = loadTaxonomy()): SourceMapping {
  const path = mappingPath(nameOrPath);
  return validateMapping(parseJsoncText(readFileSync(path, 'utf8'), path), path, taxonomy);
}

/** The column name of a spec. */
export const columnOf = (spec: ColumnSpec | LocationColumn): string => (typeof spec === 'string' ? spec : spec.column);

/** Every column a mapping reads, with the field that names it (`columns.callType`, `units.dispatchedAt`, ...). */
export function referencedColumns(m: SourceMapping): { field: string; column: string }[] {
  const out: { field: string; column: string }[] = [];
  const add = (field: string, spec: ColumnSpec | LocationColumn | undefined) => {
    if (spec === undefined) return;
    out.push({ field, column: columnOf(spec) });
    if (typeof spec !== 'string' && 'where' in spec && spec.where) out.push({ field: `${field}.where`, column: spec.where.column });
  };
  if (m.groupBy) out.push({ field: 'groupBy.column', column: m.groupBy.column });
  for (const [k, v] of Object.entries(m.columns)) {
    if (Array.isArray(v)) v.forEach((s, i) => add(`columns.${k}[${i}]`, s));
    else add(`columns.${k}`, v as ColumnSpec);
  }
  for (const [k, v] of Object.entries(m.units ?? {})) add(`units.${k}`, v as ColumnSpec);
  return out;
}

/**
 * Checks that every column the mapping names is in the file's header.
 * @throws MappingError naming each field whose column is missing, with the closest header name
 */
export function checkHeader(m: SourceMapping, header: readonly string[], file: string, mappingFile = m.source): void {
  const have = new Set(header);
  const problems = referencedColumns(m)
    .filter((r) => !have.has(r.column))
    .map((r) => {
      const hint = didYouMean(r.column, header);
      return `${r.field}: column ${JSON.stringify(r.column)} is not in the header of ${file}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}`;
    });
  if (problems.length) throw new MappingError(mappingFile, problems);
}

/** The JSON Schema of the mapping format (draft 2020-12), as committed in mapping.schema.json. */
export function mappingJsonSchema(): Record<string, unknown> {
  return { $id: 'https://cad110.example/schemas/importer-mapping-v2.json', title: 'cad110 importer mapping v2', ...z.toJSONSchema(SourceMappingSchema, { io: 'input', unrepresentable: 'any' }) } as Record<string, unknown>;
}
