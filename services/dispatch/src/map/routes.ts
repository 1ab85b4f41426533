import { Router } from 'express';
import { requireRole } from '@cad110/auth';
import type { DispatchContext } from '../context';
import { READ } from '../roles';

/** GET /map — the example county map (GeoJSON FeatureCollection). */
export function mapRoutes(ctx: DispatchContext): Router {
  const r = Router();
  r.get('/map', requireRole(...READ), (_req, res) => {
    res.type('application/geo+json').send(JSON.stringify(ctx.map.file));
  });
  return r;
}
