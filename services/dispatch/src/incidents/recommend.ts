import { haversineMetres, isLatLon } from '@cad110/geo';

/** A unit as the recommender sees it. Positions are WGS84 degrees. */
export interface UnitCandidate {
  id: string;
  callSign: string;
  type: string;
  district: string;
  lat: number | null;
  lon: number | null;
  status: string;
  onDuty: boolean;
  capabilities: string[];
}

export interface IncidentForRecommendation {
  lat?: number | null;
  lon?: number | null;
  district?: string | null;
}

export interface RecommendedUnit {
  unitId: string;
  callSign: string;
  unitType: string;
  etaSeconds: number | null;
  distanceMetres: number | null;
  circles: { oneMinute: boolean; threeMinute: boolean; fiveMinute: boolean };
  rank: number;
  reasons: string[];
}

/**
 * Travel speeds by unit type, metres per second (skeleton defaults: a patrol car in urban
 * traffic ≈ 36 km/h, foot patrol ≈ 5 km/h walking pace). Configurable in the dispatch work.
 */
export const DEFAULT_SPEEDS_MPS: Record<string, number> = {
  'one-minute-point': 10,
  'armed-vehicle-patrol': 10,
  'station-car': 10,
  'foot-patrol': 1.4,
  default: 8,
};

/** Straight-line distance × circuity ≈ road distance (skeleton default 1.3). */
export const DEFAULT_CIRCUITY = 1.3;

/**
 * Ranks available, on-duty units by ETA to the incident (great-circle distance × circuity ÷
 * speed, seconds). Without incident coordinates, units of the incident's district come first,
 * with no ETA. Returns at most `limit` units, each with its 1/3/5-minute circle badges and reasons.
 */
export function recommendUnits(incident: IncidentForRecommendation, units: readonly UnitCandidate[], limit = 3): RecommendedUnit[] {
  const available = units.filter((u) => u.onDuty && u.status === 'available');
  const scored = available.map((u) => {
    const reasons: string[] = [];
    let distance: number | null = null;
    let eta: number | null = null;
    if (isLatLon(incident as { lat?: number; lon?: number }) && isLatLon(u as { lat?: number; lon?: number })) {
      distance = haversineMetres({ lat: incident.lat!, lon: incident.lon! }, { lat: u.lat!, lon: u.lon! });
      const speed = DEFAULT_SPEEDS_MPS[u.type] ?? DEFAULT_SPEEDS_MPS.default!;
      eta = Math.round((distance * DEFAULT_CIRCUITY) / speed);
      reasons.push(`ETA ${eta} s: ${Math.round(distance)} m straight line × ${DEFAULT_CIRCUITY} circuity at ${speed} m/s`);
    } else {
      reasons.push('no coordinates: ranked by district');
    }
    const sameDistrict = !!incident.district && u.district === incident.district;
    if (sameDistrict) reasons.push(`in district ${u.district}`);
    return { u, distance, eta, sameDistrict, reasons };
  });
  scored.sort((a, b) => {
    if (a.eta !== null && b.eta !== null) return a.eta - b.eta || a.u.id.localeCompare(b.u.id);
    if (a.eta !== null) return -1;
    if (b.eta !== null) return 1;
    return Number(b.sameDistrict) - Number(a.sameDistrict) || a.u.id.localeCompare(b.u.id);
  });
  return scored.slice(0, limit).map((s, i) => ({
    unitId: s.u.id,
    callSign: s.u.callSign,
    unitType: s.u.type,
    etaSeconds: s.eta,
    distanceMetres: s.distance === null ? null : Math.round(s.distance),
    circles: { oneMinute: s.eta !== null && s.eta <= 60, threeMinute: s.eta !== null && s.eta <= 180, fiveMinute: s.eta !== null && s.eta <= 300 },
    rank: i + 1,
    reasons: s.reasons,
  }));
}
