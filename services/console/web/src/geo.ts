/** A WGS84 bounding box, degrees. */
export interface Extent {
  minLon: number;
  minLat: number;
  maxLon: number;
  maxLat: number;
}

export interface LatLon {
  lat: number;
  lon: number;
}

/** Extent of points, padded by `padFraction` of its size (and at least ~1 km), or undefined when none. */
export function extentOf(points: readonly LatLon[], padFraction = 0.08): Extent | undefined {
  const ok = points.filter((p) => Number.isFinite(p.lat) && Number.isFinite(p.lon) && Math.abs(p.lat) <= 90 && Math.abs(p.lon) <= 180);
  if (ok.length === 0) return undefined;
  let minLon = Infinity, minLat = Infinity, maxLon = -Infinity, maxLat = -Infinity;
  for (const p of ok) {
    minLon = Math.min(minLon, p.lon);
    maxLon = Math.max(maxLon, p.lon);
    minLat = Math.min(minLat, p.lat);
    maxLat = Math.max(maxLat, p.lat);
  }
  const padLon = Math.max((maxLon - minLon) * padFraction, 0.01);
  const padLat = Math.max((maxLat - minLat) * padFraction, 0.01);
  return { minLon: minLon - padLon, minLat: minLat - padLat, maxLon: maxLon + padLon, maxLat: maxLat + padLat };
}

/** Every [lon, lat] position in a GeoJSON object (any geometry, feature or collection). */
export function geoJsonPositions(g: unknown): LatLon[] {
  const out: LatLon[] = [];
  const walk = (c: unknown) => {
    if (!Array.isArray(c)) return;
    if (c.length >= 2 && typeof c[0] === 'number' && typeof c[1] === 'number') out.push({ lon: c[0], lat: c[1] });
    else for (const x of c) walk(x);
  };
  const visit = (o: unknown) => {
    if (!o || typeof o !== 'object') return;
    const obj = o as { type?: string; features?: unknown[]; geometry?: unknown; geometries?: unknown[]; coordinates?: unknown };
    if (obj.features) obj.features.forEach(visit);
    else if (obj.geometry) visit(obj.geometry);
    else if (obj.geometries) obj.geometries.forEach(visit);
    else walk(obj.coordinates);
  };
  visit(g);
  return out;
}

/**
 * Equirectangular projection of an extent onto a `width` × `height` box (longitudes scaled by
 * cos(mid-latitude) so distances look right at county scale), keeping the aspect ratio (centred).
 */
export function projection(e: Extent, width: number, height: number) {
  const k = Math.cos((((e.minLat + e.maxLat) / 2) * Math.PI) / 180);
  const w = (e.maxLon - e.minLon) * k;
  const h = e.maxLat - e.minLat;
  const scale = Math.min(width / w, height / h);
  const ox = (width - w * scale) / 2;
  const oy = (height - h * scale) / 2;
  return {
    scale,
    toXY: (p: LatLon) => ({ x: ox + (p.lon - e.minLon) * k * scale, y: oy + (e.maxLat - p.lat) * scale }),
    toLatLon: (x: number, y: number): LatLon => ({ lon: e.minLon + (x - ox) / (k * scale), lat: e.maxLat - (y - oy) / scale }),
  };
}

/** A "nice" grid step (1, 2 or 5 × 10^n degrees) giving about `lines` lines across `span`. */
export function gridStep(span: number, lines = 8): number {
  const raw = span / lines;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
