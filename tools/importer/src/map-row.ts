import { localToUtc, type Taxonomy } from '@cad110/contracts';
import type { SourceMapping } from './mapping';
import { dispositionOf, type RowDisposition } from './dispositions';

/** The body posted to intake's `POST /calls` for one source row. */
export interface CallBody {
  channel: string;
  answeredAt: string;
  createdAt?: string;
  handedAt?: string;
  location?: { address?: string; lat?: number; lon?: number; district?: string; beat?: string; source: 'import' };
  classification: { subtype: string; priority: number; sourceCode: string; reason?: string };
  handToDispatch: boolean;
  externalRef: { source: string; id: string };
}

/** A mapped row with what the replay and its checks need besides the body. */
export interface MappedCall {
  body: CallBody;
  /** taxonomy category and subtype the row maps to (for independent checks) */
  category: string;
  subtype: string;
  /** the row's disposition when the mapping has a `dispositions` table */
  disposition?: RowDisposition;
  /** the source's dispatch times (UTC) when the mapping names those columns and the row has them */
  dispatchHistory?: DispatchHistory;
}

/** Dispatch times of a source row, UTC ISO-8601 (first unit assigned / en route / arrived / cleared; call closed). */
export interface DispatchHistory {
  assignedAt?: string;
  enRouteAt?: string;
  arrivedAt?: string;
  clearedAt?: string;
  closedAt?: string;
}

/** The row could not be mapped (bad time, unknown call type...): reported, never posted. */
export class RowError extends Error {}

function clean(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t ? t : undefined;
}

/**
 * Maps one CSV row (header → value) of a source onto an intake call body.
 * Local times are converted from the source's IANA zone to UTC; coordinates that are not
 * numbers (e.g. `REDACTED`) are dropped; the call type goes through the mapping's table.
 * @throws RowError when the row has no usable answer time or an unmapped call type
 */
export function mapRow(row: Record<string, string>, m: SourceMapping, taxonomy: Taxonomy): MappedCall {
  const c = m.columns;
  const id = clean(row[c.id]);
  if (!id) throw new RowError(`missing ${c.id}`);
  const toUtc = (col?: string) => {
    const v = col ? clean(row[col]) : undefined;
    if (!v) return undefined;
    try {
      return localToUtc(v, m.timeZone);
    } catch {
      throw new RowError(`${id}: bad time in ${col}: ${v}`);
    }
  };
  const answeredAt = toUtc(c.answeredAt);
  if (!answeredAt) throw new RowError(`${id}: missing ${c.answeredAt}`);
  const callType = row[c.callType] ?? '';
  const mapped = m.callTypes[callType];
  if (!mapped) throw new RowError(`${id}: call type ${JSON.stringify(callType)} has no mapping`);
  const sub = taxonomy.subtype(mapped.subtype)!;
  const srcPriority = clean(row[c.priority]) ?? '';
  const priority = mapped.priority ?? m.priorities[srcPriority] ?? sub.defaultPriority;

  const redacted = (v: string | undefined) => (v && m.redactedMarker && v === m.redactedMarker ? undefined : v);
  const location: NonNullable<CallBody['location']> = { source: 'import' };
  const address = addressOf(row, m);
  if (address) location.address = address;
  const lat = Number(redacted(clean(c.lat ? row[c.lat] : undefined)) ?? NaN);
  const lon = Number(redacted(clean(c.lon ? row[c.lon] : undefined)) ?? NaN);
  if (Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
    location.lat = lat;
    location.lon = lon;
  }
  const beat = clean(c.beat ? row[c.beat] : undefined);
  if (beat && beat !== m.missingBeat) location.beat = beat;
  const district = c.district ? clean(row[c.district]) : beat && beat !== m.missingBeat && m.districtFromBeat === 'first-digit' ? `Division ${beat[0]}` : undefined;
  if (district) location.district = district;

  let createdAt = toUtc(c.createdAt);
  let handedAt = toUtc(c.handedAt) ?? createdAt;
  // intake refuses times before the answer; source clocks sometimes disagree by a few seconds
  if (createdAt && createdAt < answeredAt) createdAt = answeredAt;
  if (handedAt && handedAt < answeredAt) handedAt = answeredAt;
  const channel = (c.channel ? m.channels[clean(row[c.channel]) ?? ''] : undefined) ?? m.defaultChannel;
  const initial = c.initialCallType ? clean(row[c.initialCallType]) : undefined;
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
      ...(initial && initial !== callType ? { reason: `source reclassified from ${initial}` } : {}),
    },
    handToDispatch: !m.noDispatchPriorities.includes(srcPriority),
    externalRef: { source: m.source, id },
  };
  const history: DispatchHistory = {};
  const optionalUtc = (col?: string) => {
    try {
      return toUtc(col);
    } catch {
      return undefined; // a bad dispatch time never rejects the call; that step is just not replayed
    }
  };
  for (const [key, col] of [
    ['assignedAt', c.firstUnitAssignedAt],
    ['enRouteAt', c.firstUnitEnRouteAt],
    ['arrivedAt', c.firstUnitArrivedAt],
    ['clearedAt', c.firstUnitClearedAt],
    ['closedAt', c.callClosedAt],
  ] as const) {
    const t = optionalUtc(col);
    if (t) history[key] = t;
  }
  const disposition = dispositionOf(row, m);
  return { body, category: sub.category, subtype: sub.code, ...(disposition ? { disposition } : {}), ...(Object.keys(history).length ? { dispatchHistory: history } : {}) };
}

function addressOf(row: Record<string, string>, m: SourceMapping): string | undefined {
  const join = (cols: string[]) => cols.map((col) => clean(row[col])).filter((x) => x && x !== m.redactedMarker).join(' ');
  const primaryCols = m.columns.address;
  if (primaryCols.length === 0) return undefined;
  const [numberCol, ...rest] = primaryCols;
  if (m.columns.intersection && numberCol && clean(row[numberCol]) === '0') {
    const a = join(rest);
    const b = join(m.columns.intersection);
    return (b ? `${a} & ${b}` : a) || undefined;
  }
  return join(primaryCols) || undefined;
}
