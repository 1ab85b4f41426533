import { z } from 'zod';
import { IsoUtc } from '../envelope';
import { defineEvent } from '../registry';
import { CallKind, Location, Priority } from './common';

export const incidentStreamId = (incidentId: string) => `incident-${incidentId}`;
export const unitStreamId = (unitId: string) => `unit-${unitId}`;

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
    category: z.string().max(64),
    subtype: z.string().max(64),
    priority: Priority,
    flags: z.array(z.string().max(64)).default([]),
    location: Location,
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
});

export const UnitsRecommended = defineEvent({
  type: 'UnitsRecommended',
  topic: 'dispatch',
  schema: z.object({
    incidentId: z.uuid(),
    callId: z.uuid(),
    recommendedAt: IsoUtc,
    recommendations: z.array(Recommendation).max(50),
  }),
});

export const UnitDispatched = defineEvent({
  type: 'UnitDispatched',
  topic: 'dispatch',
  schema: z.object({ incidentId: z.uuid(), callId: z.uuid(), unitId: z.string().max(64), dispatchedAt: IsoUtc }),
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

export const IncidentClosed = defineEvent({
  type: 'IncidentClosed',
  topic: 'dispatch',
  schema: z.object({ incidentId: z.uuid(), callId: z.uuid(), closedAt: IsoUtc, reason: z.string().max(500).optional() }),
});

export const IncidentCancelled = defineEvent({
  type: 'IncidentCancelled',
  topic: 'dispatch',
  schema: z.object({ incidentId: z.uuid(), callId: z.uuid(), cancelledAt: IsoUtc, reason: z.string().max(500) }),
});

export const DutyLevel = z.enum(['normal', 'reinforced', 'wartime']);

export const DutyLevelChanged = defineEvent({
  type: 'DutyLevelChanged',
  topic: 'dispatch',
  schema: z.object({ district: z.string().max(64), from: DutyLevel, to: DutyLevel, at: IsoUtc, reason: z.string().max(500).optional() }),
});

export const DISPATCH_EVENTS = [
  IncidentOpened,
  UnitsRecommended,
  UnitDispatched,
  UnitStatusChanged,
  IncidentClosed,
  IncidentCancelled,
  DutyLevelChanged,
] as const;
