/**
 * Coordinate systems the desk accepts. Chinese carriers and map apps report GCJ-02 (国测局,
 * "Mars coordinates") or BD-09 (Baidu); CAD stores WGS84. Conversion by gcoord (MIT, the
 * published GCJ-02 / BD-09 transforms; outside China GCJ-02 equals WGS84 and gcoord leaves the
 * point unchanged). Accuracy of the GCJ-02 → WGS84 inverse: about 1–2 m (gcoord's iteration).
 */
import gcoord from 'gcoord';
import { z } from 'zod';

export const Crs = z.enum(['WGS84', 'GCJ02', 'BD09']).describe('coordinate system of lat/lon: WGS84 (GPS), GCJ02 (国测局) or BD09 (百度)');
export type Crs = z.infer<typeof Crs>;

/** Converts a point to WGS84 degrees. */
export function toWgs84(p: { lat: number; lon: number }, crs: Crs): { lat: number; lon: number } {
  if (crs === 'WGS84') return p;
  const [lon, lat] = gcoord.transform([p.lon, p.lat], crs === 'GCJ02' ? gcoord.GCJ02 : gcoord.BD09, gcoord.WGS84) as [number, number];
  return { lat, lon };
}
