import type { RouteSpec } from '@cad110/http';
import { READ } from '../api';
import type { DispatchContext } from '../context';
import { CountyMapSchema } from './county-map';

/** The example county map. */
export function mapRoutes(ctx: DispatchContext): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/map',
      operationId: 'getCountyMap',
      summary: 'The county map (GeoJSON FeatureCollection, WGS84)',
      description: 'Districts (with `nameZh` and `area` urban/rural), roads, squares, stations and water of `DISPATCH_MAP_FILE` (default services/dispatch/seed/county-map.geojson).',
      tags: ['reference'],
      roles: READ,
      responses: { 200: { description: 'RFC 7946 GeoJSON', schema: CountyMapSchema, contentType: 'application/geo+json' } },
      handler: (_req, res) => {
        res.type('application/geo+json').send(JSON.stringify(ctx.map.file));
      },
    },
  ];
}
