/**
 * The zod schemas of intake's HTTP API. The same objects validate requests (`parseOr400`) and
 * generate the OpenAPI 3.1 document (`z.toJSONSchema`), so the two cannot drift apart.
 */
import { z } from 'zod';
import { CallChannel, CallKind, CancelReason, IsoUtc, LocationSource, NARRATIVE_MAX_CHARS, Priority, SopAnswer, TransferTarget, type Taxonomy } from '@cad110/contracts';
import { ProblemSchema } from '@cad110/http';
import { CALL_STATUSES } from './call';

/** Allowed clock skew for client-supplied timestamps, milliseconds. */
const MAX_FUTURE_SKEW_MS = 60_000;

const notInFuture = (v: string | undefined) => {
  const t = v === undefined ? NaN : Date.parse(v);
  return Number.isNaN(t) || t <= Date.now() + MAX_FUTURE_SKEW_MS; // unparsable: the format check reports it
};

const clientTime = (description: string) => IsoUtc.optional().refine(notInFuture, 'must not be in the future').describe(`${description} (UTC ISO-8601, not in the future; 60 s skew allowed)`);

/** Max characters of a free-text reason or note. */
export const REASON_MAX_CHARS = 500;

const Reason = z.string().min(1).max(REASON_MAX_CHARS, `at most ${REASON_MAX_CHARS} characters`);

export const PhoneNumber = z.string().regex(/^\+?[0-9][0-9 -]{2,19}$/, 'a phone number of 3 to 20 digits (spaces and dashes allowed)').describe('caller number; personal data, masked when shown');

const Latitude = z.number().min(-90).max(90).describe('WGS84 latitude, degrees');
const Longitude = z.number().min(-180).max(180).describe('WGS84 longitude, degrees');

/** A location as the call taker enters it; lat and lon come together. */
export const LocationInput = z
  .object({
    address: z.string().min(1).max(300).optional().describe('address text (personal data, never logged)'),
    lat: Latitude.optional(),
    lon: Longitude.optional(),
    district: z.string().trim().min(1).max(64).optional().describe('district / police-station area code (trimmed, as every filter value)'),
    beat: z.string().trim().min(1).max(64).optional().describe('patrol beat code (trimmed)'),
    source: LocationSource.default('caller-reported').describe('caller-reported, device (handset / AML), manual (call taker on the map), import'),
  })
  .strict()
  .refine((l) => (l.lat === undefined) === (l.lon === undefined), { message: 'lat and lon must be given together', path: ['lat'] });

const CallerInput = z
  .object({
    number: PhoneNumber.optional(),
    name: z.string().min(1).max(120).optional().describe("caller's name (personal data, never logged)"),
  })
  .strict();

/**
 * A classification under the 110 taxonomy. `subtype` must be a taxonomy subtype code; `category`
 * (optional) must be a taxonomy category and the subtype's own.
 */
export function classificationInput(taxonomy: Taxonomy) {
  const categories = taxonomy.categoryCodes() as [string, ...string[]];
  return z
    .object({
      subtype: z
        .string()
        .refine((s) => !!taxonomy.subtype(s), 'unknown subtype in the 110 taxonomy (see GET /taxonomy)')
        .describe('subtype code of the 110 taxonomy, e.g. robbery, snatching, theft (GET /taxonomy lists them)'),
      category: z.enum(categories, { error: `unknown category; one of ${categories.join(', ')}` }).optional().describe('category code; must be the subtype\'s category'),
      priority: Priority.optional().describe('1 (most urgent) to 4; default the subtype\'s default priority'),
      kind: CallKind.optional().describe('报警 report / 求助 help / 投诉 complaint; default the subtype\'s kind'),
      reason: z.string().max(REASON_MAX_CHARS).optional().describe('why (re)classified; required for a reclassification'),
      sourceCode: z.string().max(64).optional().describe('call-type code of the source system (replays)'),
      sourceGroup: z.string().max(64).optional().describe("the source system's own group of the call type (replays; with sourceCode)"),
    })
    .strict()
    .superRefine((c, ctx) => {
      const sub = taxonomy.subtype(c.subtype);
      if (sub && c.category && c.category !== sub.category) {
        ctx.addIssue({ code: 'custom', path: ['category'], message: `subtype ${sub.code} belongs to category ${sub.category}` });
      }
    });
}

/**
 * Body of `POST /calls`. Every part but the channel is optional so a call taker can create the
 * record the moment the phone is answered; replays and telephony integrations send it all.
 * Times are UTC ISO-8601 and may not lie in the future (60 s skew allowed).
 */
