import type { Area } from './mapping';

/** Why a source coordinate was not trusted (the call keeps its address, district and beat). */
export type LocationFlag = 'zero' | 'out-of-range' | 'swapped' | 'out-of-area' | 'unreadable';

/**
 * Reads a location held in one column:
 * - `lat-lon`: `"(37.7749, -122.4194)"` or `37.7749, -122.4194` (latitude first);
 * - `point-wkt`: `POINT (-122.4194 37.7749)` (WKT: longitude first).
 * @returns the numbers, or undefined when the text is empty or not of that shape
 */
export function parseLocationText(text: string, format: 'lat-lon' | 'point-wkt'): { lat: number; lon: number } | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const num = String.raw`([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)`;
  if (format === 'lat-lon') {
    const m = new RegExp(String.raw`^\(?\s*${num}\s*[,;]\s*${num}\s*\)?$`).exec(t);
    return m ? { lat: Number(m[1]), lon: Number(m[2]) } : undefined;
  }
  const m = new RegExp(String.raw`^POINT\s*\(\s*${num}\s+${num}\s*\)$`, 'i').exec(t);
  return m ? { lon: Number(m[1]), lat: Number(m[2]) } : undefined;
}

/** Whether [lon, lat] lies in the area: inside the box (edges included), or inside the polygon ring (even-odd rule). */
export function inArea(area: Area, lon: number, lat: number): boolean {
  if ('bbox' in area) {
    const [minLon, minLat, maxLon, maxLat] = area.bbox;
    return lon >= minLon && lon <= maxLon && lat >= minLat && lat <= maxLat;
  }
  const ring = area.polygon;
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Sanity of a source coordinate: `zero` (0, 0 — a geocoder's "not found"), `out-of-range`
 * (|lat| > 90 or |lon| > 180), `swapped` (outside the area, or out of range, but inside/in range
 * with latitude and longitude exchanged), `out-of-area` (a valid coordinate outside the agency's
 * area). Without an area only zero, range and range-swaps are detected.
 * @returns undefined when the coordinate can be trusted
 */
export function locationFlag(lat: number, lon: number, area?: Area): LocationFlag | undefined {
  if (lat === 0 && lon === 0) return 'zero';
  const inRange = (la: number, lo: number) => Math.abs(la) <= 90 && Math.abs(lo) <= 180;
  if (!inRange(lat, lon)) return inRange(lon, lat) && (!area || inArea(area, lat, lon)) ? 'swapped' : 'out-of-range';
  if (!area || inArea(area, lon, lat)) return undefined;
  return inRange(lon, lat) && inArea(area, lat, lon) ? 'swapped' : 'out-of-area';
}
