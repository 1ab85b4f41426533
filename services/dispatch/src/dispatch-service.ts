import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  CallHandedToDispatch,
  dutyLevelStreamId,
  incidentStreamId,
  unitStreamId,
  type DutyLevel,
  type EventEnvelope,
  type EventMetadata,
  type EventRegistry,
  type Taxonomy,
  type UnitRegistered,
  type UnitStatus,
} from '@cad110/contracts';
import { appendToStream, insertRow, json, selectRows, updateRows, type NewEvent, type RunInTransaction, type SqlTx } from '@cad110/eventstore';
import type { Unit as UnitRow, Incident as IncidentRow, DutyLevelState as DutyLevelRow } from './generated/prisma/client';
import { anchorOf, type CountyMap, type Geometry } from './map/county-map';
import type { EtaModel } from './recommend/eta';
import { FREE_STATUSES, recommend, type Recommendation, type UnitCandidate } from './recommend/recommend';
import type { RunCards } from './recommend/run-cards';
import { DUTY_RANK, dutyStatus } from './units/duty';
import { decide as decideUnit, evolve as evolveUnit, initialUnitState, ON_INCIDENT, UnitRejected, type UnitCommand, type UnitEvent, type UnitState } from './units/unit';
import { decide as decideIncident, IncidentRejected, type IncidentCommand, type IncidentEvent, type IncidentState } from './incidents/incident';

type Handed = z.infer<typeof CallHandedToDispatch.schema>;
export type UnitDefinition = Omit<z.infer<typeof UnitRegistered.schema>, 'registeredAt'>;

/** Who acts: actor, workstation and the request id (causation) of the HTTP request. */
export type ActingUser = Pick<EventMetadata, 'actor' | 'workstation'> & { requestId?: string };

export const SYSTEM_ACTOR: ActingUser = { actor: { id: 'system:dispatch' } };

/** `at` is later than the clock allows (HTTP 400 on field `at`). */
export class FutureTimeError extends Error {
  constructor(readonly at: string) {
    super(`at ${at} is in the future`);
    this.name = 'FutureTimeError';
  }
}

/** The If-Match version is not the current one (HTTP 412). */
export class VersionMismatch extends Error {
  constructor(
    readonly current: number,
    what: string,
  ) {
    super(`${what} is at version ${current}`);
    this.name = 'VersionMismatch';
  }
}

/** A unit, incident or district that does not exist (HTTP 404). */
export class NotFound extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'NotFound';
  }
}

export { UnitRejected, IncidentRejected };

export interface DispatchDeps {
  /**
   * One database transaction for every read and write of the service (the runtime's plain `pg`
   * transaction, `rt.sql`: raw SQL, no Prisma client in the write path).
   */
  transaction: RunInTransaction<SqlTx>;
  registry: EventRegistry;
  taxonomy: Taxonomy;
  eta: EtaModel;
  runCards: RunCards;
  map: CountyMap;
  /** the bureau's IANA zone, for shifts, time bands and run-card windows */
  timeZone: string;
  /** injectable clock (tests pass a fake one) */
  clock: () => Date;
  /** called after a commit that wrote outbox rows (nudges the relay) */
  published: () => void;
  /** tolerance for `at` ahead of the clock, ms (clock skew of consoles; default 5000) */
  futureToleranceMs?: number;
}

/** Not-en-route limit: a dispatched unit that has not reported en route after 60 s is overdue. */
export const NOT_EN_ROUTE_LIMIT_SECONDS = 60;

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

const MINUTE_FORMATS = new Map<string, Intl.DateTimeFormat>();

/**
 * Local minute of day (0..1439) of a UTC instant (ISO-8601 with `Z`) in the IANA `zone`: the
 * same value as `localParts` (libs/contracts, luxon) gives, read from one cached
 * `Intl.DateTimeFormat` per zone (hour and minute only, about a tenth of the CPU: it runs for
 * every recommendation).
 * @throws Error when `atIso` is not an instant; RangeError when `zone` is unknown
 */
export function localMinute(atIso: string, zone: string): number {
  const t = Date.parse(atIso);
  if (Number.isNaN(t)) throw new Error(`invalid instant: ${atIso}`);
  let f = MINUTE_FORMATS.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' });
    MINUTE_FORMATS.set(zone, f);
  }
  let hour = 0;
  let minute = 0;
  for (const p of f.formatToParts(t)) {
    if (p.type === 'hour') hour = Number(p.value) % 24;
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return hour * 60 + minute;
}

/** A unit row as the recommender's candidate. */
export function candidateOf(u: UnitRow): UnitCandidate {
  return {
    id: u.id,
    callSign: u.callSign,
    type: u.type,
    district: u.district,
    status: u.status,
    capabilities: u.capabilities,
    minDutyLevel: u.minDutyLevel as DutyLevel,
    shift: { name: u.shiftName, start: u.shiftStart, end: u.shiftEnd },
    anchor: u.anchorLat !== null && u.anchorLon !== null ? { lat: u.anchorLat, lon: u.anchorLon } : null,
    avl: u.avlLat !== null && u.avlLon !== null && u.avlAt ? { lat: u.avlLat, lon: u.avlLon, atMs: u.avlAt.getTime() } : null,
    replay: u.replay,
  };
}

function unitStateOf(u: UnitRow): UnitState {
  return {
    registered: true,
    unitId: u.id,
    status: u.status as UnitStatus,
    statusSince: iso(u.statusSince),
    incidentId: u.incidentId,
    callId: u.callId,
    alertsInStatus: u.alertsInStatus,
    position: u.avlLat !== null && u.avlLon !== null && u.avlAt ? { lat: u.avlLat, lon: u.avlLon, at: u.avlAt.toISOString() } : null,
  };
}