export function createCallBody(taxonomy: Taxonomy) {
  return z
    .object({
      channel: CallChannel.default('110'),
      ringingAt: clientTime('when the call started ringing at the call centre, from telephony'),
      answeredAt: clientTime('when the call taker answered (default now)'),
      createdAt: clientTime('when the call record was created in CAD (default now)'),
      handedAt: clientTime('when the call went to dispatch (default now; with handToDispatch)'),
      caller: CallerInput.optional(),
      location: LocationInput.optional(),
      classification: classificationInput(taxonomy).optional(),
      narrative: z.string().min(1).max(NARRATIVE_MAX_CHARS, `at most ${NARRATIVE_MAX_CHARS} characters`).optional().describe(`first narrative entry, at most ${NARRATIVE_MAX_CHARS} characters`),
      sopAnswers: z.array(SopAnswer.strict()).max(30).optional().describe('answers to the subtype\'s SOP questions, kept as data on the first narrative entry'),
      handToDispatch: z.boolean().default(false).describe('hand the call to dispatch at once (needs a classification)'),
      externalRef: z
        .object({ source: z.string().min(1).max(64), id: z.string().min(1).max(64) })
        .strict()
        .optional()
        .describe('id in the source system for replays; unique per source'),
    })
    .strict()
    .refine((b) => !b.handToDispatch || !!b.classification, { message: 'a call handed to dispatch must be classified', path: ['classification'] })
    .refine((b) => !b.ringingAt || !b.answeredAt || b.ringingAt <= b.answeredAt, { message: 'must not be later than answeredAt', path: ['ringingAt'] })
    .refine((b) => !b.handedAt || !b.answeredAt || b.handedAt >= b.answeredAt, { message: 'must not be earlier than answeredAt', path: ['handedAt'] });
}

/** Most items in one `POST /calls/batch`. */
export const CALL_BATCH_MAX_ITEMS = 100;

/**
 * The body of `POST /calls/batch` as documented: 1 to {@link CALL_BATCH_MAX_ITEMS} items, each an
 * Idempotency-Key and the body `POST /calls` takes. The handler checks only the envelope with
 * {@link callBatchEnvelope} and each item's key and call on their own, so a bad item answers its
 * own 400 and the others go on.
 */
export function createCallBatchBody(taxonomy: Taxonomy) {
  return z
    .object({
      items: z
        .array(
          z
            .object({
              idempotencyKey: z.string().regex(/^[\x21-\x7e]{1,255}$/).describe('this call\'s Idempotency-Key (1–255 visible ASCII characters), as the header of POST /calls'),
              call: createCallBody(taxonomy).describe('exactly the body of POST /calls'),
            })
            .strict(),
        )
        .min(1)
        .max(CALL_BATCH_MAX_ITEMS)
        .describe(`1 to ${CALL_BATCH_MAX_ITEMS} calls, created in this order`),
    })
    .strict();
}

/** What the handler checks of a batch before looking at its items: the envelope, not the calls. */
export const callBatchEnvelope = z
  .object({
    items: z
      .array(z.object({ idempotencyKey: z.string(), call: z.unknown() }).strict())
      .min(1)
      .max(CALL_BATCH_MAX_ITEMS, `at most ${CALL_BATCH_MAX_ITEMS} items`),
  })
  .strict();

export const CallIdParams = z.object({ id: z.uuid({ error: 'must be a UUID' }).describe('call id') }).strict();

export const RecordCallerBody = CallerInput.refine((c) => c.number !== undefined || c.name !== undefined, { message: 'give number and/or name', path: ['number'] });

export const LocateCallBody = LocationInput.refine((l) => l.address !== undefined || l.lat !== undefined || l.district !== undefined || l.beat !== undefined, {
  message: 'give an address, coordinates, a district or a beat',
  path: ['address'],
});

export const AppendNarrativeBody = z
  .object({ text: z.string().min(1).max(NARRATIVE_MAX_CHARS, `at most ${NARRATIVE_MAX_CHARS} characters`).describe(`narrative entry, 1 to ${NARRATIVE_MAX_CHARS} characters`) })
  .strict();

export const LinkDuplicateBody = z
  .object({
    duplicateOfCallId: z.uuid({ error: 'must be a UUID' }).describe('the original call (an incident is reached through the call it was opened from)'),
    reason: Reason.describe('why the call taker judges it the same event'),
  })
  .strict();

