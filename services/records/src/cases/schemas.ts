/**
 * The zod schemas of records' HTTP API: requests (validated by the handlers) and the response
 * DTOs (documented in /openapi.json, built by {@link caseDto}). The same objects do both, so the
 * document cannot drift from what the routes accept.
 */
import { z } from 'zod';
import { CLOCK_SKEW_TOLERANCE_MS, countingDay, DispositionCode, IsoUtc, PartyRole } from '@cad110/contracts';
import type { Case } from '../generated/prisma/client';
import { dispositionProblems } from './case';
import { CaseFilters, checkRange } from './case-query';

export const ListQuery = checkRange(
  CaseFilters.extend({
    limit: z.coerce.number().int().min(1).max(500).default(100).describe('page size, 1..500'),
    offset: z.coerce.number().int().min(0).default(0).describe('cases to skip'),
  }),
);
export const ExportQuery = checkRange(CaseFilters);
export const GetCaseQuery = z.object({ reveal: z.literal('parties').optional().describe('parties: names, identity numbers, phones and addresses of parties (supervisors and admin only)') });

/** A time given by the client: UTC ISO-8601, never in the future (1 s of clock skew allowed). */
const PastUtc = IsoUtc.refine((t) => Date.parse(t) <= Date.now() + CLOCK_SKEW_TOLERANCE_MS, { message: 'must not be in the future' }).describe('UTC ISO-8601, not in the future (5 s clock skew allowed, libs/contracts); default now');

export const NarrativeBody = z.object({ text: z.string().trim().min(1).max(8000).describe('narrative text, 1..8000 characters') }).strict();
export const PartyBody = z
  .object({
    role: PartyRole,
    name: z.string().trim().min(1).max(120).optional().describe('personal data: stored in records only, never logged or published'),
    idNumber: z.string().trim().min(1).max(64).optional().describe('personal data'),
    phone: z.string().trim().min(1).max(32).optional().describe('personal data'),
    address: z.string().trim().min(1).max(300).optional().describe('personal data'),
  })
  .strict();
/** The fields of a disposition (POST /cases/{id}/disposition and each item of POST /cases/dispositions). */
const DispositionFields = {
  codes: z.array(DispositionCode).min(1).max(9),
  suspectsCaught: z.number().int().min(0).max(10_000).default(0),
  peopleRescued: z.number().int().min(0).max(10_000).default(0),
  note: z.string().trim().min(1).max(2000).optional(),
  sourceCode: z.string().trim().min(1).max(64).optional().describe("the source system's disposition code (imports)"),
  at: PastUtc.optional(),
};
/** Codes and counts that disagree (case.ts `dispositionProblems`) as 400 field errors. */
const consistentDisposition = (d: { codes: z.infer<typeof DispositionCode>[]; suspectsCaught: number; peopleRescued: number }, ctx: z.RefinementCtx) => {
  for (const p of dispositionProblems(d)) ctx.addIssue({ code: 'custom', path: [p.field], message: p.message });
};
export const DispositionBody = z.object(DispositionFields).strict().superRefine(consistentDisposition);

/** Most items of one POST /cases/dispositions (the JSON body limit, 64 kB, holds ~250 typical items). */
export const MAX_BATCH_ITEMS = 300;

/** One item of POST /cases/dispositions: a call's disposition, as POST /cases/{id}/disposition takes it, and whether to close its case. */
export const DispositionBatchItem = z
  .object({
    callId: z.uuid().describe('the call whose case takes the disposition (a call has at most one case)'),
    ...DispositionFields,
    close: z.boolean().default(false).describe('also close the case (CaseClosed at `at`), all-or-nothing with the disposition'),
    clampToOpening: z
      .boolean()
      .default(false)
      .describe("an `at` earlier than the case's opening is recorded (and closed) at the opening instead of refused with 409 time-before; the result says `clamped: true` (replays of sources whose clocks disagree by seconds)"),
  })
  .strict()
  .superRefine(consistentDisposition);
export type DispositionBatchItem = z.infer<typeof DispositionBatchItem>;
export const DispositionBatchBody = z.object({ items: z.array(DispositionBatchItem).min(1).max(MAX_BATCH_ITEMS).describe(`1..${MAX_BATCH_ITEMS} items, run in order`) }).strict();
export const CloseBody = z.object({ at: PastUtc.optional() }).strict();
export const ReopenBody = z.object({ reason: z.string().trim().min(1).max(500), at: PastUtc.optional() }).strict();

// ---------------------------------------------------------------------------------------------
// Response DTOs

