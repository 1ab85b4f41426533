import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Router } from 'express';
import { authenticate } from '@cad110/auth';
import { bureauTimeZone, type Taxonomy } from '@cad110/contracts';
import { ProblemError } from '@cad110/http';
import { deskSettings } from './desk-settings';

/**
 * Reference data the SPA needs, for any signed-in role:
 * - `GET /api/console/taxonomy` → the 110 taxonomy file (kinds, categories, subtypes with zh/en
 *   labels, default priority, flags, SOP questions) intake validates against;
 * - `GET /api/console/map` → the county map GeoJSON (FeatureCollection, WGS84) when the dispatch
 *   service ships one (`CONSOLE_MAP_FILE`), else 404 problem+json (the SPA then draws a grid over
 *   the extent of the units and incidents);
 * - `GET /api/console/config` → `{timeZone, traceViewerUrl, mapTiles, unitStatusThresholds}`: the
 *   bureau's IANA zone and, when `CAD110_TRACE_VIEWER_URL` is set (e.g. Jaeger's
 *   `http://localhost:16686/trace/{traceId}`), the link template from a call to its trace
 *   (`{traceId}` is replaced), else null; the dispatcher desk's settings (desk-settings.ts).
 */
export function consoleApiRoutes(taxonomy: Taxonomy, mapFile: string, secret: string): Router {
  const r = Router();
  const desk = deskSettings();
  r.get('/api/console/taxonomy', authenticate(secret), (_req, res) => {
    res.set('cache-control', 'private, max-age=300').json(taxonomy.file);
  });
  r.get('/api/console/config', authenticate(secret), (_req, res) => {
    const viewer = process.env.CAD110_TRACE_VIEWER_URL;
    res.json({ timeZone: bureauTimeZone(), traceViewerUrl: viewer && viewer.includes('{traceId}') ? viewer : null, ...desk });
  });
  r.get('/api/console/map', authenticate(secret), async (_req, res) => {
    if (!existsSync(mapFile)) throw ProblemError.notFound('the county map (no GeoJSON file)');
    res.type('application/geo+json').set('cache-control', 'private, max-age=300').send(await readFile(mapFile));
  });
  return r;
}
