import type { DutyLevel, UnitStatus } from '@cad110/contracts';
import { checkServiceArea, haversineMetres, type LatLon } from '@cad110/geo';
import { dutyStatus, isOnDuty, type Shift } from '../duty/duty';
import type { EtaModel } from './eta';
import type { RunCard, RunCards } from './run-cards';

/** A unit as the recommender sees it (kept in memory; the registry is small). */
export interface UnitCandidate {
  id: string;
  callSign: string;
  type: string;
  district: string;
  status: UnitStatus | string;
  capabilities: readonly string[];
  minDutyLevel: DutyLevel;
  shift: Shift;
  /** post / patrol-geometry anchor (WGS84), null when unknown */
  anchor: LatLon | null;
  /** last AVL fix with its UTC time in ms since the epoch */
  avl: (LatLon & { atMs: number }) | null;
  /** registered by a history replay: never recommended unless asked for */
  replay?: boolean;
}

export interface IncidentForRecommendation {
  category: string;
  subtype: string;
  flags: readonly string[];
  priority: number;
  district?: string | null;
  lat?: number | null;
  lon?: number | null;
}

export interface RecommendContext {
  eta: EtaModel;
  runCards: RunCards;
  /** district → duty level; districts not listed are `normal` */
  dutyLevels: ReadonlyMap<string, DutyLevel>;
  /** the instant recommended for, ms since the epoch (UTC) */
  atMs: number;
  /** local minute of day of `atMs` in the bureau's zone (0..1439) */
  minute: number;
  /** `urban` / `rural` of a district on the county map */
  areaOf: (district: string | null | undefined) => 'urban' | 'rural' | undefined;
  /** alternates listed after the run card's units (default 3) */
  alternates?: number;
  /** also consider units a history replay registered (default false) */
  includeReplayUnits?: boolean;
  /** the district whose boundary is nearest to a point (county map), for incidents outside the service area */
  nearestDistrict?: (p: LatLon) => string | undefined;
}

/**
 * Why the incident's location gives no ETA, as a code with parameters (issue 13 item 3):
 * `outside-service-area` {metresOutside, district?: the district ranked by} — coordinates outside
 * the county's outline (libs/geo service-area.ts); `no-location` — neither coordinates nor a
 * district; `no-coordinates` {district} — a district without coordinates (ranked by it).
 */
export interface LocationReason {
  code: 'outside-service-area' | 'no-location' | 'no-coordinates';
  params?: Record<string, string | number>;
}

export interface RecommendedUnit {
  unitId: string;
  callSign: string;
  unitType: string;
  /** estimated travel seconds; null without coordinates on either side */
  etaSeconds: number | null;
  /** great-circle metres; null without coordinates */
  distanceMetres: number | null;
  circles: { oneMinute: boolean; threeMinute: boolean; fiveMinute: boolean };
  rank: number;
  reasons: string[];
  role: 'primary' | 'alternate';
  need?: number;
  scoreSeconds: number | null;
}

export interface Recommendation {
  runCard: { id: string; name: string; needs: RunCard['needs']; unmet: { need: number; missing: number }[] };
  recommendations: RecommendedUnit[];
  /** free units considered after duty, shift, type and replay filters */
  considered: number;
  /** present when the incident's location gives no ETA: why, and what the ranking used instead */
  locationReason?: LocationReason;
}

/** Statuses in which a unit is free to take an incident (cleared = free, not yet back at its post). */
export const FREE_STATUSES: ReadonlySet<string> = new Set(['available', 'cleared']);

interface Scored {
  u: UnitCandidate;
  distance: number | null;
  eta: number | null;
  bonus: number;
  score: number | null;
  sameDistrict: boolean;
  fresh: boolean;
}

const byScore = (a: Scored, b: Scored): number => {
  if (a.score !== null && b.score !== null) return a.score - b.score || Number(b.sameDistrict) - Number(a.sameDistrict) || (a.u.id < b.u.id ? -1 : a.u.id > b.u.id ? 1 : 0);
  if (a.score !== null) return -1;
  if (b.score !== null) return 1;
  return Number(b.sameDistrict) - Number(a.sameDistrict) || b.bonus - a.bonus || (a.u.id < b.u.id ? -1 : a.u.id > b.u.id ? 1 : 0);
};

