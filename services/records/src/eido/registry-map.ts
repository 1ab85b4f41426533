/**
 * How local codes become EIDO registry values (NENA-STA-021). The JSON schema only types these
 * fields as strings; their allowed values live in NENA/APCO/IANA registries that are NOT part of
 * `../shared/standards/eido`. Every value below therefore names its source, and values that no
 * source available while writing this could confirm are marked `verified: false` — check them
 * against the NENA Registry System before exchanging EIDOs with another agency.
 * The README's "EIDO mapping" section is this file in table form.
 */
import type { DispositionCode, PartyRole } from '../cases/case';

export interface RegistryValue {
  value: string;
  source: string;
  verified: boolean;
}

const APCO = 'APCO ANS 2.103.1-2012 Common Incident Types (NIEM code list apco:IncidentCategoryCodeSimpleType; NENA911/EIDO-JSON Schema/NIEMComponents/apco.yaml)';
const SAMPLE = 'NENA sample ../shared/standards/eido/Samples/Sample call transfer EIDO.json';
const UPSTREAM_SAMPLE = 'NENA911/EIDO-JSON Samples/Sample_EIDO.json (earlier draft sample)';
const SCHEMA = '../shared/standards/eido/Schema/openapi.yaml (field enumeration or description)';
const UNVERIFIED = 'assumed; the NENA registry was not available to check';

const apco = (value: string): RegistryValue => ({ value, source: APCO, verified: true });

/**
 * 110 taxonomy subtype → `incidentTypeCommonRegistryText` (APCO common incident type code, the
 * closest code by its published definition). Every subtype of taxonomy.v1.json has an entry
 * (checked by a unit test).
 */
export const INCIDENT_TYPE: Record<string, RegistryValue> = {
  // criminal 刑事
  robbery: apco('ROBBERY'),
  snatching: apco('LARCENY'),
  theft: apco('LARCENY'),
  burglary: apco('BURGLARY'),
  'vehicle-theft': apco('VEHSTLN'),
  pickpocketing: apco('LARCENY'),
  assault: apco('ASSAULT'),
  homicide: apco('HOMICIDE'),
  'sexual-offence': apco('SEXOFFNS'),
  kidnapping: apco('ABDUCTNF'),
  fraud: apco('FRAUD'),
  shooting: apco('SHOOT'),
  'shots-fired': apco('SHOOT'),
  arson: apco('FARSON'),
  drugs: apco('DRUGS'),
  'criminal-damage': apco('VANDAL'),
  'weapon-threat': apco('WEAPON'),
  'criminal-other': apco('INVEST'),
  // public order 治安
  fighting: apco('FIGHT'),
  disturbance: apco('DISORD'),
  noise: apco('NOISE'),
  'drunk-person': apco('INTOX'),
  trespass: apco('TRESPASS'),
  'suspicious-person': apco('PERSUSP'),
  'suspicious-vehicle': apco('VEHSUSP'),
  prostitution: apco('VICE'),
  gambling: apco('VICE'),
  alarm: apco('ALRU'),
  fireworks: apco('FIREWRKS'),
  'indecent-exposure': apco('INDECENT'),
  intimidation: apco('THREATS'),
  // traffic 交通
  'injury-accident': apco('MVAINJY'),
  'property-damage-accident': apco('MVA'),
  'hit-and-run': apco('MVAHR'),
  'drunk-driving': apco('DUI'),
  'reckless-driving': apco('RECKDRV'),
  'illegal-parking': apco('PARKING'),
  'road-hazard': apco('THAZ'),
  // fire 火灾
  'building-fire': apco('FSTRU'),
  'vehicle-fire': apco('FVEH'),
  explosion: apco('EXPLOS'),
  hazmat: apco('HAZMAT'),
  // dispute 纠纷
  'domestic-dispute': apco('DVNA'),
  'domestic-violence': apco('DVA'),
  'neighbour-dispute': apco('CIVIL'),
  'landlord-tenant': apco('CIVIL'),
  'commercial-dispute': apco('CIVIL'),
  'labour-dispute': apco('CIVIL'),
  // public assistance 群众求助
  'welfare-check': apco('WELFARE'),
  'person-down': apco('PERUNCON'),
  'missing-person': apco('PERMISS'),
  'lost-child': apco('PERMISS'),
  'found-child': apco('PERFND'),
  'mental-health-crisis': apco('EDP'),
  'suicide-attempt': apco('SUICIDE'),
  'water-rescue': apco('WATER'),
  rescue: apco('RESCUE'),
  'public-hazard': apco('PUBWKS'),
  animal: apco('ANIMAL'),
  'lost-property': apco('PROPLOST'),
  'found-property': apco('PROPFND'),
  'lock-out': apco('CITASST'),
  'assist-other-agency': apco('ASSIST'),
  'general-assistance': apco('CITASST'),
  // other 其他
  'police-conduct': apco('ADMIN'),
  'hang-up': apco('911H'),
  misdial: apco('911H'),
  'prank-call': apco('HARR'),
  'test-call': apco('ADMIN'),
  'unknown-trouble': apco('TROUBLE'),
  'dead-body': apco('DEATH'),
  'officer-backup': apco('BACK'),
  'officer-initiated': apco('ADMIN'),
  'information-only': apco('INFO'),
  unknown: apco('TROUBLE'),
};