/** A row of {@link CANDIDATES_SQL}: only the columns the recommender needs, with the district's duty level. */
interface CandidateRow {
  id: string;
  call_sign: string;
  type: string;
  district: string;
  status: string;
  capabilities: string[];
  min_duty_level: string;
  shift_name: string;
  shift_start: string;
  shift_end: string;
  anchor_lat: number | null;
  anchor_lon: number | null;
  avl_lat: number | null;
  avl_lon: number | null;
  /** the AVL fix time in ms since the epoch (float8, so no Date is parsed per row) */
  avl_ms: number | null;
  replay: boolean;
  /** the duty level of the unit's district; null = no row = normal */
  duty_level: string | null;
}

/**
 * The units the recommender can pick (free: available or cleared; replay units only when asked)
 * with their district's duty level, in one statement. The recommender filters on the same
 * conditions ({@link FREE_STATUSES}, `replay`), so filtering here changes no recommendation; it
 * only leaves busy units and their columns out of the per-call read.
 */
const CANDIDATES_SQL = `SELECT u.id, u.call_sign, u.type, u.district, u.status, u.capabilities, u.min_duty_level,
       u.shift_name, u.shift_start, u.shift_end, u.anchor_lat, u.anchor_lon, u.avl_lat, u.avl_lon,
       (extract(epoch FROM u.avl_at) * 1000)::float8 AS avl_ms, u.replay, d.level AS duty_level
  FROM units u LEFT JOIN duty_levels d ON d.district = u.district
 WHERE u.status = ANY($1::text[]) AND ($2::boolean OR NOT u.replay)`;

const FREE = [...FREE_STATUSES];

/**
 * Free units as recommender candidates plus the duty levels of their districts (districts
 * without a row are normal, as in {@link DispatchService.recommendWith}).
 */
export async function freeCandidates(tx: SqlTx, includeReplayUnits = false): Promise<{ units: UnitCandidate[]; dutyLevels: Map<string, DutyLevel> }> {
  const rows = await tx.$queryRawUnsafe<CandidateRow[]>(CANDIDATES_SQL, FREE, includeReplayUnits);
  const dutyLevels = new Map<string, DutyLevel>();
  const units = rows.map((u): UnitCandidate => {
    if (u.duty_level !== null) dutyLevels.set(u.district, u.duty_level as DutyLevel);
    return {
      id: u.id,
      callSign: u.call_sign,
      type: u.type,
      district: u.district,
      status: u.status,
      capabilities: u.capabilities,
      minDutyLevel: u.min_duty_level as DutyLevel,
      shift: { name: u.shift_name, start: u.shift_start, end: u.shift_end },
      anchor: u.anchor_lat !== null && u.anchor_lon !== null ? { lat: u.anchor_lat, lon: u.anchor_lon } : null,
      avl: u.avl_lat !== null && u.avl_lon !== null && u.avl_ms !== null ? { lat: u.avl_lat, lon: u.avl_lon, atMs: u.avl_ms } : null,
      replay: u.replay,
    };
  });
  return { units, dutyLevels };
}

/**
 * Dispatch's use cases: the unit registry, unit status lifecycle, AVL positions, incidents
 * (open, assign, reassign, cancel, close), duty levels, recommendations and overdue timers.
 *
 * Every change appends events with an expected version to the aggregate's stream (unit-<id>,
 * incident-<id>, duty-<district>) and updates the read models in the same transaction. Rows of
 * incidents and units are locked (`FOR UPDATE`, incidents before units) so multi-stream changes
 * (e.g. the last unit clearing closes its incident) are serialised.
 *
 * Everything runs on {@link SqlTx} with raw SQL (plain `pg` transactions); the read models'
 * `updated_at` (Prisma's `@updatedAt`, no database default) is set on every insert and update.
 */
export class DispatchService {
  constructor(readonly deps: DispatchDeps) {}

  /** The clock's current time, UTC ISO-8601. */
  now(): string {
    return this.deps.clock().toISOString();
  }

  /**
   * Resolves an optional `at` (UTC ISO-8601) against the clock: default now; refused when later
   * than now + tolerance (late entries and historical replays give past times).
   * @throws FutureTimeError
   */
  resolveAt(at?: string): string {
    const now = this.deps.clock().getTime();
    if (!at) return new Date(now).toISOString();
    const t = Date.parse(at);
    if (t > now + (this.deps.futureToleranceMs ?? 5000)) throw new FutureTimeError(at);
    return new Date(t).toISOString();
  }

  private meta(by: ActingUser, correlationId: string, causationId?: string | null) {
    return { actor: by.actor, ...(by.workstation ? { workstation: by.workstation } : {}), correlationId, causationId: causationId ?? by.requestId ?? null };
  }

  // ---------------------------------------------------------------- registry

