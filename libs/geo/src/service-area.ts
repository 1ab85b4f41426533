/**
 * The service area (issue 13 item 3): the outline of the county the bureau serves, checked on
 * every location. A location outside it (another city, 0,0, a point 60 km out) is accepted — the
 * caller may really be there — but flagged (`outsideServiceArea` on the location of CallLocated,
 * CallHandedToDispatch and IncidentOpened), and dispatch's recommender ranks its units by
 * district instead of by an ETA of days.
 */

/** WGS84 point (structurally the LatLon of index.ts; not imported from it: no import cycle) */
interface LatLon {
  lat: number;
  lon: number;
}

/** index.ts EARTH_RADIUS_M (IUGG mean radius R1) */
const EARTH_RADIUS_M = 6_371_008.8;

/**
 * Outline of the example county map (services/dispatch/seed/county-map.geojson): the outer
 * boundary of the union of its eight district polygons, [lon, lat], closed. Tested against the
 * districts in services/dispatch/src/map/county-map.unit.spec.ts (every district vertex lies
 * inside or on it, every point inside a district is inside it, and the points inside it in no
 * district are the hand-drawn map's sliver between Precincts 1, 2 and 4, within 500 m of them).
 */
export const COUNTY_OUTLINE: readonly (readonly [number, number])[] = [
  [-93.329, 44.85],
  [-93.17, 44.85],
  [-93.17, 44.895],
  [-93.198, 44.89],
  [-93.2, 44.94],
  [-93.215, 44.963],
  [-93.194, 44.966],
  [-93.194, 45.051],
  [-93.4, 45.051],
  [-93.4, 44.89],
  [-93.329, 44.89],
  [-93.329, 44.85],
]

/** Point in a closed ring of [lon, lat] (ray casting, even-odd rule). */
export function pointInRing(p: LatLon, ring: readonly (readonly [number, number])[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > p.lat !== yj > p.lat && p.lon < ((xj - xi) * (p.lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Metres from `p` to the nearest point of a ring's edges (0 on an edge), on a local
 * equirectangular projection around `p` (error well below 1 % at county scale; at thousands of
 * kilometres it is only an order of magnitude, which is all a "far outside" needs).
 */
export function metresToRing(p: LatLon, ring: readonly (readonly [number, number])[]): number {
  const RAD = Math.PI / 180;
  const kx = Math.cos(p.lat * RAD) * RAD * EARTH_RADIUS_M;
  const ky = RAD * EARTH_RADIUS_M;
  let best = Infinity;
  for (let i = 1; i < ring.length; i++) {
    const ax = (ring[i - 1]![0] - p.lon) * kx;
    const ay = (ring[i - 1]![1] - p.lat) * ky;
    const bx = (ring[i]![0] - p.lon) * kx;
    const by = (ring[i]![1] - p.lat) * ky;
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, -(ax * dx + ay * dy) / len2));
    best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
  }
  return best;
}

/** Where a point lies against the service area. */
export interface ServiceAreaCheck {
  inside: boolean;
  /** metres to the outline (0 inside) */
  metresOutside: number;
}

/** Checks a point against the service area's outline (default {@link COUNTY_OUTLINE}). */
export function checkServiceArea(p: LatLon, outline: readonly (readonly [number, number])[] = COUNTY_OUTLINE): ServiceAreaCheck {
  if (pointInRing(p, outline)) return { inside: true, metresOutside: 0 };
  return { inside: false, metresOutside: Math.round(metresToRing(p, outline)) };
}

/**
 * The location as recorded: `outsideServiceArea: true` added when it has coordinates outside the
 * service area (an earlier flag is dropped when the new coordinates are inside or absent).
 */
export function withServiceArea<L extends { lat?: number | undefined; lon?: number | undefined; outsideServiceArea?: boolean | undefined }>(location: L, outline?: readonly (readonly [number, number])[]): L {
  const { outsideServiceArea: _drop, ...rest } = location;
  if (typeof location.lat !== 'number' || typeof location.lon !== 'number') return rest as L;
  return checkServiceArea({ lat: location.lat, lon: location.lon }, outline).inside ? (rest as L) : ({ ...rest, outsideServiceArea: true } as L);
}