/** Case status → `incidentStatusCommonRegistryText` (the local status also goes to incidentStatusInternalText). */
export const INCIDENT_STATUS: Record<'open' | 'closed', RegistryValue> = {
  open: { value: 'Active', source: UNVERIFIED, verified: false },
  closed: { value: 'Closed', source: UNVERIFIED, verified: false },
};

/** Call state → `callStateRegistryText` (IANA call states named in the schema's description: callBegin, callAnswered, callEnd ...). */
export const CALL_STATE: Record<'answered' | 'ended', RegistryValue> = {
  answered: { value: 'callAnswered', source: `${SCHEMA}; ${SAMPLE}`, verified: true },
  ended: { value: 'callEnd', source: SCHEMA, verified: true },
};

/** Disposition code → `dispositionCommonRegistryCode` (our code also goes to dispositionCategoryText). */
export const DISPOSITION: Record<DispositionCode, RegistryValue> = {
  solved: { value: 'Resolved', source: UNVERIFIED, verified: false },
  'suspects-caught': { value: 'Arrest', source: UNVERIFIED, verified: false },
  'dispute-mediated': { value: 'Mediated', source: UNVERIFIED, verified: false },
  'no-offence-found': { value: 'Unfounded', source: UNVERIFIED, verified: false },
  transferred: { value: 'Referred To Other Agency', source: UNVERIFIED, verified: false },
  'false-report': { value: 'False Report', source: UNVERIFIED, verified: false },
  'people-rescued': { value: 'Rescue', source: UNVERIFIED, verified: false },
  'advice-given': { value: 'Advised', source: UNVERIFIED, verified: false },
  unresolved: { value: 'Unable To Resolve', source: UNVERIFIED, verified: false },
};

/** Party role → `personIncidentRoleRegistryText`. */
export const PERSON_ROLE: Record<PartyRole, RegistryValue> = {
  victim: { value: 'Victim', source: UNVERIFIED, verified: false },
  suspect: { value: 'Suspect', source: UNVERIFIED, verified: false },
  witness: { value: 'Witness', source: UNVERIFIED, verified: false },
  'reporting-person': { value: 'Caller', source: SAMPLE, verified: true },
};

/** cad110 role of the acting user → `agentRoleRegistryText`. */
export const AGENT_ROLE: Record<string, RegistryValue> = {
  call_taker: { value: 'Call Taking', source: SAMPLE, verified: true },
  dispatcher: { value: 'Dispatching', source: UPSTREAM_SAMPLE, verified: true },
  supervisor: { value: 'Supervisor', source: UNVERIFIED, verified: false },
  analyst: { value: 'Analyst', source: UNVERIFIED, verified: false },
  ops: { value: 'Administrator', source: UNVERIFIED, verified: false },
  admin: { value: 'Administrator', source: UNVERIFIED, verified: false },
  system: { value: 'Automated System', source: UNVERIFIED, verified: false },
};

/** The bureau as an agency: `agencyRoleDescriptionRegistryText` and `agencyType` (IANA urn:emergency:service:responder, without the prefix). */
export const AGENCY = {
  roles: [
    { value: 'CallReceiving', source: SAMPLE, verified: true },
    { value: 'Dispatch', source: UPSTREAM_SAMPLE, verified: true },
  ] as RegistryValue[],
  types: [
    { value: 'police', source: `${SCHEMA} (IANA urn:emergency:service:responder; example police.federal.fbi)`, verified: true },
    { value: 'psap', source: SAMPLE, verified: true },
  ] as RegistryValue[],
};

/** Location of the incident → `locationTypeDescriptionRegistryText`. */
export const LOCATION_TYPE: RegistryValue = { value: 'Incident', source: UNVERIFIED, verified: false };

/** Call channel → `standardPrimaryCallType` (LogEvent CallTypes registry, "Primary"). */
export function primaryCallType(channel: string | undefined): RegistryValue {
  return channel === 'non-emergency' || channel === 'officer-initiated' || channel === 'other'
    ? { value: 'nonEmergency', source: UNVERIFIED, verified: false }
    : { value: 'emergency', source: SAMPLE, verified: true };
}

/** 110 priority 1..4 → `priorityIdentifier` (schema enumeration highest … lowest). */
export const CALL_PRIORITY: Record<number, RegistryValue> = {
  1: { value: 'highest', source: SCHEMA, verified: true },
  2: { value: 'high', source: SCHEMA, verified: true },
  3: { value: 'normal', source: SCHEMA, verified: true },
  4: { value: 'low', source: SCHEMA, verified: true },
};

/**
 * 110 priority 1..4 → `incidentCommonPriorityNumber` 0..10 (10 = highest, per NENA-STA-021.1a
 * §2.9): 1 → 10, 2 → 7, 3 → 4, 4 → 1 (linear, our own choice).
 */
export function commonPriorityNumber(priority: number): number {
  return Math.max(0, Math.min(10, 10 - (priority - 1) * 3));
}