  /**
   * Registers a unit (UnitRegistered on its new stream) and its registry row.
   * @throws UnitRejected `unit-exists` when the id or call sign is taken
   */
  async registerUnit(def: UnitDefinition, by: ActingUser, tx?: SqlTx): Promise<{ unitId: string; version: number }> {
    const run = async (t: SqlTx) => {
      const clash = await t.$queryRawUnsafe<unknown[]>('SELECT 1 FROM units WHERE id = $1 OR call_sign = $2 LIMIT 1', def.unitId, def.callSign);
      if (clash.length) throw new UnitRejected('unit-exists', `unit ${def.unitId} or call sign ${def.callSign} is already registered`);
      const data = { ...def, registeredAt: this.now() };
      const events = decideUnit({ type: 'RegisterUnit', unit: data }, initialUnitState);
      const stored = await appendToStream(t, this.deps.registry, {
        streamId: unitStreamId(def.unitId),
        streamType: 'unit',
        expectedVersion: 0,
        events: events.map((e) => ({ type: e.type, data: e.data, occurredAt: data.registeredAt })),
        source: 'dispatch',
        partitionKey: def.unitId,
        metadata: this.meta(by, def.unitId),
      });
      const anchor = anchorOf(def.geometry as Geometry | undefined);
      const level = (await t.$queryRawUnsafe<{ level: DutyLevel }[]>('SELECT level FROM duty_levels WHERE district = $1', def.district))[0]?.level;
      await insertRow(t, 'units', {
          id: def.unitId,
          callSign: def.callSign,
          type: def.type,
          district: def.district,
          homeStation: def.homeStation,
          capabilities: def.capabilities,
          crewSize: def.crewSize,
          shiftName: def.shift.name,
          shiftStart: def.shift.start,
          shiftEnd: def.shift.end,
          minDutyLevel: def.minDutyLevel,
          geometry: def.geometry ? json(def.geometry) : undefined,
          anchorLat: anchor?.lat ?? null,
          anchorLon: anchor?.lon ?? null,
          lat: anchor?.lat ?? null,
          lon: anchor?.lon ?? null,
          replay: def.replay ?? false,
          status: 'available',
          onDuty: DUTY_RANK[level ?? 'normal'] >= DUTY_RANK[def.minDutyLevel],
          version: stored.at(-1)!.streamVersion,
          updatedAt: new Date(),
      });
      return { unitId: def.unitId, version: stored.at(-1)!.streamVersion };
    };
    if (tx) return run(tx);
    const out = await this.deps.transaction(run);
    this.deps.published();
    return out;
  }

  /** Registers every seed unit that is not registered yet; existing units keep their state. */
  async seed(units: readonly UnitDefinition[]): Promise<number> {
    let n = 0;
    for (const u of units) {
      const exists = await this.deps.transaction((t) => t.$queryRawUnsafe<unknown[]>('SELECT 1 FROM units WHERE id = $1', u.unitId));
      if (exists.length) continue;
      try {
        await this.registerUnit(u, SYSTEM_ACTOR);
        n++;
      } catch (e) {
        if (!(e instanceof UnitRejected)) throw e; // another instance seeded it first
      }
    }
    return n;
  }

  // ---------------------------------------------------------------- unit commands

  /** Locks an incident's row and reads it (one statement: FOR UPDATE returns the latest committed row). */
  private async lockIncident(tx: SqlTx, incidentId: string): Promise<IncidentRow | null> {
    return (await selectRows<IncidentRow>(tx, 'SELECT * FROM incidents WHERE id = $1::uuid FOR UPDATE', incidentId))[0] ?? null;
  }

  /** Locks a unit's row and reads it. */
  private async lockUnit(tx: SqlTx, unitId: string): Promise<UnitRow | null> {
    return (await selectRows<UnitRow>(tx, 'SELECT * FROM units WHERE id = $1 FOR UPDATE', unitId))[0] ?? null;
  }

  /** The incident a unit is on (null column → null), or undefined when the unit does not exist. */
  private async unitIncidentOf(tx: SqlTx, unitId: string): Promise<{ incidentId: string | null } | undefined> {
    return (await tx.$queryRawUnsafe<{ incidentId: string | null }[]>('SELECT incident_id AS "incidentId" FROM units WHERE id = $1', unitId))[0];
  }

  private async unitStatusVersion(tx: SqlTx, unitId: string): Promise<{ status: UnitStatus; version: number }> {
    return (await tx.$queryRawUnsafe<{ status: UnitStatus; version: number }[]>('SELECT status, version FROM units WHERE id = $1', unitId))[0]!;
  }

  /** Decides, appends and projects unit events. Returns the stored envelopes. */
  private async applyUnit(tx: SqlTx, row: UnitRow, command: UnitCommand, by: ActingUser, occurredAt: string): Promise<{ events: EventEnvelope[]; state: UnitState }> {
    const state = unitStateOf(row);
    const events = decideUnit(command, state);
    if (events.length === 0) return { events: [], state };
    const next = events.reduce(evolveUnit, state);
    const callId = next.callId ?? state.callId;
    const stored = await appendToStream(tx, this.deps.registry, {
      streamId: unitStreamId(row.id),
      streamType: 'unit',
      expectedVersion: row.version,
      events: events.map((e): NewEvent => ({ type: e.type, data: e.data, occurredAt })),
      source: 'dispatch',
      partitionKey: callId ?? row.id,
      metadata: this.meta(by, callId ?? row.id),
    });
    await this.projectUnit(tx, row, events, stored.at(-1)!.streamVersion);
    return { events: stored, state: next };
  }

  private async projectUnit(tx: SqlTx, row: UnitRow, events: UnitEvent[], version: number): Promise<void> {
    const patch: Record<string, unknown> = { version };
    let state = unitStateOf(row);
    for (const e of events) {
      state = evolveUnit(state, e);
      switch (e.type) {
        case 'UnitStatusChanged': {
          const d = e.data;
          Object.assign(patch, { status: d.to, statusSince: new Date(d.at), statusRecordedAt: this.deps.clock(), incidentId: state.incidentId, callId: state.callId, alertsInStatus: 0 });
          if (d.incidentId) await this.projectIncidentUnit(tx, row, d.incidentId, d.from, d.to, d.at);
          break;
        }
        case 'UnitPositionUpdated':
          Object.assign(patch, { avlLat: e.data.lat, avlLon: e.data.lon, avlAt: new Date(e.data.at), lat: e.data.lat, lon: e.data.lon });
          break;
        case 'UnitOverdueAlerted':
          patch.alertsInStatus = e.data.sequence;
          await insertRow(tx, 'unit_alerts', { unitId: row.id, incidentId: e.data.incidentId ?? null, kind: e.data.kind, status: e.data.status, sequence: e.data.sequence, since: new Date(e.data.since), dueAt: new Date(e.data.dueAt), alertedAt: this.deps.clock() });
          break;
        case 'UnitRegistered':
          break;
        default: {
          const _never: never = e;
        }
      }
    }
    await updateRows(tx, 'units', { id: row.id }, { ...patch, updatedAt: new Date() });
  }

