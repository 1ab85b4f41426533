/**
 * The counting rule (issue 13 item 2): under which classification and on which local day a call
 * counts — ONE definition, used by statistics (every figure of calls and incidents) and by records
 * (the category/subtype and the day a case is listed, filtered and exported under), so both answer
 * the same for the same filter. Written out in services/statistics/README.md, "What counts where".
 *
 * - **Classification**: the call's latest `CallClassified` by `classifiedAt`, whenever it was
 *   made — before or after the hand-over to dispatch; of two with the same `classifiedAt` the one
 *   read later in the call's stream. The hand-over snapshot (`CallHandedToDispatch`,
 *   `IncidentOpened`, `CaseOpened`) counts only until a classification is known.
 * - **District**: the district of the call's latest `CallLocated` (intake; the event carries the
 *   district code), also one made after the hand-over — a relocation moves the call, its incident's
 *   figures and its case. `CallLocated` carries no time of its own, so "latest" is the classification
 *   rule's tie-break alone: later in the call's stream (`streamVersion`). A latest `CallLocated`
 *   without a district (e.g. outside the service area) means no district, not the previous one. The
 *   hand-over snapshot's district counts only until a `CallLocated` is known.
 * - **Day**: the local day of the call's `answeredAt` (`CallReceived`; the hand-over and the
 *   incident repeat it) in the bureau's IANA zone (`BUREAU_TIME_ZONE`, default Asia/Shanghai),
 *   midnight to midnight. Never the day of the hand-over, the incident or the case.
 * - **What is counted**: statistics counts calls (and, of them, incidents); records holds one
 *   case per call handed over to dispatch. A call never handed over has no case: statistics counts
 *   it, records cannot list it. So for one filter, records' cases = statistics' calls of that filter
 *   that were handed over.
 */
import { localDayStartUtc, localParts } from './time';

/** The fields of a classification the rule compares. */
export interface CountedClassification {
  /** when the classification was made (UTC ISO-8601) */
  classifiedAt: string;
}

/**
 * True when `next` replaces `current` as the call's counting classification: `next` is not older
 * (`classifiedAt` later or equal; equal = the later one read in the stream wins). Any
 * classification replaces none.
 */
export function replacesClassification(next: CountedClassification, current: CountedClassification | null | undefined): boolean {
  if (!current) return true;
  return Date.parse(next.classifiedAt) >= Date.parse(current.classifiedAt);
}

/** The counting classification of a call: the latest of its classifications in stream order (null when none). */
export function countingClassification<C extends CountedClassification>(inStreamOrder: readonly C[]): C | null {
  let out: C | null = null;
  for (const c of inStreamOrder) if (replacesClassification(c, out)) out = c;
  return out;
}

/** The fields of a location the rule compares. */
export interface CountedLocation {
  /** the `CallLocated` event's version in the call's stream (`call-<id>`) */
  streamVersion: number;
  district?: string | null;
}

/**
 * True when `next` replaces `current` as the call's counting location: it is not earlier in the
 * call's stream (equal = the same event read again). Any location replaces none.
 */
export function replacesLocation(next: CountedLocation, current: CountedLocation | null | undefined): boolean {
  if (!current) return true;
  return next.streamVersion >= current.streamVersion;
}

/** The counting location of a call: the latest of its `CallLocated`s, in any read order (null when none). */
export function countingLocation<L extends CountedLocation>(locations: readonly L[]): L | null {
  let out: L | null = null;
  for (const l of locations) if (replacesLocation(l, out)) out = l;
  return out;
}

/**
 * The district a call counts under: its counting location's district (null when that location has
 * none); `handedOver` (the hand-over snapshot's) only while no `CallLocated` is known.
 */
export function countingDistrict(locations: readonly CountedLocation[], handedOver?: string | null): string | null {
  const latest = countingLocation(locations);
  return latest ? (latest.district ?? null) : (handedOver ?? null);
}

/** The local day `YYYY-MM-DD` a call counts on: its answer time in the bureau zone. */
export function countingDay(answeredAt: string | Date, zone: string): string {
  return localParts(answeredAt, zone).day;
}

/**
 * The answer-time range `[start, end)` (UTC ISO-8601) of the calls counting on the local days
 * `from`..`to` (inclusive) in `zone`: `countingDay(t) ∈ [from, to]` ⇔ `start ≤ t < end`, DST-safe.
 * Either end may be open (undefined).
 */
export function countingDayRange(from: string | undefined, to: string | undefined, zone: string): { start?: string; end?: string } {
  return {
    ...(from ? { start: localDayStartUtc(from, zone) } : {}),
    ...(to ? { end: localDayStartUtc(nextDay(to), zone) } : {}),
  };
}

/** The calendar day after `day` (YYYY-MM-DD). */
function nextDay(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) throw new Error(`invalid day: ${day}`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
