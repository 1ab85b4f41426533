/**
 * Builds the EIDO (NENA-STA-021 Emergency Incident Data Object, `eidoVersion` 1.0) of a case:
 * the incident (type, status, priority, beat, dispositions), the 110 call, the bureau as agency,
 * every acting user as agent, the incident location (PIDF-LO), notes (call and case narratives),
 * dispatches and the case's parties by role. Pure: the route gathers the data.
 *
 * Personal data: parties appear with their role only (names, identity numbers, phones and
 * addresses stay in records' database); the caller's number is not exported.
 * Times are UTC ISO-8601. Registry values come from ./registry-map.ts.
 */
import type { EventEnvelope, Taxonomy } from '@cad110/contracts';
import type { Case, TimelineEntry } from '../generated/prisma/client';

type TimelineRow = Omit<TimelineEntry, 'id'>;
import type { CaseEvent } from '../cases/case';
import {
  AGENCY,
  AGENT_ROLE,
  CALL_PRIORITY,
  CALL_STATE,
  commonPriorityNumber,
  DISPOSITION,
  INCIDENT_STATUS,
  INCIDENT_TYPE,
  LOCATION_TYPE,
  PERSON_ROLE,
  primaryCallType,
} from './registry-map';

export interface EidoInput {
  case: Case;
  /** the case's own events, in stream order */
  caseEvents: readonly EventEnvelope[];
  /** the call's timeline (call, dispatch and case events, public data), in timeline order */
  timeline: readonly TimelineRow[];
  /** the bureau's agency identifier (a domain name, e.g. `110.jinyun.example`) */
  agencyId: string;
  taxonomy: Taxonomy;
}

type Obj = Record<string, unknown>;
const ref = (id: string) => ({ $ref: id });

/** Escapes text for XML content / HTML5 notes. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A PIDF-LO (RFC 4119 / RFC 5491) presence document with a civic address text and/or a WGS84 point. */
export function pidfLo(entity: string, loc: { address?: string; lat?: number; lon?: number }, at: string): string {
  const geo =
    loc.lat !== undefined && loc.lon !== undefined
      ? `<gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>${loc.lat} ${loc.lon}</gml:pos></gml:Point>`
      : '';
  const civic = loc.address ? `<ca:civicAddress xml:lang="und"><ca:LOC>${escapeXml(loc.address)}</ca:LOC></ca:civicAddress>` : '';
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml" ' +
    `xmlns:ca="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" entity="pres:${escapeXml(entity)}">` +
    `<dm:device id="incident"><gp:geopriv><gp:location-info>${geo}${civic}</gp:location-info><gp:usage-rules/><gp:method>Manual</gp:method></gp:geopriv>` +
    `<dm:timestamp>${at}</dm:timestamp></dm:device></presence>`
  );
}

/**
 * The EIDO of one case.
 * @returns an object that validates against `EmergencyIncidentDataObjectType` (tested)
 */
