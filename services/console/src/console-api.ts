import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { bureauTimeZone, type Taxonomy } from '@cad110/contracts';
import { ProblemError, type RouteSpec } from '@cad110/http';
import { SIGNED_IN } from './auth/routes';
import { DeskSettingsBody, deskSettings, type DeskSettings } from './desk-settings';

const TaxonomyBody = z.object({ taxonomyVersion: z.string() }).loose().meta({ id: 'Taxonomy' });
const ConfigBody = z.object({ timeZone: z.string().describe('IANA zone of the bureau'), traceViewerUrl: z.string().nullable().describe('link template with {traceId}, or null') }).extend(DeskSettingsBody.shape);

/**
 * Reference data the SPA needs, for any signed-in role:
 * - `GET /api/console/taxonomy` → the 110 taxonomy file (kinds, categories, subtypes with zh/en
 *   labels, default priority, flags, SOP questions) intake validates against;
 * - `GET /api/console/map` → the county map GeoJSON (FeatureCollection, WGS84) when the dispatch
 *   service ships one (`CONSOLE_MAP_FILE`), else 404 problem+json (the SPA then draws a grid over
 *   the extent of the units and incidents);
 * - `GET /api/console/config` → `{timeZone, traceViewerUrl, mapTiles, unitStatusThresholds}`: the
 *   bureau's IANA zone; when `CAD110_TRACE_VIEWER_URL` is set (e.g. Jaeger's
 *   `http://localhost:16686/trace/{traceId}`), the link template from a call to its trace
 *   (`{traceId}` is replaced), else null; the desk's map tiles (`{url, crs, attribution}`, null =
 *   the offline county map shipped in the repo) and the unit board's amber/red thresholds in
 *   seconds per unit status (desk-settings.ts, validated at start-up).
 */
export function consoleApiRoutes(taxonomy: Taxonomy, mapFile: string, traceViewerUrl: string | undefined, desk: DeskSettings = deskSettings()): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/api/console/taxonomy',
      operationId: 'consoleTaxonomy',
      summary: 'The 110 taxonomy file intake validates against',
      description: 'Kinds, categories, subtypes with zh/en labels, default priority, flags, SOP questions. Cached 300 s.',
      tags: ['console'],
      roles: SIGNED_IN,
      responses: { 200: { description: 'The taxonomy', schema: TaxonomyBody } },
      handler: (_req, res) => {
        res.set('cache-control', 'private, max-age=300').json(taxonomy.file);
      },
    },
    {
      method: 'get',
      path: '/api/console/config',
      operationId: 'consoleConfig',
      summary: "The bureau's time zone, the trace link template, the desk's map tiles and unit-board thresholds",
      description: '`mapTiles` null = the offline county map (no tile server); `unitStatusThresholds` in seconds per unit status (amber ≤ red).',
      tags: ['console'],
      roles: SIGNED_IN,
      responses: { 200: { description: 'Console settings', schema: ConfigBody } },
      handler: (_req, res) => {
        res.json({ timeZone: bureauTimeZone(), traceViewerUrl: traceViewerUrl && traceViewerUrl.includes('{traceId}') ? traceViewerUrl : null, ...desk });
      },
    },
    {
      method: 'get',
      path: '/api/console/map',
      operationId: 'consoleMap',
      summary: 'The county map (GeoJSON FeatureCollection, WGS84)',
      description: '404 when no map file is configured (CONSOLE_MAP_FILE); the SPA then draws a grid over the extent of the units and incidents. Cached 300 s.',
      tags: ['console'],
      roles: SIGNED_IN,
      responses: { 200: { description: 'The map', contentType: 'application/geo+json' }, 404: { description: 'No map file' } },
      handler: async (_req, res) => {
        if (!existsSync(mapFile)) throw ProblemError.notFound('the county map (no GeoJSON file)');
        res.type('application/geo+json').set('cache-control', 'private, max-age=300').send(await readFile(mapFile));
      },
    },
  ];
}
