import { z } from 'zod';
import { IsoUtc } from '../envelope';
import { defineEvent } from '../registry';
import { CallKind, FilterCode, Location, Priority } from './common';

export const incidentStreamId = (incidentId: string) => `incident-${incidentId}`;
export const unitStreamId = (unitId: string) => `unit-${unitId}`;
/** Stream of one district's duty level: `duty-<district>`. */
export const dutyLevelStreamId = (district: string) => `duty-${district}`;

/** Unit status lifecycle (see services/dispatch). */
export const UnitStatus = z.enum(['available', 'dispatched', 'en-route', 'on-scene', 'transporting', 'cleared', 'out-of-service']);
export type UnitStatus = z.infer<typeof UnitStatus>;

/** Response circles of the bureau: 1分钟处置, 3分钟增援, 5分钟合围. */
export const ResponseCircles = z.object({ oneMinute: z.boolean(), threeMinute: z.boolean(), fiveMinute: z.boolean() });

export const IncidentOpened = defineEvent({
  type: 'IncidentOpened',
  topic: 'dispatch',
  schema: z.object({
    incidentId: z.uuid(),
    callId: z.uuid(),
    openedAt: IsoUtc,
    answeredAt: IsoUtc,
    kind: CallKind,
    category: FilterCode(),
    subtype: FilterCode(),
    priority: Priority,
    flags: z.array(z.string().max(64)).default([]),
    location: Location,
    /** added: the call's id in a source system (replays), from CallHandedToDispatch */
    externalRef: z.object({ source: z.string().max(64), id: z.string().max(64) }).optional(),
  }),
});

export const Recommendation = z.object({
  unitId: z.string().max(64),
  callSign: z.string().max(64),
  unitType: z.string().max(64),
  etaSeconds: z.number().nonnegative().nullable().describe('estimated travel time, seconds; null when the incident has no coordinates'),
  distanceMetres: z.number().nonnegative().nullable(),
  circles: ResponseCircles,
  rank: z.number().int().positive(),
  reasons: z.array(z.string().max(300)),
  /** added with run cards: `primary` fills a need of the run card, `alternate` is a back-up */
  role: z.enum(['primary', 'alternate']).optional(),
  /** index of the run-card need this unit fills (primaries only) */
  need: z.number().int().nonnegative().optional(),
  /** ranking score, seconds: ETA minus run-card preference bonuses (lower ranks first) */
  scoreSeconds: z.number().nullable().optional(),
});
/** One recommended unit as dispatch returns it and `UnitsRecommended` carries it. */
export type Recommendation = z.infer<typeof Recommendation>;

/** One need of a run card: how many units, of which types, with which capabilities. */
export const RunCardNeed = z.object({
  count: z.number().int().positive(),
  types: z.array(z.string().max(64)).optional().describe('any of these unit types; absent = any type'),
  capabilities: z.array(z.string().max(64)).optional().describe('every one of these capabilities'),
  label: z.string().max(120).optional(),
});

/** The run card a recommendation applied (category × area × time window → units). */
export const AppliedRunCard = z.object({
  id: z.string().max(64),
  name: z.string().max(200),
  needs: z.array(RunCardNeed),
  /** needs (index, missing count) no free on-duty unit could fill */
  unmet: z.array(z.object({ need: z.number().int().nonnegative(), missing: z.number().int().positive() })),
});

/**
 * Why an incident's location gives no ETA (issue 13 item 3), as a code with parameters for the
 * desk's i18n: `outside-service-area` {metresOutside, district?} (coordinates outside the county's
 * outline: ranked by the district whose boundary is nearest), `no-location` (neither coordinates
 * nor a district), `no-coordinates` {district} (ranked by that district).
 */
export const LocationReason = z.object({
  code: z.enum(['outside-service-area', 'no-location', 'no-coordinates']),
  params: z.record(z.string().max(32), z.union([z.string().max(200), z.number()])).optional(),
});

export const UnitsRecommended = defineEvent({
  type: 'UnitsRecommended',
  topic: 'dispatch',
  schema: z.object({
    incidentId: z.uuid(),
    callId: z.uuid(),
    recommendedAt: IsoUtc,
    recommendations: z.array(Recommendation).max(50),
    /** added: the run card applied (absent in events recorded before run cards) */
    runCard: AppliedRunCard.optional(),
    /** added: the instant the recommendation was computed for (UTC; replays give the source time) */
    asOf: IsoUtc.optional(),
    /** added (issue 13): why the incident's location gives no ETA, and what the ranking used instead */
    locationReason: LocationReason.optional(),
  }),
});

export const UnitDispatched = defineEvent({
  type: 'UnitDispatched',
  topic: 'dispatch',
  schema: z.object({
    incidentId: z.uuid(),
    callId: z.uuid(),
    unitId: z.string().max(64),
    dispatchedAt: IsoUtc,
    /** added: call sign and type of the unit at dispatch time */
    callSign: z.string().max(64).optional(),
    unitType: z.string().max(64).optional(),
  }),
});