export function buildEido(input: EidoInput): Obj {
  const { case: c, agencyId } = input;
  const iso = (d: Date | string) => (typeof d === 'string' ? d : d.toISOString());
  const incidentUrn = `urn:emergency:uid:incidentid:${c.id}:${agencyId}`;
  const callUrn = `urn:emergency:uid:callid:${c.callId}:${agencyId}`;
  const lastUpdate = [...input.timeline.map((t) => t.recordedAt.getTime()), c.updatedAt.getTime()].reduce((a, b) => Math.max(a, b), 0);
  const lastUpdateTimeStamp = new Date(lastUpdate).toISOString();
  const prologue = (id: string, at: string, agentId?: string): Obj => ({
    $id: id,
    lastUpdateTimeStamp: at,
    updatedByAgencyReference: ref(agencyId),
    ...(agentId ? { updatedByAgentReference: ref(agentId) } : {}),
  });

  // agents: every actor of the timeline, once
  const agents = new Map<string, Obj>();
  const agentIdOf = (actorId: string, role: string | null | undefined, workstation: string | null | undefined, at: string): string => {
    const id = `${actorId.replace(/[^A-Za-z0-9._:-]/g, '_')}@${agencyId}`;
    if (!agents.has(id)) {
      const registry = actorId.startsWith('system:') ? AGENT_ROLE.system! : (AGENT_ROLE[role ?? ''] ?? AGENT_ROLE.system!);
      agents.set(id, {
        ...prologue(id, at),
        agentRoleRegistryText: [registry.value],
        agencyReference: ref(agencyId),
        ...(workstation ? { agentWorkstationPositionIdentification: workstation } : {}),
      });
    }
    return id;
  };

  const data = <T>(t: TimelineRow) => t.data as T;
  const received = input.timeline.find((t) => t.type === 'CallReceived');
  const handed = input.timeline.find((t) => t.type === 'CallHandedToDispatch');
  const opened = input.timeline.find((t) => t.type === 'IncidentOpened');
  const classified = [...input.timeline].reverse().find((t) => t.type === 'CallClassified');
  const callEnded = input.timeline.find((t) => t.type === 'CallClosed' || t.type === 'CallCancelled' || t.type === 'CallTransferred');
  const location =
    (opened && data<{ location?: Obj }>(opened).location) ??
    (handed && data<{ location?: Obj }>(handed).location) ??
    (input.timeline.find((t) => t.type === 'CallLocated')?.data as Obj | undefined);

  const notes: Obj[] = [];
  const locations: Obj[] = [];
  const persons: Obj[] = [];
  const dispatches: Obj[] = [];
  const dispositions: Obj[] = [];

  for (const t of input.timeline) {
    const at = iso(t.recordedAt);
    const agent = agentIdOf(t.actorId, t.actorRole, t.workstation, at);
    if (t.type === 'CallNarrativeAppended') {
      const id = `urn:emergency:uid:noteid:${t.eventId}:${agencyId}`;
      notes.push({ ...prologue(id, at, agent), notesActionComments: `<p>${escapeXml(data<{ text: string }>(t).text)}</p>`, agentReference: ref(agent) });
    } else if (t.type === 'UnitDispatched') {
      const d = data<{ unitId: string; dispatchedAt: string }>(t);
      const noteId = `urn:emergency:uid:noteid:${t.eventId}:${agencyId}`;
      notes.push({ ...prologue(noteId, at, agent), notesActionComments: `<p>unit ${escapeXml(d.unitId)} dispatched at ${d.dispatchedAt}</p>`, agentReference: ref(agent) });
      dispatches.push({ ...prologue(`urn:emergency:uid:dispatchid:${t.eventId}:${agencyId}`, at, agent), agencyReference: ref(agencyId), agentReference: ref(agent), notesReference: [ref(noteId)] });
    }
  }

  for (const env of input.caseEvents) {
    const e = env as unknown as CaseEvent;
    const at = env.recordedAt;
    const agent = agentIdOf(env.metadata.actor.id, env.metadata.actor.role, env.metadata.workstation, at);
    if (e.type === 'CaseNarrativeAdded') {
      const id = `urn:emergency:uid:noteid:${env.eventId}:${agencyId}`;
      notes.push({ ...prologue(id, at, agent), notesActionComments: `<p>${escapeXml(e.data.text)}</p>`, agentReference: ref(agent) });
    } else if (e.type === 'PartyAdded') {
      persons.push({
        ...prologue(`urn:emergency:uid:personid:${e.data.partyId}:${agencyId}`, at, agent),
        personIncidentRoleRegistryText: [PERSON_ROLE[e.data.role].value],
        callIdentifier: [callUrn],
      });
    }
  }
  // only the latest disposition counts; earlier revisions were corrected
  const lastDisposition = [...input.caseEvents].reverse().find((e) => e.type === 'DispositionRecorded');
  if (lastDisposition) {
    const d = (lastDisposition as unknown as Extract<CaseEvent, { type: 'DispositionRecorded' }>).data;
    const agent = agentIdOf(lastDisposition.metadata.actor.id, lastDisposition.metadata.actor.role, lastDisposition.metadata.workstation, lastDisposition.recordedAt);
    d.codes.forEach((code, i) => {
      const counts = code === 'suspects-caught' ? ` (${d.suspectsCaught})` : code === 'people-rescued' ? ` (${d.peopleRescued})` : '';
      dispositions.push({
        ...prologue(`urn:emergency:uid:dispositionid:${lastDisposition.eventId}-${i}:${agencyId}`, lastDisposition.recordedAt, agent),
        dispositionCommonRegistryCode: DISPOSITION[code].value,
        dispositionPrimaryIndicator: i === 0,
        dispositionCategoryText: code,
        dispositionDescriptionText: `${code}${counts}${d.sourceCode ? `; source code ${d.sourceCode}` : ''}`,
      });
    });
  }

  if (location && (location.address || location.lat !== undefined)) {
    const at = iso(opened?.recordedAt ?? c.openedAt);
    locations.push({
      ...prologue(`urn:emergency:uid:locationid:${c.incidentId}:${agencyId}`, at),
      locationTypeDescriptionRegistryText: LOCATION_TYPE.value,
      locationByValue: pidfLo(agencyId, location as { address?: string; lat?: number; lon?: number }, iso(c.openedAt)),
      ...(location.district ? { locationDescriptionText: `district ${String(location.district)}${location.beat ? `, beat ${String(location.beat)}` : ''}` } : {}),
    });
  }

  const sub = input.taxonomy.subtype(c.subtype);
  const incidentType = INCIDENT_TYPE[c.subtype] ?? INCIDENT_TYPE.unknown!;
  const received_ = received ? data<{ answeredAt: string; ringingAt?: string; channel?: string }>(received) : undefined;
  const classifiedData = classified ? data<{ sourceCode?: string; subtype: string }>(classified) : undefined;
  const callAgents = input.timeline.filter((t) => t.source === 'intake').map((t) => agentIdOf(t.actorId, t.actorRole, t.workstation, iso(t.recordedAt)));

  const call: Obj | undefined = received_
    ? {
        ...prologue(callUrn, iso(received!.recordedAt), callAgents[0]),
        standardPrimaryCallType: primaryCallType(received_.channel).value,
        localCallType: classifiedData?.sourceCode ?? classifiedData?.subtype ?? c.subtype,
        direction: 'incoming',
        ...(c.priority && CALL_PRIORITY[c.priority] ? { priorityIdentifier: CALL_PRIORITY[c.priority]!.value } : {}),
        callStartTimestamp: received_.ringingAt ?? received_.answeredAt,
        answerDate: received_.answeredAt,
        callStateRegistryText: (callEnded || c.status === 'closed' ? CALL_STATE.ended : CALL_STATE.answered).value,
        ...(callAgents.length ? { agentReference: [...new Set(callAgents)].map(ref) } : {}),
        ...(locations.length ? { locationReference: locations.map((l) => ref(l.$id as string)) } : {}),
        ...(persons.length ? { personReference: persons.map((p) => ref(p.$id as string)) } : {}),
        agencyReference: [ref(agencyId)],
      }
    : undefined;

  const incident: Obj = {
    ...prologue(incidentUrn, lastUpdateTimeStamp),
    incidentTypeCommonRegistryText: incidentType.value,
    incidentTypeInternalCode: `${c.category}/${c.subtype}`,
    incidentTypeInternalText: sub ? `${sub.zh} ${sub.en}` : c.subtype,
    incidentStatusCommonRegistryText: [INCIDENT_STATUS[c.status as 'open' | 'closed']?.value ?? INCIDENT_STATUS.open.value],
    incidentStatusInternalText: [c.status],
    internalIncidentId: c.caseNumber,
    documentIdentification: [c.caseNumber],
    ...(c.priority ? { incidentPriorityInternalText: `P${c.priority}`, incidentCommonPriorityNumber: commonPriorityNumber(c.priority) } : {}),
    ...(c.beat || c.district ? { beatOrDispatchGroupText: [c.district, c.beat].filter(Boolean).join(' / ') } : {}),
    agentReference: [...agents.keys()].map(ref),
    ...(locations.length ? { locationReference: locations.map((l) => ref(l.$id as string)) } : {}),
    ...(persons.length ? { personReference: persons.map((p) => ref(p.$id as string)) } : {}),
    ...(dispositions.length ? { dispositionComponent: dispositions } : {}),
    ...(notes.length ? { notesReference: notes.map((n) => ref(n.$id as string)) } : {}),
  };

  const agency: Obj = {
    ...prologue(agencyId, lastUpdateTimeStamp),
    agencyRoleDescriptionRegistryText: AGENCY.roles.map((r) => r.value),
    agencyType: AGENCY.types.map((t) => t.value),
    incidentOwningAgencyIndicator: true,
  };

  return {
    ...prologue(incidentUrn, lastUpdateTimeStamp),
    eidoVersion: '1.0',
    issuingElementIdentification: `records.${agencyId}`,
    incidentComponent: incident,
    ...(call ? { callComponent: [call] } : {}),
    ...(dispatches.length ? { dispatchComponent: dispatches } : {}),
    ...(notes.length ? { notesComponent: notes } : {}),
    agencyComponent: [agency],
    agentComponent: [...agents.values()],
    ...(locations.length ? { locationComponent: locations } : {}),
    ...(persons.length ? { personComponent: persons } : {}),
    '@context': { '@vocab': './JSON-LD_Contexts/EmergencyIncidentDataObjectType.jsonld' },
  };
}

/** The bureau's EIDO agency identifier: `EIDO_AGENCY_ID` (a domain name), default `110.bureau.example`. */
export function eidoAgencyId(env: NodeJS.ProcessEnv = process.env): string {
  return env.EIDO_AGENCY_ID?.trim() || '110.bureau.example';
}