/** One case as listed: the read model's columns, times as UTC ISO-8601. */
export const CaseSummary = z
  .object({
    id: z.uuid(),
    caseNumber: z.string().describe('e.g. JY-2026-000123'),
    incidentId: z.uuid(),
    callId: z.uuid(),
    status: z.enum(['open', 'closed']),
    category: z.string().describe("the call's latest classification (also one made after the hand-over): what the case counts under, as in statistics"),
    subtype: z.string(),
    kind: z.string().nullable(),
    priority: z.number().int().nullable(),
    district: z.string().nullable(),
    beat: z.string().nullable(),
    openedAt: IsoUtc,
    answeredAt: IsoUtc.describe("when the case's call was answered"),
    countingDay: z.iso.date().describe("the local day of answeredAt in the bureau zone: the day the case counts on (`from`/`to`), as its call in statistics"),
    closedAt: IsoUtc.nullable(),
    dispositionCodes: z.array(z.string()).describe('codes of the latest disposition; empty until one is recorded'),
    suspectsCaught: z.number().int(),
    peopleRescued: z.number().int(),
    dispositionAt: IsoUtc.nullable(),
    dispositionRevision: z.number().int().describe('0 until a disposition is recorded, +1 per revision'),
    reopenCount: z.number().int(),
    version: z.number().int().describe('stream version (also the ETag)'),
    updatedAt: IsoUtc,
  })
  .meta({ id: 'CaseSummary' });
export type CaseSummary = z.infer<typeof CaseSummary>;

/** The read-model row as its DTO (explicit fields: a new column is not published by accident); `timeZone`: the bureau's. */
export function caseDto(c: Case, timeZone: string): CaseSummary {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: c.id,
    caseNumber: c.caseNumber,
    incidentId: c.incidentId,
    callId: c.callId,
    status: c.status as CaseSummary['status'],
    category: c.category,
    subtype: c.subtype,
    kind: c.kind,
    priority: c.priority,
    district: c.district,
    beat: c.beat,
    openedAt: c.openedAt.toISOString(),
    answeredAt: c.answeredAt.toISOString(),
    countingDay: countingDay(c.answeredAt, timeZone),
    closedAt: iso(c.closedAt),
    dispositionCodes: c.dispositionCodes,
    suspectsCaught: c.suspectsCaught,
    peopleRescued: c.peopleRescued,
    dispositionAt: iso(c.dispositionAt),
    dispositionRevision: c.dispositionRevision,
    reopenCount: c.reopenCount,
    version: c.version,
    updatedAt: c.updatedAt.toISOString(),
  };
}

export const CaseList = z.object({ items: z.array(CaseSummary), total: z.number().int(), limit: z.number().int(), offset: z.number().int() }).meta({ id: 'CaseList' });

export const CaseDetail = CaseSummary.extend({
  parties: z.array(
    z.object({
      partyId: z.uuid(),
      role: z.string(),
      addedAt: IsoUtc,
      addedBy: z.string(),
      name: z.string().nullable().optional().describe('only with reveal=parties (supervisor)'),
      idNumber: z.string().nullable().optional(),
      phone: z.string().nullable().optional(),
      address: z.string().nullable().optional(),
    }),
  ),
  narratives: z.array(z.object({ eventId: z.uuid(), text: z.string(), author: z.string(), at: IsoUtc })),
  dispositions: z.array(z.object({ eventId: z.uuid(), by: z.string() }).loose().describe('a DispositionRecorded: its data (codes, counts, note, at, revision) and who recorded it')),
}).meta({ id: 'Case' });

export const Timeline = z
  .object({
    caseId: z.uuid(),
    caseNumber: z.string(),
    timeZone: z.string().describe('IANA zone of the *Local times'),
    entries: z.array(
      z.object({
        eventId: z.uuid(),
        type: z.string().describe('event type, past tense (CallReceived, UnitDispatched, CaseClosed, ...)'),
        source: z.string().describe('intake | dispatch | records'),
        streamId: z.string(),
        version: z.number().int(),
        occurredAt: IsoUtc,
        occurredAtLocal: z.string(),
        recordedAt: IsoUtc,
        recordedAtLocal: z.string(),
        actor: z.object({ id: z.string().nullable(), role: z.string().nullable() }),
        workstation: z.string().nullable(),
        data: z.unknown().describe("the event's public data"),
      }),
    ),
  })
  .meta({ id: 'CaseTimeline' });

export const CommandResult = z
  .object({
    caseId: z.uuid(),
    version: z.number().int().describe('stream version after the command (also the ETag)'),
    events: z.array(z.string()).describe('types of the events appended'),
    partyId: z.uuid().optional().describe('POST /cases/{id}/parties: the new party'),
  })
  .meta({ id: 'CaseCommandResult' });

/** The answer of POST /cases/dispositions: each item's status and body as it would have been answered alone. */
export const DispositionBatchResult = z
  .object({
    results: z
      .array(
        z.object({
          status: z.number().int().describe('200 recorded (and closed); 404 the call has no case (yet: retry later); 409 refused by the case (`code`: case-closed, time-before, no-disposition, concurrent-change); 500 internal'),
          body: z
            .union([
              CommandResult.omit({ partyId: true }).extend({ clamped: z.boolean().describe('`at` was earlier than the opening and was replaced by it (clampToOpening)') }),
              z.object({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string().optional(), code: z.string().optional() }).loose().describe('problem details (RFC 9457)'),
            ])
            .describe('status 200: `{caseId, version, events, clamped}`; otherwise the problem'),
        }),
      )
      .describe('one per item, in the order of the items'),
  })
  .meta({ id: 'CaseDispositionBatchResult' });

export const Eido = z.object({}).loose().describe('EmergencyIncidentDataObjectType (NENA-STA-021 JSON)').meta({ id: 'Eido' });