  /** incident_units and the incident's counters for one status change of a unit on an incident. */
  private async projectIncidentUnit(tx: SqlTx, unit: UnitRow, incidentId: string, from: UnitStatus, to: UnitStatus, at: string): Promise<void> {
    const t = new Date(at);
    if (to === 'dispatched') {
      await insertRow(tx, 'incident_units', { incidentId, unitId: unit.id, callSign: unit.callSign, unitType: unit.type, status: 'dispatched', dispatchedAt: t });
    } else {
      const column = { 'en-route': 'enRouteAt', 'on-scene': 'onSceneAt', transporting: 'transportingAt', cleared: 'clearedAt' }[to as string];
      await updateRows(tx, 'incident_units', { incidentId, unitId: unit.id, active: true }, { status: to, ...(column ? { [column]: t } : {}), ...(to === 'cleared' ? { active: false } : {}) });
    }
    void from;
    await this.refreshIncidentCounters(tx, incidentId);
  }

  /**
   * The incident's counters from its incident_units rows, in one statement: active units, the
   * first dispatch and on-scene times, and pending ⇄ assigned (closed and cancelled stay).
   */
  private async refreshIncidentCounters(tx: SqlTx, incidentId: string): Promise<void> {
    await tx.$executeRawUnsafe(
      `UPDATE incidents i
          SET active_units = s.active, first_dispatched_at = s.first_dispatched, first_on_scene_at = s.first_on_scene,
              status = CASE WHEN i.status IN ('pending', 'assigned') THEN CASE WHEN s.active > 0 THEN 'assigned' ELSE 'pending' END ELSE i.status END,
              updated_at = $2
         FROM (SELECT count(*) FILTER (WHERE active)::int AS active, min(dispatched_at) AS first_dispatched, min(on_scene_at) AS first_on_scene
                 FROM incident_units WHERE incident_id = $1::uuid) s
        WHERE i.id = $1::uuid`,
      incidentId,
      new Date(),
    );
  }

  private async activeUnitIds(tx: SqlTx, incidentId: string): Promise<string[]> {
    return (await tx.$queryRawUnsafe<{ unit_id: string }[]>('SELECT unit_id FROM incident_units WHERE incident_id = $1::uuid AND active', incidentId)).map((r) => r.unit_id);
  }

  private async incidentState(tx: SqlTx, row: IncidentRow): Promise<IncidentState> {
    const units = (await tx.$queryRawUnsafe<{ unit_id: string }[]>('SELECT DISTINCT unit_id FROM incident_units WHERE incident_id = $1::uuid', row.id)).map((r) => ({ unitId: r.unit_id }));
    return {
      lifecycle: row.status === 'closed' ? 'closed' : row.status === 'cancelled' ? 'cancelled' : 'open',
      incidentId: row.id,
      callId: row.callId,
      dispatchedUnits: units.map((u) => u.unitId),
    };
  }

  /** Decides, appends and projects incident events. */
  private async applyIncident(tx: SqlTx, row: IncidentRow, command: IncidentCommand, by: ActingUser, occurredAt: string): Promise<EventEnvelope[]> {
    const events = decideIncident(command, await this.incidentState(tx, row));
    if (!events.length) return [];
    const stored = await appendToStream(tx, this.deps.registry, {
      streamId: incidentStreamId(row.id),
      streamType: 'incident',
      expectedVersion: row.version,
      events: events.map((e): NewEvent => ({ type: e.type, data: e.data, occurredAt })),
      source: 'dispatch',
      partitionKey: row.callId,
      metadata: this.meta(by, row.callId),
    });
    const patch: Record<string, unknown> = { version: stored.at(-1)!.streamVersion };
    for (const e of events as IncidentEvent[]) {
      if (e.type === 'IncidentClosed') Object.assign(patch, { status: 'closed', closedAt: new Date(e.data.closedAt), closeReason: e.data.reason ?? null });
      if (e.type === 'IncidentCancelled') Object.assign(patch, { status: 'cancelled', cancelledAt: new Date(e.data.cancelledAt), closeReason: e.data.reason });
      if (e.type === 'UnitsRecommended') Object.assign(patch, { recommendations: json(e.data.recommendations), runCard: json(e.data.runCard ?? null) });
    }
    await updateRows(tx, 'incidents', { id: row.id }, { ...patch, updatedAt: new Date() });
    row.version = stored.at(-1)!.streamVersion;
    return stored;
  }

  /** The duty level of every district with a row (others are normal). */
  private async dutyLevelRows(tx: SqlTx): Promise<DutyLevelRow[]> {
    return selectRows<DutyLevelRow>(tx, 'SELECT district, level, reason, changed_at, version FROM duty_levels');
  }

  private async dutyOf(tx: SqlTx, unit: UnitRow, at: string) {
    const level = ((await tx.$queryRawUnsafe<{ level: string }[]>('SELECT level FROM duty_levels WHERE district = $1', unit.district))[0]?.level ?? 'normal') as DutyLevel;
    return dutyStatus({ minDutyLevel: unit.minDutyLevel as DutyLevel, shift: { name: unit.shiftName, start: unit.shiftStart, end: unit.shiftEnd } }, level, localMinute(at, this.deps.timeZone));
  }

