import { z } from 'zod';
import { IsoUtc } from '../envelope';
import { defineEvent } from '../registry';
import { FilterCode } from './common';

export const caseStreamId = (caseId: string) => `case-${caseId}`;

export const CaseOpened = defineEvent({
  type: 'CaseOpened',
  topic: 'cases',
  schema: z.object({
    caseId: z.uuid(),
    caseNumber: z.string().max(32).describe('gapless per local year, e.g. JY-2026-000123'),
    incidentId: z.uuid(),
    callId: z.uuid(),
    openedAt: IsoUtc,
    category: FilterCode(),
    subtype: FilterCode(),
    district: FilterCode().optional(),
  }),
});

export const CaseNarrativeAdded = defineEvent({
  type: 'CaseNarrativeAdded',
  topic: 'cases',
  schema: z.object({ caseId: z.uuid(), text: z.string().min(1).max(8000), author: z.string().max(128) }),
});

export const PartyRole = z.enum(['victim', 'suspect', 'witness', 'reporting-person']);

/** A person linked to a case. Personal fields stay in records' store; published without them. */
export const PartyAdded = defineEvent({
  type: 'PartyAdded',
  topic: 'cases',
  schema: z.object({
    caseId: z.uuid(),
    partyId: z.uuid(),
    role: PartyRole,
    name: z.string().max(120).optional(),
    idNumber: z.string().max(64).optional(),
    phone: z.string().max(32).optional(),
    address: z.string().max(300).optional(),
  }),
  publicData: (d) => ({ caseId: d.caseId, partyId: d.partyId, role: d.role }),
});

/**
 * Outcome codes in the spirit of GA/T 2000.152. A case's disposition is its latest
 * DispositionRecorded (a correction is a new event with a higher `revision`); statistics count
 * suspects caught, people rescued and disputes mediated from that latest one per case.
 */
export const DispositionCode = z.enum([
  'solved',
  'suspects-caught',
  'dispute-mediated',
  'no-offence-found',
  'transferred',
  'false-report',
  'people-rescued',
  'advice-given',
  'unresolved',
]);

export const DispositionRecorded = defineEvent({
  type: 'DispositionRecorded',
  topic: 'cases',
  schema: z.object({
    caseId: z.uuid(),
    codes: z.array(DispositionCode).min(1),
    suspectsCaught: z.number().int().nonnegative().default(0),
    peopleRescued: z.number().int().nonnegative().default(0),
    recordedAt: IsoUtc,
    note: z.string().max(2000).optional(),
    sourceCode: z.string().max(64).optional(),
    revision: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('1 for the first disposition of a case, +1 for each correction; the latest revision is the case\'s disposition (absent on events written before it existed: count as 1)'),
  }),
});

export const CaseClosed = defineEvent({
  type: 'CaseClosed',
  topic: 'cases',
  schema: z.object({ caseId: z.uuid(), closedAt: IsoUtc }),
});

export const CaseReopened = defineEvent({
  type: 'CaseReopened',
  topic: 'cases',
  schema: z.object({ caseId: z.uuid(), reopenedAt: IsoUtc, reason: z.string().min(1).max(500) }),
});

export const CASE_EVENTS = [CaseOpened, CaseNarrativeAdded, PartyAdded, DispositionRecorded, CaseClosed, CaseReopened] as const;
