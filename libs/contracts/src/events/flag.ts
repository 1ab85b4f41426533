import { z } from 'zod';
import { IsoUtc } from '../envelope';
import { defineEvent } from '../registry';
import { maskPhone } from './call';

/** Stream id of a hazard / person flag: `flag-<uuid>`. */
export const flagStreamId = (flagId: string) => `flag-${flagId}`;

/** 重点地点 (a hazardous or sensitive location) or 重点人员 (a person of concern, by phone number). */
export const FlagKind = z.enum(['location', 'person']);

/**
 * A supervisor raised a hazard or person flag (intake). Stored in intake's event store; not
 * published (the number is personal data), so the publicData redaction is a second guard.
 */
export const FlagRaised = defineEvent({
  type: 'FlagRaised',
  topic: 'calls',
  schema: z.object({
    flagId: z.uuid(),
    kind: FlagKind,
    label: z.string().min(1).max(120).describe('what the call taker must know, e.g. 持刀前科 / 危化品仓库'),
    note: z.string().max(1000).optional(),
    number: z.string().max(32).optional().describe('person flag: phone number (personal data)'),
    address: z.string().max(300).optional(),
    lat: z.number().min(-90).max(90).optional(),
    lon: z.number().min(-180).max(180).optional(),
    radiusMetres: z.number().positive().max(5000).optional().describe('location flag: matches calls within this radius, metres'),
    raisedAt: IsoUtc,
  }),
  publicData: (d) => ({ ...d, ...(d.number ? { number: maskPhone(d.number) } : {}), address: undefined }),
});

/** A supervisor retired a flag, with the reason (intake). */
export const FlagRetired = defineEvent({
  type: 'FlagRetired',
  topic: 'calls',
  schema: z.object({ flagId: z.uuid(), reason: z.string().min(1).max(500), retiredAt: IsoUtc }),
});

export const FLAG_EVENTS = [FlagRaised, FlagRetired] as const;
