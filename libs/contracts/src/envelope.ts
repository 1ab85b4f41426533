import { z } from 'zod';

/**
 * Years an instant may lie in. Not a measured figure: a plausibility bound. Year 0000 does not
 * exist in PostgreSQL's calendar (the insert fails) and year 9999 in a 110 record is a typo or
 * a probe; records older than 1900 or later than 2199 are not police calls (issue 13 item 8).
 */
export const PLAUSIBLE_YEARS = { min: 1900, max: 2199 } as const;

/**
 * UTC instant as ISO-8601 text with a `Z` suffix, e.g. `2026-11-29T08:15:30.123Z`, in the years
 * {@link PLAUSIBLE_YEARS} (1900–2199).
 * Every time in an event is stored in UTC; local days are derived with {@link ./time}.
 */
export const IsoUtc = z.iso
  .datetime({ offset: false })
  .refine((s) => {
    const y = Number(s.slice(0, 4));
    return !(y >= 0) || (y >= PLAUSIBLE_YEARS.min && y <= PLAUSIBLE_YEARS.max); // unparsable: the format check reports it
  }, `the year must lie in ${PLAUSIBLE_YEARS.min}–${PLAUSIBLE_YEARS.max}`)
  .describe('UTC ISO-8601 instant');
export type IsoUtc = z.infer<typeof IsoUtc>;

/** The services that own event streams. */
export const SourceService = z.enum(['intake', 'dispatch', 'records', 'statistics']);
export type SourceService = z.infer<typeof SourceService>;

/** Who acted: a signed-in user, an importer, or a service acting on its own. */
export const Actor = z.object({
  id: z.string().min(1).max(128).describe('user id, or `system:<service>` for automatic actions'),
  role: z.string().min(1).max(64).optional().describe('role the actor held when acting, e.g. call_taker'),
});
export type Actor = z.infer<typeof Actor>;

/**
 * Metadata carried by every event: who, from where, why (causation) and in which chain
 * (correlation), plus the W3C trace context of the span that produced it.
 */
export const EventMetadata = z.object({
  actor: Actor,
  workstation: z.string().max(128).optional().describe('console or terminal the actor used'),
  correlationId: z.string().min(1).max(128).describe('id shared by every event of one call chain (the call id)'),
  causationId: z.string().min(1).max(128).nullable().describe('event id or request id that caused this event'),
  traceparent: z.string().max(128).optional().describe('W3C traceparent of the producing span'),
  tracestate: z.string().max(512).optional(),
});
export type EventMetadata = z.infer<typeof EventMetadata>;

/**
 * Versioned envelope of every event, on disk and on Kafka (JSON).
 * `schemaVersion` is the version of `data`'s schema for `type`; older versions are upcast on read.
 */
export const EventEnvelopeSchema = z.object({
  eventId: z.uuid(),
  type: z.string().min(1).max(64),
  schemaVersion: z.number().int().positive(),
  streamId: z.string().min(1).max(160),
  streamVersion: z.number().int().positive(),
  occurredAt: IsoUtc.describe('when it happened in the world (UTC)'),
  recordedAt: IsoUtc.describe('when the owning service stored it (UTC)'),
  source: SourceService,
  metadata: EventMetadata,
  data: z.unknown(),
});

export interface EventEnvelope<TType extends string = string, TData = unknown> {
  eventId: string;
  type: TType;
  schemaVersion: number;
  streamId: string;
  streamVersion: number;
  occurredAt: string;
  recordedAt: string;
  source: SourceService;
  metadata: EventMetadata;
  data: TData;
}
