/**
 * Pure folds of cad110's events into statistics' projection rows. The live consumer
 * (`live.ts`) and the rebuild (`rebuild.ts`) both use these functions, so a rebuild from the
 * event log gives the same rows as the live projection by construction (and a test checks it).
 *
 * Order independence: events of one call travel on three topics, and a topic's partitions are
 * consumed concurrently, so the fold never relies on the arrival order across topics:
 * - call fields come from the call's own stream (one partition, stream order);
 *   a classification only replaces an older or equal `classifiedAt`;
 * - dispatch times are minima (first unit dispatched, first unit on scene);
 * - a case's disposition is the one with the latest `recordedAt` (ties: the later one read);
 * - a row created by an early event is a placeholder (`received = false`) until CallReceived.
 */
import { latLngToCell } from 'h3-js';
import {
  countingDay,
  localParts,
  replacesClassification,
  TWO_ROBBERIES_ONE_THEFT,
  type CallClassified,
  type CallLocated,
  type CallReceived,
  type CaseOpened,
  type DispositionRecorded,
  type DutyLevelChanged,
  type EventEnvelope,
  type IncidentOpened,
  type UnitDispatched,
  type UnitStatusChanged,
} from '@cad110/contracts';
import type { z } from 'zod';

/** Configuration of the projections (changing it needs a rebuild). */
export interface ProjectionConfig {
  /** bureau IANA zone: day boundary = local midnight */
  timeZone: string;
  /** H3 resolution stored per call (0..15); hot-spot queries use this or a coarser one */
  h3Resolution: number;
}

/** Default stored H3 resolution (`STATS_H3_RESOLUTION`): 9 ≈ 0.1 km² hexagons, edge ≈ 174 m. */
export const DEFAULT_H3_RESOLUTION = 9;

/** One call (counting unit: call). Times are UTC ISO-8601; durations in seconds. */
export interface CallFactRow {
  callId: string;
  received: boolean;
  answeredAt: string;
  ringingAt: string | null;
  localDay: string;
  localHour: number;
  hourOfWeek: number;
  channel: string;
  kind: string | null;
  category: string | null;
  subtype: string | null;
  priority: number | null;
  flags: string[];
  twoRob: boolean;
  classifiedAt: string | null;
  /** the source system's call-type code and its group (replayed calls; kept through later reclassifications) */
  sourceCode: string | null;
  sourceGroup: string | null;
  district: string | null;
  beat: string | null;
  lat: number | null;
  lon: number | null;
  h3Cell: string | null;
  cancelled: boolean;
  duplicate: boolean;
  incidentId: string | null;
  dispatchedAt: string | null;
  onSceneAt: string | null;
  answerS: number | null;
  processingS: number | null;
  travelS: number | null;
  totalS: number | null;
}

export interface IncidentFactRow {
  incidentId: string;
  callId: string | null;
  openedAt: string | null;
  dispatchedAt: string | null;
  onSceneAt: string | null;
}

export interface CaseFactRow {
  caseId: string;
  callId: string | null;
  incidentId: string | null;
  openedAt: string | null;
  category: string | null;
  subtype: string | null;
  district: string | null;
  codes: string[];
  suspectsCaught: number;
  peopleRescued: number;
  dispositionAt: string | null;
  dispositionDay: string | null;
}

export interface UnitStateRow {
  unitId: string;
  status: string;
  at: string;
  incidentId: string | null;
}

export interface DutyLevelRow {
  district: string;
  level: string;
  at: string;
}

const EPOCH = new Date(0).toISOString();

/** A placeholder call row (not counted until CallReceived arrives). */
export function emptyCall(callId: string): CallFactRow {
  return {
    callId,
    received: false,
    answeredAt: EPOCH,
    ringingAt: null,
    localDay: '',
    localHour: 0,
    hourOfWeek: 0,
    channel: 'unknown',
    kind: null,
    category: null,
    subtype: null,
    priority: null,
    flags: [],
    twoRob: false,
    classifiedAt: null,
    sourceCode: null,
    sourceGroup: null,
    district: null,
    beat: null,
    lat: null,
    lon: null,
    h3Cell: null,
    cancelled: false,
    duplicate: false,
    incidentId: null,
    dispatchedAt: null,
    onSceneAt: null,
    answerS: null,
    processingS: null,
    travelS: null,
    totalS: null,
  };
}