  /**
   * Dispatches a unit to an incident (UnitDispatched on the incident, UnitStatusChanged → dispatched
   * on the unit). A unit busy on another incident is moved only with `reassign` (UnitReassigned on
   * the incident it leaves, which returns to the pending queue when no unit is left on it).
   * @param ifMatch expected incident version (If-Match)
   * @throws NotFound, VersionMismatch, UnitRejected / IncidentRejected (409), FutureTimeError
   */
  async assign(
    incidentId: string,
    input: { unitId: string; at?: string; reassign?: boolean },
    by: ActingUser,
    ifMatch?: number,
  ): Promise<{ incidentId: string; unitId: string; status: UnitStatus; incidentVersion: number; unitVersion: number; events: string[] }> {
    const at = this.resolveAt(input.at);
    const out = await this.deps.transaction(async (tx) => {
      const peek = await this.unitIncidentOf(tx, input.unitId);
      if (!peek) throw new NotFound(`unit ${input.unitId}`);
      const ids = [...new Set([incidentId, ...(peek.incidentId ? [peek.incidentId] : [])])].sort();
      const locked = new Map<string, IncidentRow | null>();
      for (const id of ids) locked.set(id, await this.lockIncident(tx, id));
      const incident = locked.get(incidentId);
      if (!incident) throw new NotFound(`incident ${incidentId}`);
      if (ifMatch !== undefined && ifMatch !== incident.version) throw new VersionMismatch(incident.version, `incident ${incidentId}`);
      const unit = (await this.lockUnit(tx, input.unitId))!;
      if (unit.incidentId !== peek.incidentId) throw new UnitRejected('changed', `unit ${unit.id} changed while assigning; try again`);
      const events: EventEnvelope[] = [];
      const busy = unit.incidentId && ON_INCIDENT.includes(unit.status as UnitStatus);
      const active = await this.activeUnitIds(tx, incidentId);
      if (busy && unit.incidentId !== incidentId) {
        if (!input.reassign) throw new UnitRejected('busy', `unit ${unit.id} is ${unit.status} on incident ${unit.incidentId}; send reassign: true to move it`);
        const from = locked.get(unit.incidentId!)!;
        events.push(...(await this.applyIncident(tx, incident, { type: 'AssignToIncident', unitId: unit.id, callSign: unit.callSign, unitType: unit.type, at, activeUnitIds: active }, by, at)));
        const moved = await this.applyUnit(tx, unit, { type: 'ReassignUnit', incidentId, callId: incident.callId, at }, by, at);
        // the old incident_units row ends as reassigned
        await updateRows(tx, 'incident_units', { incidentId: from.id, unitId: unit.id, active: true }, { active: false, status: 'reassigned', reassignedAt: new Date(at) });
        events.push(...(await this.applyIncident(tx, from, { type: 'ReleaseForReassignment', unitId: unit.id, toIncidentId: incidentId, toCallId: incident.callId, at }, by, at)));
        await this.refreshIncidentCounters(tx, from.id);
        events.push(...moved.events);
      } else {
        events.push(...(await this.applyIncident(tx, incident, { type: 'AssignToIncident', unitId: unit.id, callSign: unit.callSign, unitType: unit.type, at, activeUnitIds: active }, by, at)));
        const duty = await this.dutyOf(tx, unit, at);
        events.push(...(await this.applyUnit(tx, unit, { type: 'AssignUnit', incidentId, callId: incident.callId, at, onDuty: duty }, by, at)).events);
      }
      const u = await this.unitStatusVersion(tx, unit.id);
      return { incidentId, unitId: unit.id, status: u.status, incidentVersion: incident.version, unitVersion: u.version, events: events.map((e) => e.type) };
    });
    this.deps.published();
    return out;
  }

  /**
   * A unit's status report (en-route, on-scene, transporting, cleared, available, out-of-service).
   * When the last unit working an incident clears, the incident closes (IncidentClosed).
   * @param ifMatch expected unit version (If-Match)
   * @throws NotFound, VersionMismatch, UnitRejected (409), FutureTimeError
   */
  async changeStatus(
    unitId: string,
    input: { status: UnitStatus; at?: string; incidentId?: string },
    by: ActingUser,
    ifMatch?: number,
  ): Promise<{ unitId: string; status: UnitStatus; version: number; incidentId: string | null; events: string[] }> {
    if (input.status === 'dispatched' && input.incidentId) {
      const r = await this.assign(input.incidentId, { unitId, ...(input.at ? { at: input.at } : {}) }, by);
      return { unitId, status: r.status, version: r.unitVersion, incidentId: input.incidentId, events: r.events };
    }
    const at = this.resolveAt(input.at);
    const out = await this.deps.transaction(async (tx) => {
      const peek = await this.unitIncidentOf(tx, unitId);
      if (!peek) throw new NotFound(`unit ${unitId}`);
      const incident = peek.incidentId ? await this.lockIncident(tx, peek.incidentId) : null;
      const unit = (await this.lockUnit(tx, unitId))!;
      if (ifMatch !== undefined && ifMatch !== unit.version) throw new VersionMismatch(unit.version, `unit ${unitId}`);
      if (unit.incidentId !== peek.incidentId) throw new UnitRejected('changed', `unit ${unitId} changed meanwhile; try again`);
      const { events } = await this.applyUnit(tx, unit, { type: 'ChangeUnitStatus', to: input.status, at, ...(input.incidentId ? { incidentId: input.incidentId } : {}) }, by, at);
      const all = [...events];
      if (incident && input.status === 'cleared') {
        const fresh = (await selectRows<IncidentRow>(tx, 'SELECT * FROM incidents WHERE id = $1::uuid', incident.id))[0]!;
        all.push(...(await this.applyIncident(tx, fresh, { type: 'CloseIfAllCleared', at, activeUnitIds: await this.activeUnitIds(tx, incident.id) }, by, at)));
      }
      const u = await this.unitStatusVersion(tx, unitId);
      return { unitId, status: u.status, version: u.version, incidentId: peek.incidentId, events: all.map((e) => e.type) };
    });
    this.deps.published();
    return out;
  }

