/**
 * The incident as dispatch's API shows it: a shaped DTO of the `incidents` / `incident_units`
 * read model (camelCase, UTC ISO-8601 strings, WGS84 degrees), never the database row.
 */
import { z } from 'zod';
import { AppliedRunCard, Recommendation } from '@cad110/contracts';
import type { Incident as IncidentRow, IncidentDuplicateLink as LinkRow, IncidentNote as NoteRow, IncidentPriorityChange as PriorityRow, IncidentUnit as IncidentUnitRow } from '../generated/prisma/client';
import { Instant, isoOrNull, MaybeInstant } from '../api';

export const IncidentStatus = z.enum(['pending', 'assigned', 'closed', 'cancelled']).describe('pending: no unit working it; assigned: at least one unit on it; closed; cancelled');

/** An incident (one per call handed to dispatch). */
export const IncidentDto = z
  .object({
    id: z.uuid(),
    callId: z.uuid().describe('the intake call it was opened for'),
    status: IncidentStatus,
    priority: z.number().int().min(1).max(4).describe('1 (most urgent) to 4'),
    kind: z.string().describe('报警 report / 求助 help / 投诉 complaint'),
    category: z.string().describe('110 taxonomy category code'),
    subtype: z.string().describe('110 taxonomy subtype code'),
    flags: z.array(z.string()).describe('taxonomy flags of the subtype (e.g. weapons, in-progress)'),
    district: z.string().nullable(),
    lat: z.number().nullable().describe('WGS84 latitude, degrees'),
    lon: z.number().nullable().describe('WGS84 longitude, degrees'),
    address: z.string().nullable().describe("the call's address text as handed to dispatch (null when it had none)"),
    answeredAt: Instant.describe('UTC ISO-8601: the call was answered'),
    openedAt: Instant.describe('UTC ISO-8601: the incident was opened'),
    recommendations: z.array(Recommendation).nullable().describe('the units recommended when it opened (ETA seconds, distance metres), rank order'),
    runCard: AppliedRunCard.nullable().describe('the run card that recommendation applied'),
    activeUnits: z.number().int().nonnegative().describe('units on it now'),
    firstDispatchedAt: MaybeInstant.describe('UTC ISO-8601: first unit dispatched'),
    firstOnSceneAt: MaybeInstant.describe('UTC ISO-8601: first unit on scene'),
    closedAt: MaybeInstant,
    cancelledAt: MaybeInstant,
    closeReason: z.string().nullable(),
    disposition: z.string().nullable().describe('a close by hand: the disposition code (IncidentDisposition of libs/contracts, e.g. resolved-by-phone)'),
    closeNote: z.string().nullable().describe("the dispatcher's note with the disposition"),
    externalSource: z.string().nullable().describe('source system of a replayed call'),
    externalId: z.string().nullable().describe("the call's id in that source system"),
    version: z.number().int().nonnegative().describe('stream version; the If-Match of its commands'),
  })
  .meta({ id: 'Incident' });
export type IncidentDto = z.infer<typeof IncidentDto>;

/** One unit's assignment to the incident (`active` false once it cleared or was reassigned away). */
export const IncidentUnitDto = z
  .object({
    incidentId: z.uuid(),
    unitId: z.string(),
    callSign: z.string(),
    unitType: z.string(),
    status: z.string().describe('the unit status it reached on this incident'),
    active: z.boolean(),
    dispatchedAt: Instant,
    enRouteAt: MaybeInstant,
    onSceneAt: MaybeInstant,
    transportingAt: MaybeInstant,
    clearedAt: MaybeInstant,
    reassignedAt: MaybeInstant,
  })
  .meta({ id: 'IncidentUnit' });

/** A dispatcher's note (IncidentNoteAdded) as the detail's narrative lists it. */
export const NarrativeEntryDto = z
  .object({
    source: z.literal('dispatch').describe("`dispatch`: a dispatcher's note (the call taker's narrative is intake's)"),
    text: z.string(),
    at: Instant.describe('UTC ISO-8601: when it was noted'),
    actorId: z.string().nullable().describe('user id of who wrote it'),
    workstation: z.string().nullable(),
  })
  .meta({ id: 'IncidentNarrativeEntry' });

/** A priority change (IncidentPriorityChanged). */
export const PriorityChangeDto = z
  .object({
    from: z.number().int().min(1).max(4),
    to: z.number().int().min(1).max(4),
    reason: z.string(),
    at: Instant.describe('UTC ISO-8601: when it changed'),
    actorId: z.string().nullable(),
    workstation: z.string().nullable(),
  })
  .meta({ id: 'IncidentPriorityChange' });

/** A duplicate link (IncidentLinkedAsDuplicate) seen from one of its two incidents. */
export const DuplicateLinkDto = z
  .object({
    direction: z.enum(['duplicate-of', 'duplicated-by']).describe('`duplicate-of`: this incident duplicates the other; `duplicated-by`: the other duplicates this one'),
    incidentId: z.uuid().describe('the other incident'),
    callId: z.uuid().describe("the other incident's call"),
    source: z.literal('dispatcher'),
    reason: z.string().nullable(),
    linkedAt: Instant.describe('UTC ISO-8601: when it was linked'),
    actorId: z.string().nullable(),
    workstation: z.string().nullable(),
  })
  .meta({ id: 'IncidentDuplicateLink' });