export function emptyIncident(incidentId: string): IncidentFactRow {
  return { incidentId, callId: null, openedAt: null, dispatchedAt: null, onSceneAt: null };
}

export function emptyCase(caseId: string): CaseFactRow {
  return { caseId, callId: null, incidentId: null, openedAt: null, category: null, subtype: null, district: null, codes: [], suspectsCaught: 0, peopleRescued: 0, dispositionAt: null, dispositionDay: null };
}

/** A UTC instant normalised to millisecond precision (what the database keeps), ISO-8601 with Z. */
export function ms(iso: string): string {
  return new Date(Date.parse(iso)).toISOString();
}

/** The earlier of two optional UTC instants (ISO text of equal format compares as time). */
export function minInstant(a: string | null, b: string | null): string | null {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

/**
 * Seconds from `start` to `end`, or null when either is missing or the interval is negative
 * (source clocks that disagree; such an interval is left out of every response-time figure).
 */
export function intervalSeconds(start: string | null, end: string | null): number | null {
  if (!start || !end) return null;
  const ms = Date.parse(end) - Date.parse(start);
  return ms >= 0 ? ms / 1000 : null;
}

/** Recomputes the response-time intervals of a call row from its instants. */
export function deriveIntervals(f: CallFactRow): CallFactRow {
  const answered = f.received ? f.answeredAt : null;
  return {
    ...f,
    answerS: intervalSeconds(f.ringingAt, answered),
    processingS: intervalSeconds(answered, f.dispatchedAt),
    travelS: intervalSeconds(f.dispatchedAt, f.onSceneAt),
    totalS: intervalSeconds(answered, f.onSceneAt),
  };
}

/** Event types that change a call row directly (all from intake's calls topic). */
export const CALL_ROW_EVENTS = new Set(['CallReceived', 'CallClassified', 'CallLocated', 'CallCancelled', 'CallLinkedAsDuplicate']);

/**
 * Applies one of intake's events to a call row.
 * - CallReceived: answer/ringing time, local day/hour/hour-of-week of the answer in the bureau zone, channel;
 * - CallClassified: kind, category, subtype, priority, flags (unless an older classifiedAt); the
 *   source call type and group when it carries them (a reclassification without keeps them);
 * - CallLocated: district, beat, coordinates and their H3 cell (replaces the previous location);
 * - CallCancelled: cancelled = true; CallLinkedAsDuplicate: duplicate = true.
 */
export function applyCallEvent(f: CallFactRow, event: EventEnvelope, cfg: ProjectionConfig): CallFactRow {
  switch (event.type) {
    case 'CallReceived': {
      const d = event.data as z.infer<typeof CallReceived.schema>;
      // the counting rule (libs/contracts counting.ts): a call counts on the local day of its answer
      const p = localParts(d.answeredAt, cfg.timeZone);
      return deriveIntervals({ ...f, received: true, answeredAt: ms(d.answeredAt), ringingAt: d.ringingAt ? ms(d.ringingAt) : null, localDay: countingDay(d.answeredAt, cfg.timeZone), localHour: p.hour, hourOfWeek: p.hourOfWeek, channel: d.channel });
    }
    case 'CallClassified': {
      const d = event.data as z.infer<typeof CallClassified.schema>;
      // the counting rule: the latest classification by classifiedAt, also one made after the hand-over
      if (!replacesClassification(d, f.classifiedAt ? { classifiedAt: f.classifiedAt } : null)) return f;
      const flags = [...new Set(d.flags)].sort();
      const source = d.sourceCode ? { sourceCode: d.sourceCode, sourceGroup: d.sourceGroup ?? null } : {};
      return { ...f, kind: d.kind, category: d.category, subtype: d.subtype, priority: d.priority, flags, twoRob: flags.includes(TWO_ROBBERIES_ONE_THEFT), classifiedAt: ms(d.classifiedAt), ...source };
    }
    case 'CallLocated': {
      const d = event.data as z.infer<typeof CallLocated.schema>;
      // the counting rule (countingDistrict): the latest CallLocated in the call's stream, also after
      // the hand-over; a call's events are read here once each, in stream order (one partition per call)
      const located = d.lat !== undefined && d.lon !== undefined;
      return {
        ...f,
        district: d.district ?? null,
        beat: d.beat ?? null,
        lat: d.lat ?? null,
        lon: d.lon ?? null,
        h3Cell: located ? latLngToCell(d.lat!, d.lon!, cfg.h3Resolution) : null,
      };
    }
    case 'CallCancelled':
      return { ...f, cancelled: true };
    case 'CallLinkedAsDuplicate':
      return { ...f, duplicate: true };
    default:
      return f;
  }
}

/** Copies an incident's id and first dispatch / first arrival onto its call row. */
export function withIncident(f: CallFactRow, inc: IncidentFactRow): CallFactRow {
  return deriveIntervals({
    ...f,
    incidentId: inc.incidentId,
    dispatchedAt: minInstant(f.dispatchedAt, inc.dispatchedAt),
    onSceneAt: minInstant(f.onSceneAt, inc.onSceneAt),
  });
}

/** Event types that change an incident row. */
export const INCIDENT_EVENTS = new Set(['IncidentOpened', 'UnitDispatched', 'UnitStatusChanged']);

/** Incident id an incident event refers to (UnitStatusChanged only when it names one). */
export function incidentIdOf(event: EventEnvelope): string | undefined {
  const d = event.data as { incidentId?: string };
  return INCIDENT_EVENTS.has(event.type) ? d.incidentId : undefined;
}

/**
 * Applies dispatch's events to an incident row:
 * - IncidentOpened: call id and opening time;
 * - UnitDispatched: first dispatch = the earliest `dispatchedAt` of any unit;
 * - UnitStatusChanged to `on-scene`: first arrival = the earliest `at` of any unit.
 */
export function applyIncidentEvent(inc: IncidentFactRow, event: EventEnvelope): IncidentFactRow {
  switch (event.type) {
    case 'IncidentOpened': {
      const d = event.data as z.infer<typeof IncidentOpened.schema>;
      return { ...inc, callId: d.callId, openedAt: ms(d.openedAt) };
    }
    case 'UnitDispatched': {
      const d = event.data as z.infer<typeof UnitDispatched.schema>;
      return { ...inc, callId: inc.callId ?? d.callId, dispatchedAt: minInstant(inc.dispatchedAt, ms(d.dispatchedAt)) };
    }
    case 'UnitStatusChanged': {
      const d = event.data as z.infer<typeof UnitStatusChanged.schema>;
      if (d.to !== 'on-scene') return d.callId && !inc.callId ? { ...inc, callId: d.callId } : inc;
      return { ...inc, callId: inc.callId ?? d.callId ?? null, onSceneAt: minInstant(inc.onSceneAt, ms(d.at)) };
    }
    default:
      return inc;
  }
}

/** Event types that change a case row. */
export const CASE_ROW_EVENTS = new Set(['CaseOpened', 'DispositionRecorded']);

/**
 * Applies records' events to a case row:
 * - CaseOpened: call, incident, category, subtype, district of the case;
 * - DispositionRecorded: the case's outcome = its latest disposition (by `recordedAt`), counted on
 *   the local day of `recordedAt` in the bureau zone.
 */
export function applyCaseEvent(c: CaseFactRow, event: EventEnvelope, cfg: ProjectionConfig): CaseFactRow {
  switch (event.type) {
    case 'CaseOpened': {
      const d = event.data as z.infer<typeof CaseOpened.schema>;
      return { ...c, callId: d.callId, incidentId: d.incidentId, openedAt: ms(d.openedAt), category: d.category, subtype: d.subtype, district: d.district ?? null };
    }
    case 'DispositionRecorded': {
      const d = event.data as z.infer<typeof DispositionRecorded.schema>;
      if (c.dispositionAt && Date.parse(d.recordedAt) < Date.parse(c.dispositionAt)) return c;
      return {
        ...c,
        codes: [...new Set(d.codes)].sort(),
        suspectsCaught: d.suspectsCaught,
        peopleRescued: d.peopleRescued,
        dispositionAt: ms(d.recordedAt),
        dispositionDay: localParts(d.recordedAt, cfg.timeZone).day,
      };
    }
    default:
      return c;
  }
}

/** Latest status per unit (by `at`; ties: the later one read). */
export function applyUnitStatus(prev: UnitStateRow | undefined, event: EventEnvelope): UnitStateRow | undefined {
  if (event.type !== 'UnitStatusChanged') return prev;
  const d = event.data as z.infer<typeof UnitStatusChanged.schema>;
  if (prev && Date.parse(d.at) < Date.parse(prev.at)) return prev;
  return { unitId: d.unitId, status: d.to, at: ms(d.at), incidentId: d.incidentId ?? null };
}

/** Latest duty level per district (by `at`). */
export function applyDutyLevel(prev: DutyLevelRow | undefined, event: EventEnvelope): DutyLevelRow | undefined {
  if (event.type !== 'DutyLevelChanged') return prev;
  const d = event.data as z.infer<typeof DutyLevelChanged.schema>;
  if (prev && Date.parse(d.at) < Date.parse(prev.at)) return prev;
  return { district: d.district, level: d.to, at: ms(d.at) };
}

/** UTC minute (ISO) of an event's recordedAt, the bucket of the throughput figures. */
export function minuteOf(event: EventEnvelope): string {
  const t = Date.parse(event.recordedAt);
  return new Date(t - (t % 60_000)).toISOString();
}

/**
 * Whether a call counts as an **incident** (警情): its latest classification has kind `report`
 * (报警) and it was neither cancelled (CallCancelled) nor linked as a duplicate.
 */
export function isIncident(f: CallFactRow): boolean {
  return f.kind === 'report' && !f.cancelled && !f.duplicate;
}

/** Keys of the summary tables a call row contributes one count to ('' = not known). */
export interface SummaryKeys {
  day: { localDay: string; district: string; category: string; subtype: string; kind: string; incident: boolean; twoRob: boolean; sourceCode: string; sourceGroup: string };
  month: { localMonth: string; district: string; category: string; subtype: string; kind: string; incident: boolean; twoRob: boolean; sourceCode: string; sourceGroup: string };
  hour: { localDay: string; localHour: number; district: string; category: string; incident: boolean; twoRob: boolean };
  beat: { localDay: string; district: string; beat: string; category: string; incident: boolean; twoRob: boolean };
  hourTotal: { localDay: string; localHour: number };
}

export const SUMMARY_PARTS = ['day', 'month', 'hour', 'beat', 'hourTotal'] as const;

/** The summary keys of a call row, or null for a placeholder (never counted). */
export function summaryKeys(f: CallFactRow): SummaryKeys | null {
  if (!f.received) return null;
  const base = { district: f.district ?? '', category: f.category ?? '', incident: isIncident(f), twoRob: f.twoRob };
  const detail = { district: base.district, category: base.category, subtype: f.subtype ?? '', kind: f.kind ?? '', incident: base.incident, twoRob: base.twoRob, sourceCode: f.sourceCode ?? '', sourceGroup: f.sourceGroup ?? '' };
  return {
    day: { localDay: f.localDay, ...detail },
    month: { localMonth: f.localDay.slice(0, 7), ...detail },
    hour: { localDay: f.localDay, localHour: f.localHour, ...base },
    beat: { localDay: f.localDay, district: base.district, beat: f.beat ?? '', category: base.category, incident: base.incident, twoRob: base.twoRob },
    hourTotal: { localDay: f.localDay, localHour: f.localHour },
  };
}

/** What a case contributes to `case_counts_day`: null until it has a disposition. */
export function caseSummary(c: CaseFactRow): { key: { dispositionDay: string; district: string; category: string }; values: { cases: number; mediated: number; rescued: number; caught: number } } | null {
  if (!c.dispositionDay) return null;
  return {
    key: { dispositionDay: c.dispositionDay, district: c.district ?? '', category: c.category ?? '' },
    values: { cases: 1, mediated: c.codes.includes('dispute-mediated') ? 1 : 0, rescued: c.peopleRescued, caught: c.suspectsCaught },
  };
}