  /**
   * An AVL (or manual) position fix (UnitPositionUpdated); a fix older than the last one is
   * ignored. Feeds the ETAs while it is fresh (config/eta.json `avlFreshSeconds`).
   * @throws NotFound, FutureTimeError
   */
  async updatePosition(unitId: string, input: { lat: number; lon: number; at?: string }, by: ActingUser): Promise<{ unitId: string; version: number; applied: boolean }> {
    const at = this.resolveAt(input.at);
    const out = await this.deps.transaction(async (tx) => {
      const unit = await this.lockUnit(tx, unitId);
      if (!unit) throw new NotFound(`unit ${unitId}`);
      const { events } = await this.applyUnit(tx, unit, { type: 'UpdatePosition', lat: input.lat, lon: input.lon, at }, by, at);
      return { unitId, version: events.at(-1)?.streamVersion ?? unit.version, applied: events.length > 0 };
    });
    if (out.applied) this.deps.published();
    return out;
  }

  // ---------------------------------------------------------------- incidents

  /**
   * Consumer effect of CallHandedToDispatch: opens exactly one incident per call (IncidentOpened +
   * UnitsRecommended for the hand-over time) in the consumer's transaction.
   * @returns the incident id, or null when the call already has one
   */
  async openIncident(tx: SqlTx, call: Handed, cause: EventEnvelope): Promise<string | null> {
    const existing = await tx.$queryRawUnsafe<unknown[]>('SELECT 1 FROM incidents WHERE call_id = $1::uuid', call.callId);
    if (existing.length) return null;
    const incidentId = randomUUID();
    const district = call.location.district ?? (typeof call.location.lat === 'number' && typeof call.location.lon === 'number' ? this.deps.map.districtAt({ lat: call.location.lat, lon: call.location.lon }) : undefined);
    const { units, dutyLevels } = await freeCandidates(tx);
    const rec = this.recommendWith(
      { category: call.category, subtype: call.subtype, flags: call.flags, priority: call.priority, district: district ?? null, lat: call.location.lat ?? null, lon: call.location.lon ?? null },
      units,
      dutyLevels,
      call.handedAt,
    );
    const events = decideIncident(
      {
        type: 'OpenIncident',
        opened: { incidentId, callId: call.callId, openedAt: call.handedAt, answeredAt: call.answeredAt, kind: call.kind, category: call.category, subtype: call.subtype, priority: call.priority, flags: call.flags, location: { ...call.location, ...(district ? { district } : {}) } },
        recommended: { incidentId, callId: call.callId, recommendedAt: this.now(), asOf: call.handedAt, recommendations: rec.recommendations, runCard: rec.runCard },
      },
      { lifecycle: 'none', dispatchedUnits: [] },
    );
    const stored = await appendToStream(tx, this.deps.registry, {
      streamId: incidentStreamId(incidentId),
      streamType: 'incident',
      expectedVersion: 0,
      source: 'dispatch',
      partitionKey: call.callId,
      metadata: { actor: { id: 'system:dispatch' }, correlationId: cause.metadata.correlationId, causationId: cause.eventId },
      events: events.map((e) => ({ type: e.type, data: e.data, occurredAt: call.handedAt })),
    });
    await insertRow(tx, 'incidents', {
        id: incidentId,
        callId: call.callId,
        status: 'pending',
        priority: call.priority,
        kind: call.kind,
        category: call.category,
        subtype: call.subtype,
        flags: call.flags,
        district: district ?? null,
        lat: call.location.lat ?? null,
        lon: call.location.lon ?? null,
        answeredAt: new Date(call.answeredAt),
        openedAt: new Date(call.handedAt),
        recommendations: json(rec.recommendations),
        runCard: json(rec.runCard),
        externalSource: call.externalRef?.source ?? null,
        externalId: call.externalRef?.id ?? null,
        version: stored.at(-1)!.streamVersion,
        updatedAt: new Date(),
    });
    return incidentId;
  }

  /** Consumer effect of intake's CallCancelled: cancels the call's open incident, clearing its units. */
  async cancelForCall(tx: SqlTx, callId: string, reason: string, at: string, cause: EventEnvelope): Promise<void> {
    const inc = (await tx.$queryRawUnsafe<{ id: string; status: string }[]>('SELECT id, status FROM incidents WHERE call_id = $1::uuid', callId))[0];
    if (!inc || inc.status === 'closed' || inc.status === 'cancelled') return;
    await this.cancelIn(tx, inc.id, reason, at, { actor: { id: 'system:dispatch' }, requestId: cause.eventId });
  }

  private async cancelIn(tx: SqlTx, incidentId: string, reason: string, at: string, by: ActingUser, ifMatch?: number): Promise<EventEnvelope[]> {
    const incident = await this.lockIncident(tx, incidentId);
    if (!incident) throw new NotFound(`incident ${incidentId}`);
    if (ifMatch !== undefined && ifMatch !== incident.version) throw new VersionMismatch(incident.version, `incident ${incidentId}`);
    const out = await this.applyIncident(tx, incident, { type: 'CancelIncident', reason, at }, by, at);
    for (const unitId of (await this.activeUnitIds(tx, incidentId)).sort()) {
      const unit = (await this.lockUnit(tx, unitId))!;
      const clearAt = unit.statusSince && unit.statusSince.toISOString() > at ? unit.statusSince.toISOString() : at;
      out.push(...(await this.applyUnit(tx, unit, { type: 'ChangeUnitStatus', to: 'cleared', at: clearAt, incidentId }, by, clearAt)).events);
    }
    return out;
  }