export const UnitStatusChanged = defineEvent({
  type: 'UnitStatusChanged',
  topic: 'dispatch',
  schema: z.object({
    unitId: z.string().max(64),
    from: UnitStatus,
    to: UnitStatus,
    at: IsoUtc,
    incidentId: z.uuid().optional(),
    callId: z.uuid().optional(),
  }),
});

/**
 * How a dispatcher closed an incident without a unit (issue 15 §2), the desk's closed list
 * (zh-CN labels in the console's i18n `disposition.*`): 电话处置 resolved by phone, 已告知求助途径
 * advice given, 移交其他部门 referred, 非警务类 not a police matter, 虚假报警 false report, 重复报警
 * duplicate, 报警人撤销 caller cancelled, 其他 other.
 */
export const IncidentDisposition = z.enum(['resolved-by-phone', 'advice-given', 'referred', 'no-police-matter', 'false-report', 'duplicate', 'caller-cancelled', 'other']);
export type IncidentDisposition = z.infer<typeof IncidentDisposition>;

export const IncidentClosed = defineEvent({
  type: 'IncidentClosed',
  topic: 'dispatch',
  schema: z.object({
    incidentId: z.uuid(),
    callId: z.uuid(),
    closedAt: IsoUtc,
    reason: z.string().max(500).optional(),
    /** added (issue 15): the disposition of a close by hand (absent when the last unit cleared, and on events before it) */
    disposition: IncidentDisposition.optional(),
    /** added (issue 15): the dispatcher's free-text note with the disposition */
    note: z.string().max(500).optional(),
  }),
});

/**
 * A closed incident took another unit (a unit dispatched after the last one cleared, as real
 * incidents do): it is open again. Response times still use the incident's first dispatch and
 * first arrival (statistics takes the earliest), so a reopening never changes them.
 */
export const IncidentReopened = defineEvent({
  type: 'IncidentReopened',
  topic: 'dispatch',
  schema: z.object({
    incidentId: z.uuid(),
    callId: z.uuid(),
    reopenedAt: IsoUtc,
    reason: z.string().max(500),
    unitId: z.string().max(64).optional().describe('the unit whose dispatch reopened it (absent for a reopening by hand)'),
  }),
});

export const IncidentCancelled = defineEvent({
  type: 'IncidentCancelled',
  topic: 'dispatch',
  schema: z.object({ incidentId: z.uuid(), callId: z.uuid(), cancelledAt: IsoUtc, reason: z.string().max(500) }),
});

/** A dispatcher added a note to the incident (issue 15 §2); actor and workstation are the envelope's metadata. */
export const IncidentNoteAdded = defineEvent({
  type: 'IncidentNoteAdded',
  topic: 'dispatch',
  schema: z.object({ incidentId: z.uuid(), callId: z.uuid(), text: z.string().min(1).max(2000), addedAt: IsoUtc }),
});

/** A dispatcher changed the incident's priority, with the reason (issue 15 §2). */
export const IncidentPriorityChanged = defineEvent({
  type: 'IncidentPriorityChanged',
  topic: 'dispatch',
  schema: z.object({ incidentId: z.uuid(), callId: z.uuid(), from: Priority, to: Priority, reason: z.string().min(1).max(500), changedAt: IsoUtc }),
});

/**
 * A dispatcher linked the incident as the duplicate of another incident (issue 15 §2); actor and
 * workstation are the envelope's metadata. A pending incident is also closed (disposition `duplicate`).
 */
export const IncidentLinkedAsDuplicate = defineEvent({
  type: 'IncidentLinkedAsDuplicate',
  topic: 'dispatch',
  schema: z.object({ incidentId: z.uuid(), callId: z.uuid(), duplicateOf: z.uuid(), duplicateOfCallId: z.uuid(), reason: z.string().max(500).nullable(), linkedAt: IsoUtc }),
});

/** Duty levels: 常态 normal, 加强 reinforced, 战时 wartime. */
export const DutyLevel = z.enum(['normal', 'reinforced', 'wartime']);
export type DutyLevel = z.infer<typeof DutyLevel>;

export const DutyLevelChanged = defineEvent({
  type: 'DutyLevelChanged',
  topic: 'dispatch',
  schema: z.object({ district: FilterCode(), from: DutyLevel, to: DutyLevel, at: IsoUtc, reason: z.string().max(500).optional() }),
});

/** Local shift window `HH:MM`–`HH:MM` in the bureau's zone; end ≤ start crosses midnight; 00:00–24:00 = all day. */
export const ShiftWindow = z.object({
  name: z.string().max(64),
  start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
  end: z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/),
});

/** Unit types of the bureau ("points, lines and areas"), plus mutual-aid units registered for history replays. */
export const UnitType = z.enum([
  'one-minute-point',
  'armed-vehicle-patrol',
  'foot-patrol',
  'station-car',
  'rural-auxiliary',
  'village-volunteer',
  'night-assistance',
  'mutual-aid',
]);
export type UnitType = z.infer<typeof UnitType>;

