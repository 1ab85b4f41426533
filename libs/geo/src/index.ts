/**
 * Mean Earth radius, metres (IUGG mean radius R1 = 6,371,008.8 m; Moritz, "Geodetic Reference
 * System 1980", Journal of Geodesy 74, 2000).
 */
export const EARTH_RADIUS_M = 6_371_008.8;

export interface LatLon {
  /** WGS84 latitude, degrees */
  lat: number;
  /** WGS84 longitude, degrees */
  lon: number;
}

const RAD = Math.PI / 180;

/**
 * Great-circle distance in metres between two WGS84 points, by the haversine formula
 * (R. W. Sinnott, "Virtues of the Haversine", Sky and Telescope 68(2), 1984) on a sphere of
 * radius {@link EARTH_RADIUS_M}. Error against the ellipsoid is below 0.5 %.
 */
export function haversineMetres(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(s)));
}

/**
 * A latitude/longitude box that contains every point within `radiusMetres` of `center`
 * (for index range scans before the exact haversine check).
 */
export function boundingBox(center: LatLon, radiusMetres: number): { minLat: number; maxLat: number; minLon: number; maxLon: number } {
  const dLat = radiusMetres / EARTH_RADIUS_M / RAD;
  const cos = Math.max(0.01, Math.cos(center.lat * RAD));
  const dLon = dLat / cos;
  return { minLat: center.lat - dLat, maxLat: center.lat + dLat, minLon: center.lon - dLon, maxLon: center.lon + dLon };
}

/** True when both coordinates are finite numbers inside WGS84 ranges. */
export function isLatLon(p: { lat?: number | null; lon?: number | null } | undefined): p is LatLon {
  return !!p && typeof p.lat === 'number' && typeof p.lon === 'number' && Number.isFinite(p.lat) && Number.isFinite(p.lon) && Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180;
}
export * from './service-area';