  /**
   * Cancels an incident (IncidentCancelled); every unit still on it is cleared.
   * @throws NotFound, VersionMismatch, IncidentRejected (409 when closed or cancelled), FutureTimeError
   */
  async cancel(incidentId: string, input: { reason: string; at?: string }, by: ActingUser, ifMatch?: number): Promise<{ incidentId: string; version: number; events: string[] }> {
    const at = this.resolveAt(input.at);
    const out = await this.deps.transaction(async (tx) => {
      const events = await this.cancelIn(tx, incidentId, input.reason, at, by, ifMatch);
      const row = (await tx.$queryRawUnsafe<{ version: number }[]>('SELECT version FROM incidents WHERE id = $1::uuid', incidentId))[0]!;
      return { incidentId, version: row.version, events: events.map((e) => e.type) };
    });
    this.deps.published();
    return out;
  }

  /**
   * Closes an incident by hand when no unit is working it (e.g. resolved by phone).
   * @throws NotFound, VersionMismatch, IncidentRejected (409), FutureTimeError
   */
  async close(incidentId: string, input: { reason: string; at?: string }, by: ActingUser, ifMatch?: number): Promise<{ incidentId: string; version: number; events: string[] }> {
    const at = this.resolveAt(input.at);
    const out = await this.deps.transaction(async (tx) => {
      const incident = await this.lockIncident(tx, incidentId);
      if (!incident) throw new NotFound(`incident ${incidentId}`);
      if (ifMatch !== undefined && ifMatch !== incident.version) throw new VersionMismatch(incident.version, `incident ${incidentId}`);
      const events = await this.applyIncident(tx, incident, { type: 'CloseIncident', reason: input.reason, at, activeUnitIds: await this.activeUnitIds(tx, incidentId) }, by, at);
      return { incidentId, version: incident.version, events: events.map((e) => e.type) };
    });
    this.deps.published();
    return out;
  }

  // ---------------------------------------------------------------- recommendations

  /** Runs the recommender for an incident at `at` with the given units and duty levels. */
  recommendWith(incident: Parameters<typeof recommend>[0], units: UnitCandidate[], dutyLevels: Map<string, DutyLevel>, at: string, opts: { alternates?: number; includeReplayUnits?: boolean } = {}): Recommendation {
    return recommend(incident, units, {
      eta: this.deps.eta,
      runCards: this.deps.runCards,
      dutyLevels,
      atMs: Date.parse(at),
      minute: localMinute(at, this.deps.timeZone),
      areaOf: (d) => this.deps.map.areaOf(d),
      ...opts,
    });
  }

  /**
   * Live recommendation for an incident at `at` (default now) from the current unit registry and
   * duty levels. Read-only: nothing is appended.
   * @throws NotFound, FutureTimeError
   */
  async recommendationsFor(incidentId: string, opts: { at?: string; alternates?: number; includeReplayUnits?: boolean } = {}): Promise<Recommendation & { incidentId: string; asOf: string; status: string }> {
    const at = this.resolveAt(opts.at);
    const { incident, free } = await this.deps.transaction(async (tx) => ({
      incident: (
        await tx.$queryRawUnsafe<Pick<IncidentRow, 'category' | 'subtype' | 'flags' | 'priority' | 'district' | 'lat' | 'lon' | 'status'>[]>(
          'SELECT category, subtype, flags, priority, district, lat, lon, status FROM incidents WHERE id = $1::uuid',
          incidentId,
        )
      )[0],
      free: await freeCandidates(tx, opts.includeReplayUnits ?? false),
    }));
    if (!incident) throw new NotFound(`incident ${incidentId}`);
    const rec = this.recommendWith(
      { category: incident.category, subtype: incident.subtype, flags: incident.flags, priority: incident.priority, district: incident.district, lat: incident.lat, lon: incident.lon },
      free.units,
      free.dutyLevels,
      at,
      { ...(opts.alternates !== undefined ? { alternates: opts.alternates } : {}), ...(opts.includeReplayUnits ? { includeReplayUnits: true } : {}) },
    );
    return { incidentId, asOf: at, status: incident.status, ...rec };
  }

  // ---------------------------------------------------------------- duty levels

  /**
   * Sets a district's duty level (DutyLevelChanged on `duty-<district>`); units of the district
   * whose `minDutyLevel` the new level reaches become rostered on duty, the others off duty.
   * Recommendations use the new level immediately.
   * @param ifMatch expected version of the district's duty stream (0 = never set)
   * @throws NotFound (district not on the map and no unit in it), VersionMismatch, UnitRejected `same-level` (409)
   */
  async setDutyLevel(district: string, input: { level: DutyLevel; reason?: string }, by: ActingUser, ifMatch?: number): Promise<{ district: string; level: DutyLevel; version: number; onDutyUnits: number; events: string[] }> {
    const at = this.now();
    const out = await this.deps.transaction(async (tx) => {
      await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock(hashtext($1))', dutyLevelStreamId(district));
      const known = this.deps.map.districts.has(district) || (await tx.$queryRawUnsafe<unknown[]>('SELECT 1 FROM units WHERE district = $1 LIMIT 1', district)).length > 0;
      if (!known) throw new NotFound(`district ${district}`);
      const cur = (await tx.$queryRawUnsafe<{ level: string; version: number }[]>('SELECT level, version FROM duty_levels WHERE district = $1', district))[0];
      const version = cur?.version ?? 0;
      if (ifMatch !== undefined && ifMatch !== version) throw new VersionMismatch(version, `duty level of ${district}`);
      const from = (cur?.level ?? 'normal') as DutyLevel;
      if (from === input.level) throw new UnitRejected('same-level', `${district} is already at ${input.level}`);
      const stored = await appendToStream(tx, this.deps.registry, {
        streamId: dutyLevelStreamId(district),
        streamType: 'duty-level',
        expectedVersion: version,
        events: [{ type: 'DutyLevelChanged', occurredAt: at, data: { district, from, to: input.level, at, ...(input.reason ? { reason: input.reason } : {}) } }],
        source: 'dispatch',
        partitionKey: district,
        metadata: this.meta(by, `duty-${district}`),
      });
      const v = stored.at(-1)!.streamVersion;
      await tx.$executeRawUnsafe(
        `INSERT INTO duty_levels (district, level, reason, changed_at, version) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (district) DO UPDATE SET level = EXCLUDED.level, reason = EXCLUDED.reason, changed_at = EXCLUDED.changed_at, version = EXCLUDED.version`,
        district,
        input.level,
        input.reason ?? null,
        new Date(at),
        v,
      );
      const rank = DUTY_RANK[input.level];
      const levels = (Object.keys(DUTY_RANK) as DutyLevel[]).filter((l) => DUTY_RANK[l] <= rank);
      // every unit of the district: rostered at the new level or not; counted from the same statement
      const onDutyUnits = (
        await tx.$queryRawUnsafe<{ n: number }[]>(
          `WITH u AS (UPDATE units SET on_duty = (min_duty_level = ANY($2::text[])), updated_at = $3 WHERE district = $1 RETURNING on_duty)
           SELECT count(*) FILTER (WHERE on_duty)::int AS n FROM u`,
          district,
          levels,
          new Date(),
        )
      )[0]!.n;
      return { district, level: input.level, version: v, onDutyUnits, events: stored.map((e) => e.type) };
    });
    this.deps.published();
    return out;
  }

