/**
 * The dispatcher desk's shapes: incidents and units as dispatch's `GET /incidents` and `GET /units`
 * answer them, and the desk's action kinds. Kept in one module the desk's views and components
 * import, so none of them imports another for a type (no import cycle).
 */
export interface Incident {
  id: string;
  callId: string;
  status: string;
  priority: number;
  kind: string;
  category: string;
  subtype: string;
  district: string | null;
  lat: number | null;
  lon: number | null;
  answeredAt: string;
  openedAt: string;
  recommendations: unknown[] | null;
  version: number;
  firstDispatchedAt?: string | null;
  firstOnSceneAt?: string | null;
  closedAt?: string | null;
  cancelledAt?: string | null;
  closeReason?: string | null;
  /** source system of a replayed call (its times are the source's, not this bureau's clock) */
  externalSource?: string | null;
  /** the address dispatch keeps from the call (when the service has it) */
  address?: string | null;
}

export interface Unit {
  id: string;
  callSign: string;
  type: string;
  district: string;
  homeStation: string;
  lat: number | null;
  lon: number | null;
  status: string;
  onDuty: boolean;
  crewSize: number;
  statusSince?: string | null;
  avlAt?: string | null;
  replay?: boolean;
  incidentId?: string | null;
  dutyNow?: { onDuty: boolean; reason: string };
}

/** A unit on an incident as `GET /incidents/{id}` lists it (`active` false once it cleared or was reassigned). */
export interface IncidentUnit {
  incidentId: string;
  unitId: string;
  callSign: string;
  unitType: string;
  status: string;
  active: boolean;
  dispatchedAt: string;
  enRouteAt: string | null;
  onSceneAt: string | null;
  transportingAt: string | null;
  clearedAt: string | null;
  reassignedAt: string | null;
}

/** A duplicate link of an incident as dispatch's detail lists it (call taker's call links and dispatchers' incident links). */
export interface DuplicateLink {
  direction: 'duplicate-of' | 'duplicated-by';
  callId: string | null;
  incidentId: string | null;
  source: 'call-taker' | 'dispatcher' | string;
  merged?: boolean;
  reason?: string | null;
  linkedAt: string;
}

/** One narrative entry of dispatch's detail: the call taker's entries and the dispatchers' notes, oldest first. */
export interface NarrativeEntry {
  source: 'call' | 'dispatch' | string;
  text: string;
  at: string;
  actorId?: string | null;
  workstation?: string | null;
}

/**
 * `GET /incidents/{id}`: the incident with its units; the fields after `units` are dispatch's
 * fuller detail (issue 15 §1), absent from a dispatch that does not serve them yet (the desk then
 * reads the call from intake and the links from the records timeline).
 */
export type IncidentDetail = Incident & {
  units: IncidentUnit[];
  narrative?: NarrativeEntry[];
  sopAnswers?: { index: number; question: string; answer: string }[];
  duplicates?: DuplicateLink[];
  locationText?: string | null;
  disposition?: string | null;
  /** dispatch's priority changes (IncidentPriorityChanged), oldest first */
  priorityChanges?: { from: number; to: number; reason: string; at: string; actorId?: string | null; workstation?: string | null }[];
};

/** The actions the desk opens a dialog for (command bar and incident pane). */
export type ActionKind = 'cancel' | 'close' | 'note' | 'priority' | 'link';
