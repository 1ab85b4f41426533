import type { Taxonomy } from '@cad110/contracts';
import { columnOf, type ColumnSpec, type LocationColumn, type SourceMapping } from './mapping';
import { dispositionFromValues, type RowDisposition } from './dispositions';
import { locationFlag, parseLocationText, type LocationFlag } from './location';
import { timeParser } from './times';

/** The body posted to intake's `POST /calls` for one source call. */
export interface CallBody {
  channel: string;
  answeredAt: string;
  createdAt?: string;
  handedAt?: string;
  location?: { address?: string; lat?: number; lon?: number; district?: string; beat?: string; source: 'import' };
  classification: { subtype: string; priority: number; sourceCode: string; sourceGroup?: string; reason?: string };
  handToDispatch: boolean;
  externalRef: { source: string; id: string };
}

/** One responding unit of a unit-per-row source: its own times (UTC ISO-8601), in source order. */
export interface UnitHistory {
  unitId: string;
  unitType?: string;
  /** CSV line of the unit's row */
  line: number;
  dispatchedAt: string;
  enRouteAt?: string;
  onSceneAt?: string;
  availableAt?: string;
}

/** A mapped call with what the replay and its checks need besides the body. */
export interface MappedCall {
  body: CallBody;
  /** taxonomy category and subtype the call maps to (for independent checks) */
  category: string;
  subtype: string;
  /** CSV line numbers of the call's rows (1 = the header) */
  lines: number[];
  /** the call's disposition when the mapping has a `dispositions` table */
  disposition?: RowDisposition;
  /** the source's first-unit dispatch times (UTC) when the mapping names those columns and the call has them */
  dispatchHistory?: DispatchHistory;
  /** unit-per-row sources: every responding unit with its own times, by dispatch time */
  units?: UnitHistory[];
  /** the source call type was not in `callTypes.values` and took `callTypes.default` */
  defaulted?: true;
  /** a source coordinate that was not trusted (dropped from the body) */
  suspectLocation?: { flag: LocationFlag; lat: number | null; lon: number | null; text?: string };
  /** values that were dropped without rejecting the call (bad optional times, ...) */
  warnings?: string[];
}

/** Dispatch times of a source call, UTC ISO-8601 (first unit assigned / en route / arrived / cleared; call closed). */
export interface DispatchHistory {
  assignedAt?: string;
  enRouteAt?: string;
  arrivedAt?: string;
  clearedAt?: string;
  closedAt?: string;
}

/** Why a call was rejected; `reason` has no row value in it, so rejections group by it. */
export type RejectCode = 'missing-id' | 'missing-time' | 'bad-time' | 'unmapped-call-type';

/** The call could not be mapped (bad time, unknown call type...): reported, never posted. */
export class RowError extends Error {
  constructor(
    message: string,
    readonly code: RejectCode = 'bad-time',
    /** the reason without the row's value, e.g. `bad time in Received DtTm (MM/dd/yyyy hh:mm:ss a)` */
    readonly reason: string = message,
    readonly value?: string,
  ) {
    super(message);
    this.name = 'RowError';
  }
}

/** One CSV record with its line number (1 = the header). */
export interface SourceRow {
  line: number;
  values: Record<string, string>;
}

