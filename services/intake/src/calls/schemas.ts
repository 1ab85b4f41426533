import { z } from 'zod';
import { CallChannel, CallKind, IsoUtc, LocationSource, NARRATIVE_MAX_CHARS, Priority, type Taxonomy } from '@cad110/contracts';

/** Allowed clock skew for client-supplied timestamps, milliseconds. */
const MAX_FUTURE_SKEW_MS = 60_000;

const notInFuture = (v: string | undefined) => v === undefined || Date.parse(v) <= Date.now() + MAX_FUTURE_SKEW_MS;

/**
 * Body of `POST /calls`. Every part but the channel is optional so a call taker can create the
 * record the moment the phone is answered; replays and telephony integrations send it all.
 * Times are UTC ISO-8601 and may not lie in the future (60 s skew allowed).
 */
export function createCallBody(taxonomy: Taxonomy) {
  return z
    .object({
      channel: CallChannel.default('110'),
      ringingAt: IsoUtc.optional().refine(notInFuture, 'must not be in the future'),
      answeredAt: IsoUtc.optional().refine(notInFuture, 'must not be in the future'),
      createdAt: IsoUtc.optional().refine(notInFuture, 'must not be in the future'),
      handedAt: IsoUtc.optional().refine(notInFuture, 'must not be in the future'),
      caller: z
        .object({
          number: z.string().regex(/^\+?[0-9][0-9 -]{2,19}$/, 'a phone number of 3 to 20 digits').optional(),
          name: z.string().min(1).max(120).optional(),
        })
        .strict()
        .optional(),
      location: z
        .object({
          address: z.string().min(1).max(300).optional(),
          lat: z.number().min(-90).max(90).optional(),
          lon: z.number().min(-180).max(180).optional(),
          district: z.string().min(1).max(64).optional(),
          beat: z.string().min(1).max(64).optional(),
          source: LocationSource.default('caller-reported'),
        })
        .strict()
        .refine((l) => (l.lat === undefined) === (l.lon === undefined), { message: 'lat and lon must be given together', path: ['lat'] })
        .optional(),
      classification: z
        .object({
          subtype: z.string().refine((s) => !!taxonomy.subtype(s), 'unknown subtype in the 110 taxonomy'),
          priority: Priority.optional(),
          kind: CallKind.optional(),
          reason: z.string().max(500).optional(),
          sourceCode: z.string().max(64).optional(),
        })
        .strict()
        .optional(),
      narrative: z.string().min(1).max(NARRATIVE_MAX_CHARS, `at most ${NARRATIVE_MAX_CHARS} characters`).optional(),
      handToDispatch: z.boolean().default(false),
      externalRef: z.object({ source: z.string().min(1).max(64), id: z.string().min(1).max(64) }).strict().optional(),
    })
    .strict()
    .refine((b) => !b.handToDispatch || !!b.classification, { message: 'a call handed to dispatch must be classified', path: ['classification'] });
}

export const ListCallsQuery = z
  .object({
    status: z.enum(['open', 'handed-to-dispatch', 'transferred', 'cancelled', 'closed']).optional(),
    since: IsoUtc.optional(),
    until: IsoUtc.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();
