/**
 * Coordinate systems of Chinese map services and their conversion to and from WGS84 (what cad110
 * stores, EPSG:4326), with gcoord (https://github.com/hujiulong/gcoord, MIT): GCJ-02 is the
 * obfuscated datum of AMap/Tencent/Google China tiles and geocoders, BD-09 Baidu's on top of it.
 * The conversion is gcoord's published algorithm (offsets of up to ~500 m, accurate to a few
 * metres inside China; outside China GCJ-02 equals WGS84).
 */
import gcoord from 'gcoord';
import type { LatLon } from './geo';

/** The datum of a map service's coordinates. */
export type MapCrs = 'WGS84' | 'GCJ02' | 'BD09';

const CRS = { WGS84: gcoord.WGS84, GCJ02: gcoord.GCJ02, BD09: gcoord.BD09 } as const;

/** Parses a datum name as configured (`wgs84`, `gcj02`, `gcj-02`, `bd09`, ...); unknown → WGS84. */
export function parseCrs(s: string | null | undefined): MapCrs {
  const k = (s ?? '').toUpperCase().replace(/[^A-Z0-9]/g, '');
  return k === 'GCJ02' ? 'GCJ02' : k === 'BD09' ? 'BD09' : 'WGS84';
}

/** A point given in `from` (degrees) as WGS84 degrees. */
export function toWgs84(p: LatLon, from: MapCrs): LatLon {
  if (from === 'WGS84') return p;
  const [lon, lat] = gcoord.transform([p.lon, p.lat], CRS[from], gcoord.WGS84) as [number, number];
  return { lat, lon };
}

/** A WGS84 point (degrees) in the datum `to` — for drawing over tiles of a GCJ-02 map service. */
export function fromWgs84(p: LatLon, to: MapCrs): LatLon {
  if (to === 'WGS84') return p;
  const [lon, lat] = gcoord.transform([p.lon, p.lat], gcoord.WGS84, CRS[to]) as [number, number];
  return { lat, lon };
}