export const IncidentDetail = IncidentDto.extend({
  units: z.array(IncidentUnitDto).describe('assignments in dispatch order'),
  narrative: z.array(NarrativeEntryDto).describe("the dispatchers' notes, oldest first"),
  priorityChanges: z.array(PriorityChangeDto).describe('priority changes with their reasons, oldest first'),
  duplicates: z.array(DuplicateLinkDto).describe('duplicate links from and to this incident, oldest first'),
}).meta({ id: 'IncidentDetail' });

export const IncidentList = z.object({ items: z.array(IncidentDto), total: z.number().int().nonnegative().describe('incidents matching (items holds at most `limit`)') });

/**
 * The brief view of an incident (`view=brief`): where it stands, without the location, the
 * recommendation and the run card — what a replay or a bulk look-up needs, about 0.2 kB instead of 2.7.
 */
export const IncidentBriefDto = IncidentDto.pick({ id: true, callId: true, status: true, district: true, activeUnits: true, firstDispatchedAt: true, externalSource: true, externalId: true, version: true }).meta({ id: 'IncidentBrief' });
export type IncidentBriefDto = z.infer<typeof IncidentBriefDto>;
/** The columns of {@link IncidentBriefDto} (the recommendation, kept out of line, is never read). */
export const INCIDENT_BRIEF_COLUMNS = 'id, call_id, status, district, active_units, first_dispatched_at, external_source, external_id, version';
export const IncidentBriefList = z.object({ items: z.array(IncidentBriefDto), total: z.number().int().nonnegative().describe('incidents matching (items holds at most `limit`)') });

/** Brief row → DTO. */
export function incidentBriefDto(r: Pick<IncidentRow, 'id' | 'callId' | 'status' | 'district' | 'activeUnits' | 'firstDispatchedAt' | 'externalSource' | 'externalId' | 'version'>): IncidentBriefDto {
  return {
    id: r.id,
    callId: r.callId,
    status: r.status as IncidentDto['status'],
    district: r.district,
    activeUnits: r.activeUnits,
    firstDispatchedAt: isoOrNull(r.firstDispatchedAt),
    externalSource: r.externalSource,
    externalId: r.externalId,
    version: r.version,
  };
}

/** Row → DTO. */
export function incidentDto(r: IncidentRow): IncidentDto {
  return {
    id: r.id,
    callId: r.callId,
    status: r.status as IncidentDto['status'],
    priority: r.priority,
    kind: r.kind,
    category: r.category,
    subtype: r.subtype,
    flags: r.flags,
    district: r.district,
    lat: r.lat,
    lon: r.lon,
    address: r.address,
    answeredAt: r.answeredAt.toISOString(),
    openedAt: r.openedAt.toISOString(),
    recommendations: (r.recommendations as IncidentDto['recommendations']) ?? null,
    runCard: (r.runCard as IncidentDto['runCard']) ?? null,
    activeUnits: r.activeUnits,
    firstDispatchedAt: isoOrNull(r.firstDispatchedAt),
    firstOnSceneAt: isoOrNull(r.firstOnSceneAt),
    closedAt: isoOrNull(r.closedAt),
    cancelledAt: isoOrNull(r.cancelledAt),
    closeReason: r.closeReason,
    disposition: r.disposition,
    closeNote: r.closeNote,
    externalSource: r.externalSource,
    externalId: r.externalId,
    version: r.version,
  };
}

/** Assignment row → DTO. */
export function incidentUnitDto(u: Omit<IncidentUnitRow, 'id'>): z.infer<typeof IncidentUnitDto> {
  return {
    incidentId: u.incidentId,
    unitId: u.unitId,
    callSign: u.callSign,
    unitType: u.unitType,
    status: u.status,
    active: u.active,
    dispatchedAt: u.dispatchedAt.toISOString(),
    enRouteAt: isoOrNull(u.enRouteAt),
    onSceneAt: isoOrNull(u.onSceneAt),
    transportingAt: isoOrNull(u.transportingAt),
    clearedAt: isoOrNull(u.clearedAt),
    reassignedAt: isoOrNull(u.reassignedAt),
  };
}

/** Note row → narrative entry. */
export function noteDto(n: Omit<NoteRow, 'id'>): z.infer<typeof NarrativeEntryDto> {
  return { source: 'dispatch', text: n.text, at: n.at.toISOString(), actorId: n.actorId, workstation: n.workstation };
}

/** Priority change row → DTO. */
export function priorityChangeDto(p: Omit<PriorityRow, 'id'>): z.infer<typeof PriorityChangeDto> {
  return { from: p.fromPriority, to: p.toPriority, reason: p.reason, at: p.at.toISOString(), actorId: p.actorId, workstation: p.workstation };
}

/** Link row → DTO, seen from incident `id`. */
export function duplicateLinkDto(id: string, l: Omit<LinkRow, 'id'>): z.infer<typeof DuplicateLinkDto> {
  const of = l.incidentId === id;
  return {
    direction: of ? 'duplicate-of' : 'duplicated-by',
    incidentId: of ? l.duplicateOfIncidentId : l.incidentId,
    callId: of ? l.duplicateOfCallId : l.callId,
    source: 'dispatcher',
    reason: l.reason,
    linkedAt: l.at.toISOString(),
    actorId: l.actorId,
    workstation: l.workstation,
  };
}