const fits = (u: UnitCandidate, need: RunCard['needs'][number]): boolean =>
  (!need.types || need.types.includes(u.type)) && (!need.capabilities || need.capabilities.every((c) => u.capabilities.includes(c)));

/**
 * Recommends units for an incident.
 *
 * 1. The most specific run card for the incident's category/subtype/flags × area × local time applies.
 * 2. Candidates: free units (available or cleared), on duty at their district's duty level and
 *    inside their shift (every unit at wartime), of a type the card does not exclude.
 * 3. Each candidate's ETA = great-circle distance (haversine) from its fresh AVL fix, else its post
 *    or patrol-geometry anchor, × circuity ÷ its travel mode's speed in the local time band
 *    (config/eta.json documents every default). The ranking score is the ETA minus the card's
 *    preference bonus for the unit's type. Without coordinates (e.g. San Diego replays) units of the
 *    incident's district rank first, with no ETA.
 * 4. The card's needs are filled greedily, constrained needs first, each with the best-scoring
 *    unit that has the need's type and every capability; unfilled needs are reported as `unmet`.
 *    `alternates` more units follow.
 *
 * Each unit carries its ETA seconds, distance metres, 1/3/5-minute circle flags and the reasons
 * for its rank. Pure and synchronous: O(n log n) in the number of units.
 */
export function recommend(incident: IncidentForRecommendation, units: readonly UnitCandidate[], ctx: RecommendContext): Recommendation {
  const area = ctx.areaOf(incident.district);
  const card = ctx.runCards.select({ category: incident.category, subtype: incident.subtype, flags: incident.flags, priority: incident.priority, district: incident.district, area, minute: ctx.minute });
  const band = ctx.eta.band(ctx.minute);
  const freshMs = ctx.eta.config.avlFreshSeconds.value * 1000;
  const point: LatLon | null = typeof incident.lat === 'number' && typeof incident.lon === 'number' ? { lat: incident.lat, lon: incident.lon } : null;
  // outside the service area no ETA is computed (it would be days): units are ranked by the
  // incident's district, else by the district whose boundary is nearest
  const outside = point ? checkServiceArea(point) : null;
  const target: LatLon | null = point && outside!.inside ? point : null;
  const rankDistrict = incident.district ?? (point && !target ? ctx.nearestDistrict?.(point) : undefined) ?? null;
  const locationReason = locationReasonOf(point, outside?.metresOutside ?? 0, target, rankDistrict);
  const excluded = new Set(card.excludeTypes);

  const scored: Scored[] = [];
  for (const u of units) {
    if (!FREE_STATUSES.has(u.status)) continue;
    if (u.replay && !ctx.includeReplayUnits) continue;
    if (excluded.has(u.type)) continue;
    if (!isOnDuty(u, ctx.dutyLevels.get(u.district) ?? 'normal', ctx.minute)) continue;
    const fresh = !!u.avl && ctx.atMs - u.avl.atMs <= freshMs && u.avl.atMs <= ctx.atMs + 60_000;
    const from = fresh ? u.avl : u.anchor;
    let distance: number | null = null;
    let eta: number | null = null;
    if (target && from) {
      distance = haversineMetres(target, from);
      eta = Math.round((distance * ctx.eta.circuity) / ctx.eta.speed(u.type, band).metresPerSecond);
    }
    const sameDistrict = !!rankDistrict && u.district === rankDistrict;
    const bonus = card.preferTypes[u.type] ?? 0;
    scored.push({ u, distance, eta, bonus, score: eta === null ? null : eta - bonus, sameDistrict, fresh });
  }
  scored.sort(byScore);

  // fill the needs, constrained needs first (a generic need must not take the only armed unit)
  const order = card.needs.map((n, i) => ({ n, i })).sort((a, b) => constraint(b.n) - constraint(a.n) || a.i - b.i);
  const picked = new Map<Scored, number>();
  const unmet: { need: number; missing: number }[] = [];
  for (const { n, i } of order) {
    let got = 0;
    for (const s of scored) {
      if (got >= n.count) break;
      if (picked.has(s) || !fits(s.u, n)) continue;
      picked.set(s, i);
      got++;
    }
    if (got < n.count) unmet.push({ need: i, missing: n.count - got });
  }
  unmet.sort((a, b) => a.need - b.need);
  const primaries = scored.filter((s) => picked.has(s));
  const alternates = scored.filter((s) => !picked.has(s)).slice(0, ctx.alternates ?? 3);
  const out: RecommendedUnit[] = [...primaries, ...alternates].map((s, k) => {
    const need = picked.get(s);
    const reasons = reasonsFor(s, incident, card, ctx, band, target !== null, locationReason);
    if (need !== undefined) {
      const n = card.needs[need]!;
      reasons.unshift(`fills need ${need + 1} of run card "${card.id}": ${n.label ?? 'unit'}${n.capabilities?.length ? ` (${n.capabilities.join(', ')})` : ''}${n.types?.length ? ` [${n.types.join('/')}]` : ''}`);
    } else {
      reasons.unshift('alternate: next best free unit');
    }
    return {
      unitId: s.u.id,
      callSign: s.u.callSign,
      unitType: s.u.type,
      etaSeconds: s.eta,
      distanceMetres: s.distance === null ? null : Math.round(s.distance),
      circles: ctx.eta.circles(s.eta),
      rank: k + 1,
      reasons: reasons.map((r) => r.slice(0, 300)),
      role: need !== undefined ? 'primary' : 'alternate',
      ...(need !== undefined ? { need } : {}),
      scoreSeconds: s.score,
    };
  });
  return { runCard: { id: card.id, name: card.name, needs: card.needs, unmet }, recommendations: out, considered: scored.length, ...(locationReason ? { locationReason } : {}) };
}