export const ConfirmNewBody = z
  .object({
    candidateCallIds: z.array(z.uuid({ error: 'must be a UUID' })).max(50).default([]).describe('the candidates shown and judged different'),
    reason: Reason.optional(),
  })
  .strict();

export const TransferCallBody = z
  .object({
    to: TransferTarget.describe('fire-119, medical-120, traffic-122 or other-agency'),
    agency: z.string().min(1).max(120).optional().describe('required for other-agency'),
    reason: Reason.optional(),
  })
  .strict()
  .refine((t) => t.to !== 'other-agency' || !!t.agency, { message: 'name the agency for other-agency', path: ['agency'] });

export const CancelCallBody = z
  .object({
    reason: CancelReason.describe('silent, misdial, prank, caller-hung-up, other'),
    note: Reason.optional().describe('required for reason other'),
  })
  .strict()
  .refine((c) => c.reason !== 'other' || !!c.note, { message: 'a note is required for reason other', path: ['note'] });

export const HandOverBody = z.object({}).strict().describe('empty object (or no body)');

export const CloseCallBody = z.object({ reason: Reason.optional().describe('required when the call was never handed to dispatch') }).strict();

export const ListCallsQuery = z
  .object({
    status: z.enum(CALL_STATUSES).optional(),
    since: IsoUtc.optional().describe('answered at or after (UTC)'),
    until: IsoUtc.optional().describe('answered before (UTC)'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: z.string().max(200).optional().describe('nextCursor of the previous page'),
  })
  .strict();

export const GetCallQuery = z.object({ reveal: z.literal('caller').optional().describe('show the caller number unmasked (call takers and supervisors only)') }).strict();

const RadiusMetres = z.coerce.number().min(1).max(5000).describe('search radius, metres (default DUPLICATE_RADIUS_METRES, 200)');
const WindowSeconds = z.coerce.number().int().min(1).max(86_400).describe('time window either side, seconds (default DUPLICATE_WINDOW_SECONDS, 900)');
const Limit = z.coerce.number().int().min(1).max(50).describe('candidates returned at most (default 10)');

export const DuplicatesQuery = z.object({ radiusMetres: RadiusMetres.optional(), windowSeconds: WindowSeconds.optional(), limit: Limit.optional() }).strict();

/** Body of `POST /duplicates/search` (the form being typed: the caller number stays out of URLs and logs). */
export function duplicateSearchBody(taxonomy: Taxonomy) {
  const categories = taxonomy.categoryCodes() as [string, ...string[]];
  return z
    .object({
      at: IsoUtc.optional().describe('reference instant (UTC); default now'),
      lat: Latitude.optional(),
      lon: Longitude.optional(),
      callerNumber: PhoneNumber.optional(),
      subtype: z.string().refine((s) => !!taxonomy.subtype(s), 'unknown subtype in the 110 taxonomy').optional(),
      category: z.enum(categories, { error: `unknown category; one of ${categories.join(', ')}` }).optional(),
      excludeCallId: z.uuid({ error: 'must be a UUID' }).optional().describe('the call being typed, if already created'),
      radiusMetres: z.number().min(1).max(5000).optional(),
      windowSeconds: z.number().int().min(1).max(86_400).optional(),
      limit: z.number().int().min(1).max(50).optional(),
    })
    .strict()
    .refine((b) => (b.lat === undefined) === (b.lon === undefined), { message: 'lat and lon must be given together', path: ['lat'] })
    .refine((b) => b.lat !== undefined || b.callerNumber !== undefined, { message: 'give coordinates and/or a caller number', path: ['lat'] });
}

// ---------------------------------------------------------------------------------------------
// Response shapes (documentation; the handlers build them)

export const DuplicateCandidateSchema = z
  .object({
    callId: z.uuid(),
    status: z.string(),
    answeredAt: IsoUtc,
    category: z.string().nullable(),
    subtype: z.string().nullable(),
    priority: z.number().int().nullable(),
    district: z.string().nullable(),
    beat: z.string().nullable(),
    address: z.string().nullable(),
    distanceMetres: z.number().nullable().describe('metres; null when either call has no coordinates'),
    secondsApart: z.number().describe('seconds between the two answer times'),
    score: z.number().min(0).max(1),
    reasons: z.array(z.enum(['near', 'same-caller-number', 'close-in-time', 'same-subtype', 'same-category', 'compatible-category', 'unclassified'])),
  })
  .meta({ id: 'DuplicateCandidate' });

export const DuplicatesResponse = z
  .object({ radiusMetres: z.number(), windowSeconds: z.number(), candidates: z.array(DuplicateCandidateSchema) })
  .meta({ id: 'DuplicateCandidates' });

export const CommandResponse = z
  .object({
    callId: z.uuid(),
    version: z.number().int().describe('stream version after the command (also the ETag)'),
    status: z.enum(['new', ...CALL_STATUSES]),
    events: z.array(z.string()).describe('types of the events appended'),
    duplicateCandidates: DuplicatesResponse.optional().describe('after location / classification: calls that may be the same event'),
    sop: z.array(z.object({ zh: z.string(), en: z.string() })).optional().describe('after classification: the SOP questions of the subtype'),
  })
  .meta({ id: 'CommandResult' });

const Timings = z.object({
  ringingAt: IsoUtc.optional(),
  answeredAt: IsoUtc.optional(),
  createdAt: IsoUtc.optional(),
  classifiedAt: IsoUtc.optional(),
  handedAt: IsoUtc.optional(),
  closedAt: IsoUtc.optional(),
  answerSeconds: z.number().optional().describe('NENA-STA-020 answer time: answeredAt − ringingAt'),
  processingSeconds: z.number().optional().describe('NFPA 1225 alarm processing time: handedAt − answeredAt'),
});

export const CallResponse = z
  .object({
    callId: z.uuid(),
    version: z.number().int(),
    callerNumber: z.string().optional().describe('masked (138****1234) unless reveal=caller by a call taker or supervisor'),
    state: z.object({ status: z.enum(['new', ...CALL_STATUSES]), timings: Timings }).loose(),
    events: z.array(z.object({ eventId: z.uuid(), type: z.string(), schemaVersion: z.number().int(), streamVersion: z.number().int(), occurredAt: IsoUtc, recordedAt: IsoUtc, metadata: z.object({}).loose(), data: z.object({}).loose() }).loose()),
  })
  .meta({ id: 'Call' });

/** A call in a listing (no caller number, name or address: personal data stays in GET /calls/{id}). */
export const CallSummary = z
  .object({
    id: z.uuid(),
    version: z.number().int().describe('stream version (the If-Match of its commands)'),
    status: z.enum(CALL_STATUSES),
    channel: z.string().describe('110, 12110 (SMS), ... (CallChannel)'),
    ringingAt: IsoUtc.nullable().describe('UTC ISO-8601'),
    answeredAt: IsoUtc.describe('UTC ISO-8601'),
    createdAt: IsoUtc.describe('UTC ISO-8601: the record was created'),
    kind: z.string().nullable().describe('报警 report / 求助 help / 投诉 complaint'),
    category: z.string().nullable(),
    subtype: z.string().nullable(),
    priority: z.number().int().nullable().describe('1 (most urgent) to 4'),
    classifiedAt: IsoUtc.nullable(),
    lat: z.number().nullable().describe('WGS84 latitude, degrees'),
    lon: z.number().nullable().describe('WGS84 longitude, degrees'),
    district: z.string().nullable(),
    beat: z.string().nullable(),
    handedAt: IsoUtc.nullable().describe('UTC ISO-8601: handed to dispatch'),
    closedAt: IsoUtc.nullable(),
    duplicateOf: z.uuid().nullable().describe('the call this one duplicates'),
    outcomeDetail: z.string().nullable().describe('the cancel reason or the transfer target'),
    externalSource: z.string().nullable().describe('source system of a replayed call'),
    externalId: z.string().nullable(),
  })
  .meta({ id: 'CallSummary' });
export type CallSummary = z.infer<typeof CallSummary>;

export const CallListResponse = z
  .object({
    items: z.array(CallSummary),
    nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last'),
  })
  .meta({ id: 'CallList' });

export const TaxonomyResponse = z.object({ taxonomyVersion: z.string(), kinds: z.array(z.object({}).loose()), flags: z.array(z.object({}).loose()), categories: z.array(z.object({}).loose()) }).loose().meta({ id: 'Taxonomy' });

export const CallBatchResponse = z
  .object({
    results: z
      .array(
        z.object({
          status: z.number().int().describe('the status POST /calls would have answered: 201, or 400 / 409 / 422 …'),
          body: z.union([CommandResponse, ProblemSchema]).describe('201: the created call (CommandResult); otherwise RFC 9457 problem details'),
          replayed: z.literal(true).optional().describe('the stored answer of an earlier request with this Idempotency-Key (the header Idempotency-Replayed of POST /calls)'),
        }),
      )
      .describe('one result per item, in the items\' order'),
  })
  .meta({ id: 'CallBatchResult' });