/** A GeoJSON position, WGS84 `[lon, lat]` in degrees, range-checked (lon −180..180, lat −90..90). */
export const LonLat = z.tuple([z.number().min(-180, 'longitude must lie in −180..180').max(180, 'longitude must lie in −180..180'), z.number().min(-90, 'latitude must lie in −90..90').max(90, 'latitude must lie in −90..90')]);

/** GeoJSON geometry of a post (Point), patrol line (LineString) or patrol area (Polygon), WGS84 [lon, lat] ({@link LonLat}). */
export const UnitGeometry = z.union([
  z.object({ type: z.literal('Point'), coordinates: LonLat }),
  z.object({ type: z.literal('LineString'), coordinates: z.array(LonLat).min(2) }),
  z.object({ type: z.literal('Polygon'), coordinates: z.array(z.array(LonLat).min(4)).min(1) }),
]);

/** A unit joined the registry (seed roster, a supervisor, or a history replay's mutual-aid unit). */
export const UnitRegistered = defineEvent({
  type: 'UnitRegistered',
  topic: 'dispatch',
  schema: z.object({
    unitId: z.string().max(64),
    callSign: z.string().max(64),
    type: UnitType,
    district: FilterCode(),
    homeStation: z.string().max(120),
    capabilities: z.array(z.string().max(64)).max(32),
    crewSize: z.number().int().positive(),
    shift: ShiftWindow,
    /** lowest duty level at which the unit is rostered on duty */
    minDutyLevel: DutyLevel,
    geometry: UnitGeometry.optional(),
    /** true for units a history replay registered (never recommended live) */
    replay: z.boolean().default(false),
    registeredAt: IsoUtc,
  }),
});

/** A unit was taken from one incident to another (改派): published on the incident it left. */
export const UnitReassigned = defineEvent({
  type: 'UnitReassigned',
  topic: 'dispatch',
  schema: z.object({
    unitId: z.string().max(64),
    /** the call of the incident the unit leaves (= fromCallId), so the call's audit timeline has it */
    callId: z.uuid(),
    fromIncidentId: z.uuid(),
    fromCallId: z.uuid(),
    toIncidentId: z.uuid(),
    toCallId: z.uuid(),
    at: IsoUtc,
  }),
});

/**
 * A status timer ran out: `not-en-route` (dispatched but not en route after the limit, 60 s) or
 * `check-in-due` (on scene longer than the incident subtype's `onSceneLimitMinutes`; repeats
 * every limit with a rising `sequence`).
 */
export const UnitOverdueAlerted = defineEvent({
  type: 'UnitOverdueAlerted',
  topic: 'dispatch',
  schema: z.object({
    unitId: z.string().max(64),
    incidentId: z.uuid().optional(),
    callId: z.uuid().optional(),
    kind: z.enum(['not-en-route', 'check-in-due']),
    status: UnitStatus,
    since: IsoUtc.describe('when the unit entered the status'),
    dueAt: IsoUtc.describe('since + limitSeconds × sequence'),
    limitSeconds: z.number().int().positive(),
    sequence: z.number().int().positive(),
  }),
});

/**
 * A dispatcher acknowledged an overdue alert (issue 15 §3). The alert is the unit's
 * UnitOverdueAlerted with the same `kind`, `since` and `sequence`; `alertId` is the number
 * `GET /alerts` listed it under. Actor and workstation are the envelope's metadata.
 */
export const UnitOverdueAcknowledged = defineEvent({
  type: 'UnitOverdueAcknowledged',
  topic: 'dispatch',
  schema: z.object({
    unitId: z.string().max(64),
    alertId: z.string().max(32).describe("the alert's number in dispatch's alert list"),
    incidentId: z.uuid().optional(),
    callId: z.uuid().optional(),
    kind: z.enum(['not-en-route', 'check-in-due']),
    since: IsoUtc.describe('when the unit entered the status that ran over'),
    sequence: z.number().int().positive(),
    acknowledgedAt: IsoUtc,
  }),
});

/** An AVL (or manually entered) position fix of a unit, WGS84 degrees. */
export const UnitPositionUpdated = defineEvent({
  type: 'UnitPositionUpdated',
  topic: 'dispatch',
  schema: z.object({
    unitId: z.string().max(64),
    lat: z.number().min(-90).max(90),
    lon: z.number().min(-180).max(180),
    at: IsoUtc,
  }),
});

export const DISPATCH_EVENTS = [
  IncidentOpened,
  UnitsRecommended,
  UnitDispatched,
  UnitStatusChanged,
  IncidentClosed,
  IncidentReopened,
  IncidentCancelled,
  DutyLevelChanged,
  UnitRegistered,
  UnitReassigned,
  UnitOverdueAlerted,
  UnitPositionUpdated,
  UnitOverdueAcknowledged,
  IncidentNoteAdded,
  IncidentPriorityChanged,
  IncidentLinkedAsDuplicate,
] as const;