function clean(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

const isNum = (s: string) => s !== '' && Number.isFinite(Number(s));

/** The rows of a group a spec reads (its `where` filter applied). */
function rowsOf(rows: readonly SourceRow[], spec: ColumnSpec | LocationColumn): readonly SourceRow[] {
  if (typeof spec === 'string' || !('where' in spec) || !spec.where) return rows;
  const { column, equals } = spec.where;
  return rows.filter((r) => (r.values[column] ?? '').trim() === equals);
}

/** A text value of a group under the spec's aggregation (see `Aggregation`). */
export function textValue(rows: readonly SourceRow[], spec: ColumnSpec | LocationColumn | undefined): string | undefined {
  if (spec === undefined) return undefined;
  const col = columnOf(spec);
  const agg = typeof spec === 'string' ? 'first' : (spec.agg ?? 'first');
  const vals = rowsOf(rows, spec)
    .map((r) => clean(r.values[col]))
    .filter((v): v is string => v !== undefined);
  if (agg === 'count') return String(vals.length);
  if (!vals.length) return undefined;
  if (agg === 'first') return vals[0];
  if (agg === 'last') return vals.at(-1);
  const numeric = vals.every(isNum);
  const sorted = [...vals].sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
  return agg === 'min' ? sorted[0] : sorted.at(-1);
}

/**
 * Maps the rows of one source call onto an intake call body: one row for call-per-row sources,
 * every row with the same `groupBy` value for unit-per-row sources (each field aggregated as its
 * spec says; each row's unit history kept). Local times are read with each column's format in the
 * source's zone and converted to UTC; coordinates that are not numbers (e.g. `REDACTED`) are
 * dropped, suspicious ones (0/0, swapped, outside the area) flagged and dropped; the call type,
 * priority, channel and disposition go through the mapping's value tables.
 * @throws RowError when the call has no id, no usable answer time or an unmapped call type without a default
 */
export function mapGroup(rows: readonly SourceRow[], m: SourceMapping, taxonomy: Taxonomy): MappedCall {
  const c = m.columns;
  const warnings: string[] = [];
  const text = (spec: ColumnSpec | undefined) => textValue(rows, spec);
  const id = text(c.id);
  if (!id) throw new RowError(`missing ${columnOf(c.id)}`, 'missing-id', `missing id in ${columnOf(c.id)}`);
  const fmtOf = (spec: ColumnSpec) => (typeof spec === 'string' ? undefined : spec.format) ?? m.timeFormat;
  const parseTime = (spec: ColumnSpec, value: string, required: boolean): string | undefined => {
    const t = timeParser(fmtOf(spec), m.timeZone)(value);
    if (t !== undefined) return t;
    const col = columnOf(spec);
    const reason = `bad time in ${col} (format ${fmtOf(spec)})`;
    if (required) throw new RowError(`${id}: bad time in ${col}: ${value}`, 'bad-time', reason, value);
    warnings.push(`${reason}: ${value}`);
    return undefined;
  };
  /** a time of the group: each row's value parsed, then aggregated (min/max by instant) */
  const timeOf = (spec: ColumnSpec | undefined, required = false, subset: readonly SourceRow[] = rows): string | undefined => {
    if (spec === undefined) return undefined;
    const agg = typeof spec === 'string' ? 'first' : (spec.agg ?? 'first');
    const col = columnOf(spec);
    const vals = rowsOf(subset, spec)
      .map((r) => clean(r.values[col]))
      .filter((v): v is string => v !== undefined);
    if (!vals.length) return undefined;
    if (agg === 'first' || agg === 'last' || agg === 'count') return parseTime(spec, agg === 'last' ? vals.at(-1)! : vals[0]!, required);
    const times = vals.map((v) => parseTime(spec, v, required)).filter((t): t is string => t !== undefined).sort();
    return agg === 'min' ? times[0] : times.at(-1);
  };

  const answeredAt = timeOf(c.answeredAt, true);
  if (!answeredAt) throw new RowError(`${id}: missing ${columnOf(c.answeredAt)}`, 'missing-time', `missing answer time in ${columnOf(c.answeredAt)}`);
  const callType = text(c.callType) ?? '';
  let mapped = m.callTypes.values[callType];
  let defaulted = false;
  if (!mapped && m.callTypes.default) {
    mapped = m.callTypes.default;
    defaulted = true;
  }
  if (!mapped) throw new RowError(`${id}: call type ${JSON.stringify(callType)} has no mapping`, 'unmapped-call-type', `call type ${JSON.stringify(callType)} has no mapping and callTypes has no default`, callType);
  const sub = taxonomy.subtype(mapped.subtype)!;
  const srcPriority = text(c.priority) ?? '';
  const priority = mapped.priority ?? m.priorities.values[srcPriority] ?? m.priorities.default ?? sub.defaultPriority;

  const redacted = (v: string | undefined) => (v && m.redactedMarker && v === m.redactedMarker ? undefined : v);
  const location: NonNullable<CallBody['location']> = { source: 'import' };
  const address = addressOf(rows, m);
  if (address) location.address = address;
  let coords: { lat: number; lon: number } | undefined;
  let locText: string | undefined;
  if (c.location) {
    locText = redacted(text(c.location));
    if (locText) {
      coords = parseLocationText(locText, c.location.format);
      if (!coords) warnings.push(`unreadable location in ${c.location.column}: ${locText.slice(0, 60)}`);
    }
  } else {
    const latT = redacted(text(c.lat));
    const lonT = redacted(text(c.lon));
    if (latT && lonT && isNum(latT) && isNum(lonT)) coords = { lat: Number(latT), lon: Number(lonT) };
  }
  let suspectLocation: MappedCall['suspectLocation'];
  if (coords) {
    const flag = locationFlag(coords.lat, coords.lon, m.area);
    if (flag) suspectLocation = { flag, lat: coords.lat, lon: coords.lon };
    else {
      location.lat = coords.lat;
      location.lon = coords.lon;
    }
  } else if (c.location && locText) suspectLocation = { flag: 'unreadable', lat: null, lon: null, text: locText.slice(0, 60) };
  const beat = text(c.beat);
  if (beat && beat !== m.missingBeat) location.beat = beat;
  const district = c.district ? text(c.district) : beat && beat !== m.missingBeat && m.districtFromBeat === 'first-digit' ? `Division ${beat[0]}` : undefined;
  if (district) location.district = district;

  const optionalTime = (spec: ColumnSpec | undefined) => timeOf(spec, false);
  let createdAt = optionalTime(c.createdAt);
  const handToDispatch = !m.noDispatchPriorities.includes(srcPriority);
  // a source without a hand-over time handed the call at its creation (else intake would date it at the replay)
  let handedAt = optionalTime(c.handedAt) ?? createdAt ?? (handToDispatch ? answeredAt : undefined);
  // intake refuses times before the answer; source clocks sometimes disagree by a few seconds
  if (createdAt && createdAt < answeredAt) createdAt = answeredAt;
  if (handedAt && handedAt < answeredAt) handedAt = answeredAt;
  const channelValue = text(c.channel) ?? '';
  const channel = (c.channel ? m.channels.values[channelValue] : undefined) ?? m.channels.default ?? 'other';
  const initial = text(c.initialCallType);
  const group = text(c.callTypeGroup) ?? mapped.group;
  const body: CallBody = {
    channel,
    answeredAt,
    ...(createdAt ? { createdAt } : {}),
    ...(handedAt ? { handedAt } : {}),
    location,
    classification: {
      subtype: sub.code,
      priority,
      sourceCode: callType.slice(0, 64),
      ...(group ? { sourceGroup: group.slice(0, 64) } : {}),
      ...(initial && initial !== callType ? { reason: `source reclassified from ${initial}` } : {}),
    },
    handToDispatch,
    externalRef: { source: m.source, id },
  };

  const history: DispatchHistory = {};
  for (const [key, spec] of [
    ['assignedAt', c.firstUnitAssignedAt],
    ['enRouteAt', c.firstUnitEnRouteAt],
    ['arrivedAt', c.firstUnitArrivedAt],
    ['clearedAt', c.firstUnitClearedAt],
    ['closedAt', c.callClosedAt],
  ] as const) {
    const t = optionalTime(spec); // a bad dispatch time never rejects the call; that step is just not replayed
    if (t) history[key] = t;
  }
  let units: UnitHistory[] | undefined;
  if (m.units) {
    const u = m.units;
    units = [];
    for (const r of rows) {
      const one = [r];
      const unitId = textValue(one, u.id);
      const dispatchedAt = timeOf(u.dispatchedAt, false, one);
      if (!unitId || !dispatchedAt) continue; // a row without a unit or a dispatch time is no unit response
      const h: UnitHistory = { unitId: unitId.slice(0, 64), line: r.line, dispatchedAt };
      const type = textValue(one, u.type);
      if (type) h.unitType = type;
      const e = timeOf(u.enRouteAt, false, one);
      const s = timeOf(u.onSceneAt, false, one);
      const a = timeOf(u.availableAt, false, one);
      if (e) h.enRouteAt = e;
      if (s) h.onSceneAt = s;
      if (a) h.availableAt = a;
      units.push(h);
    }
    units.sort((a, b) => (a.dispatchedAt < b.dispatchedAt ? -1 : a.dispatchedAt > b.dispatchedAt ? 1 : a.line - b.line));
    // the call's first-unit times by definition: the earliest dispatch, en route, arrival of any unit
    const min = (xs: (string | undefined)[]) => xs.filter((x): x is string => !!x).sort()[0];
    if (units.length && !history.assignedAt) {
      history.assignedAt = units[0]!.dispatchedAt;
      const e = min(units.map((x) => x.enRouteAt));
      const s = min(units.map((x) => x.onSceneAt));
      const a = min(units.map((x) => x.availableAt));
      if (e) history.enRouteAt = e;
      if (s) history.arrivedAt = s;
      if (a) history.clearedAt = a;
    }
  }
  const closedAt = optionalTime(c.closedAt);
  // a source without close times: the disposition is dated at the call's last known time (never the replay day)
  const lastKnown = [answeredAt, createdAt, handedAt, ...Object.values(history), ...(units ?? []).flatMap((x) => [x.dispatchedAt, x.enRouteAt, x.onSceneAt, x.availableAt])].filter((x): x is string => !!x).sort().at(-1)!;
  const disposition = m.dispositions && c.disposition ? dispositionFromValues({ value: text(c.disposition) ?? '', cancelReason: text(c.cancelReason) ?? '', at: closedAt ?? lastKnown }, m) : undefined;
  return {
    body,
    category: sub.category,
    subtype: sub.code,
    lines: rows.map((r) => r.line),
    ...(disposition ? { disposition } : {}),
    ...(Object.keys(history).length ? { dispatchHistory: history } : {}),
    ...(units ? { units } : {}),
    ...(defaulted ? { defaulted: true as const } : {}),
    ...(suspectLocation ? { suspectLocation } : {}),
    ...(warnings.length ? { warnings } : {}),
  };
}

/** Maps one CSV row (header → value) of a call-per-row source; see `mapGroup`. */
export function mapRow(row: Record<string, string>, m: SourceMapping, taxonomy: Taxonomy, line = 0): MappedCall {
  return mapGroup([{ line, values: row }], m, taxonomy);
}

function addressOf(rows: readonly SourceRow[], m: SourceMapping): string | undefined {
  const join = (specs: ColumnSpec[]) =>
    specs
      .map((s) => textValue(rows, s))
      .filter((x) => x && x !== m.redactedMarker)
      .join(' ');
  const primary = m.columns.address;
  if (primary.length === 0) return undefined;
  const [numberSpec, ...rest] = primary;
  if (m.columns.intersection && numberSpec && textValue(rows, numberSpec) === '0') {
    const a = join(rest);
    const b = join(m.columns.intersection);
    return (b ? `${a} & ${b}` : a) || undefined;
  }
  return join(primary) || undefined;
}

/**
 * The disposition of one CSV row (call-per-row sources) under the mapping's `dispositions` table;
 * see `dispositionFromValues` (dispositions.ts). The close time is the `closedAt` column read with its format
 * (absent or unreadable: no `at`; `mapGroup` then dates it at the call's last known time).
 * @returns undefined when the mapping has no dispositions table or no disposition column
 */
export function dispositionOf(row: Record<string, string>, m: SourceMapping): RowDisposition | undefined {
  const col = m.columns.disposition;
  if (!m.dispositions || !col) return undefined;
  const one = [{ line: 0, values: row }];
  const closed = textValue(one, m.columns.closedAt);
  const spec = m.columns.closedAt;
  const at = closed && spec ? timeParser((typeof spec === 'string' ? undefined : spec.format) ?? m.timeFormat, m.timeZone)(closed) : undefined;
  return dispositionFromValues({ value: textValue(one, col) ?? '', cancelReason: textValue(one, m.columns.cancelReason) ?? '', ...(at ? { at } : {}) }, m);
}