  /**
   * Duty levels of every district on the map or with units, with the units and officers on duty
   * at `at` (level and shift).
   */
  async dutyOverview(at = this.now()) {
    const { units, rows } = await this.deps.transaction(async (tx) => ({ units: await selectRows<UnitRow>(tx, 'SELECT * FROM units WHERE NOT replay'), rows: await this.dutyLevelRows(tx) }));
    const levels = new Map(rows.map((d) => [d.district, d.level as DutyLevel]));
    const minute = localMinute(at, this.deps.timeZone);
    const districts = [...new Set([...this.deps.map.districts.keys(), ...units.map((u) => u.district)])];
    return districts.map((d) => {
      const level = levels.get(d) ?? 'normal';
      const mine = units.filter((u) => u.district === d);
      const on = mine.filter((u) => dutyStatus({ minDutyLevel: u.minDutyLevel as DutyLevel, shift: { name: u.shiftName, start: u.shiftStart, end: u.shiftEnd } }, level, minute).onDuty);
      const row = rows.find((r) => r.district === d);
      return {
        district: d,
        nameZh: this.deps.map.districts.get(d)?.nameZh ?? null,
        level,
        version: row?.version ?? 0,
        changedAt: iso(row?.changedAt),
        reason: row?.reason ?? null,
        units: mine.length,
        onDutyUnits: on.length,
        onDutyOfficers: on.reduce((s, u) => s + u.crewSize, 0),
        onDutyUnitIds: on.map((u) => u.id),
      };
    });
  }

  // ---------------------------------------------------------------- timers

  /**
   * Status timers (run periodically with the injectable clock): raises UnitOverdueAlerted for
   * - units dispatched but not en route after {@link NOT_EN_ROUTE_LIMIT_SECONDS} (once per dispatch);
   * - units on scene longer than the incident subtype's `onSceneLimitMinutes` (taxonomy), asking
   *   for a check-in, again after every further limit (sequence 2, 3, ...).
   * A status entered with a past `at` (late entry, replay) gets the full limit of clock time from
   * when it was recorded, so back-entered histories raise no alert for gaps already closed.
   * @returns the alerts raised
   */
  async checkOverdue(): Promise<{ unitId: string; kind: string; sequence: number }[]> {
    const now = this.deps.clock().getTime();
    const raised: { unitId: string; kind: string; sequence: number }[] = [];
    const candidates = await this.deps.transaction((tx) => selectRows<UnitRow>(tx, `SELECT * FROM units WHERE status IN ('dispatched', 'on-scene')`));
    for (const c of candidates) {
      const limitSeconds = c.status === 'dispatched' ? NOT_EN_ROUTE_LIMIT_SECONDS : await this.onSceneLimitSeconds(c.incidentId);
      if (!limitSeconds || !c.statusSince) continue;
      const sequence = c.alertsInStatus + 1;
      if (c.status === 'dispatched' && sequence > 1) continue;
      const since = Math.max(c.statusSince.getTime(), c.statusRecordedAt?.getTime() ?? 0);
      if (now < since + limitSeconds * 1000 * sequence) continue;
      try {
        const ok = await this.deps.transaction(async (tx) => {
          const unit = await this.lockUnit(tx, c.id);
          if (!unit || unit.version !== c.version) return false; // changed meanwhile: next round decides
          await this.applyUnit(tx, unit, { type: 'RaiseOverdue', kind: c.status === 'dispatched' ? 'not-en-route' : 'check-in-due', limitSeconds, sequence }, SYSTEM_ACTOR, new Date(now).toISOString());
          return true;
        });
        if (ok) raised.push({ unitId: c.id, kind: c.status === 'dispatched' ? 'not-en-route' : 'check-in-due', sequence });
      } catch (e) {
        if (!(e instanceof UnitRejected)) throw e;
      }
    }
    if (raised.length) this.deps.published();
    return raised;
  }

  private async onSceneLimitSeconds(incidentId: string | null): Promise<number | null> {
    if (!incidentId) return null;
    const inc = (await this.deps.transaction((tx) => tx.$queryRawUnsafe<{ subtype: string }[]>('SELECT subtype FROM incidents WHERE id = $1::uuid', incidentId)))[0];
    const minutes = inc ? this.deps.taxonomy.subtype(inc.subtype)?.onSceneLimitMinutes : undefined;
    return minutes ? minutes * 60 : null;
  }
}