/** The incident-level reason when its location gives no ETA (undefined when it has a point inside the area). */
function locationReasonOf(point: LatLon | null, metresOutside: number, target: LatLon | null, district: string | null): LocationReason | undefined {
  if (target) return undefined;
  if (point) return { code: 'outside-service-area', params: { metresOutside, ...(district ? { district } : {}) } };
  if (!district) return { code: 'no-location' };
  return { code: 'no-coordinates', params: { district } };
}

/** English text of a location reason (the unit's `reasons`; UIs render the code). */
function locationText(r: LocationReason): string {
  switch (r.code) {
    case 'outside-service-area':
      return `location outside the service area (${Math.round(Number(r.params!.metresOutside) / 100) / 10} km beyond the county outline): no ETA, ${r.params!.district ? `ranked by district ${r.params!.district}` : 'no district to rank by'}`;
    case 'no-location':
      return 'incident has no location (no coordinates, no district): no ETA, no district to rank by';
    case 'no-coordinates':
      return `incident has no coordinates: ranked by district ${r.params!.district}, no ETA`;
  }
}

/** The reasons shown for a recommended unit (built only for the units returned). */
function reasonsFor(s: Scored, incident: IncidentForRecommendation, card: RunCard, ctx: RecommendContext, band: string, hasTarget: boolean, locationReason: LocationReason | undefined): string[] {
  const reasons: string[] = [];
  const u = s.u;
  if (s.eta !== null && s.distance !== null) {
    const { mode, metresPerSecond } = ctx.eta.speed(u.type, band);
    reasons.push(
      `ETA ${s.eta} s: ${Math.round(s.distance)} m great-circle × ${ctx.eta.circuity} circuity ÷ ${metresPerSecond} m/s (${mode}, ${band}) from ${s.fresh ? `AVL fix ${Math.round((ctx.atMs - u.avl!.atMs) / 1000)} s old` : 'its post/patrol anchor'}`,
    );
  } else {
    reasons.push(hasTarget || !locationReason ? 'unit position unknown: no ETA' : locationText(locationReason));
  }
  reasons.push(s.sameDistrict ? (incident.district ? `in the incident's district ${u.district}` : `in district ${u.district}, nearest to the incident`) : `from district ${u.district}`);
  reasons.push(dutyStatus(u, ctx.dutyLevels.get(u.district) ?? 'normal', ctx.minute).reason);
  if (s.bonus) reasons.push(`run card "${card.id}" prefers ${u.type}: ranked as if ${s.bonus} s closer`);
  void incident;
  return reasons;
}

function constraint(n: RunCard['needs'][number]): number {
  return (n.capabilities?.length ?? 0) * 2 + (n.types ? 1 : 0);
}
