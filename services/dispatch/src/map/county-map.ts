import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { metresToRing, pointInRing, type LatLon } from '@cad110/geo';

const Position = z.tuple([z.number(), z.number()]);
const Geometry = z.discriminatedUnion('type', [
  z.object({ type: z.literal('Point'), coordinates: Position }),
  z.object({ type: z.literal('LineString'), coordinates: z.array(Position).min(2) }),
  z.object({ type: z.literal('Polygon'), coordinates: z.array(z.array(Position).min(4)).min(1) }),
]);
export type Geometry = z.infer<typeof Geometry>;

const Feature = z.object({
  type: z.literal('Feature'),
  properties: z.object({
    kind: z.enum(['district', 'road', 'square', 'station', 'water']),
    name: z.string(),
    nameZh: z.string(),
    id: z.string().optional(),
    district: z.string().optional(),
    area: z.enum(['urban', 'rural']).optional(),
  }),
  geometry: Geometry,
});

export const CountyMapSchema = z.object({ type: z.literal('FeatureCollection'), name: z.string(), description: z.string(), features: z.array(Feature) });
export type CountyMapFile = z.infer<typeof CountyMapSchema>;

export interface District {
  /** key used in events and by the data sources, e.g. `Precinct 3` */
  name: string;
  /** Chinese display name, e.g. 城南 */
  nameZh: string;
  area: 'urban' | 'rural';
  polygon: [number, number][];
}

/**
 * The example county map (`DISPATCH_MAP_FILE`, default services/dispatch/seed/county-map.geojson):
 * districts keyed by the source's district names, main roads, squares/parks, stations, a rural
 * area. It is an EXAMPLE drawn by hand over the extent of the bundled Minneapolis calls.
 */
export class CountyMap {
  readonly districts = new Map<string, District>();

  constructor(readonly file: CountyMapFile) {
    for (const f of file.features) {
      if (f.properties.kind === 'district' && f.geometry.type === 'Polygon') {
        this.districts.set(f.properties.name, { name: f.properties.name, nameZh: f.properties.nameZh, area: f.properties.area ?? 'urban', polygon: f.geometry.coordinates[0]! });
      }
    }
  }

  /** A feature (road, square, station) by its `id`. */
  feature(id: string) {
    return this.file.features.find((f) => f.properties.id === id);
  }

  /** `urban` / `rural` of a district; undefined for districts not on the map (e.g. San Diego divisions). */
  areaOf(district: string | null | undefined): 'urban' | 'rural' | undefined {
    return district ? this.districts.get(district)?.area : undefined;
  }

  /**
   * The district whose polygon contains the point, else the one whose boundary is nearest
   * (libs/geo metresToRing): the district a location outside the service area is ranked by.
   */
  nearestDistrict(p: LatLon): string | undefined {
    const at = this.districtAt(p);
    if (at) return at;
    let best: { name: string; m: number } | undefined;
    for (const d of this.districts.values()) {
      const m = metresToRing(p, d.polygon);
      if (!best || m < best.m) best = { name: d.name, m };
    }
    return best?.name;
  }

  /** The district whose polygon contains the point (ray casting), or undefined. */
  districtAt(p: LatLon): string | undefined {
    for (const d of this.districts.values()) if (pointInRing(p, d.polygon)) return d.name;
    return undefined;
  }
}

export { pointInRing } from '@cad110/geo';

/**
 * The point a unit is assumed to start from when it has no fresh AVL fix: its post (Point), the
 * middle vertex of its patrol line (LineString) or the vertex mean of its patrol area (Polygon).
 */
export function anchorOf(g: Geometry | null | undefined): LatLon | null {
  if (!g) return null;
  switch (g.type) {
    case 'Point':
      return { lon: g.coordinates[0], lat: g.coordinates[1] };
    case 'LineString': {
      const [lon, lat] = g.coordinates[Math.floor(g.coordinates.length / 2)]!;
      return { lon, lat };
    }
    case 'Polygon': {
      const ring = g.coordinates[0]!.slice(0, -1);
      return { lon: ring.reduce((s, c) => s + c[0], 0) / ring.length, lat: ring.reduce((s, c) => s + c[1], 0) / ring.length };
    }
    default: {
      const _never: never = g;
      return null;
    }
  }
}

let cached: CountyMap | undefined;

/** Loads and validates the county map (cached when the default file is used). */
export function loadCountyMap(path = process.env.DISPATCH_MAP_FILE ?? join(__dirname, '..', '..', 'seed', 'county-map.geojson')): CountyMap {
  if (cached && !process.env.DISPATCH_MAP_FILE) return cached;
  const m = new CountyMap(CountyMapSchema.parse(JSON.parse(readFileSync(path, 'utf8'))));
  if (!process.env.DISPATCH_MAP_FILE) cached = m;
  return m;
}
