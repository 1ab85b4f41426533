/**
 * Settings of the dispatcher desk that a bureau tunes, served to the SPA in `GET /api/console/config`:
 * - `mapTiles`: an XYZ tile URL template of the bureau's intranet map service
 *   (`CONSOLE_MAP_TILE_URL`, e.g. `http://gis.bureau.local/tiles/{z}/{x}/{y}.png`), the datum of its
 *   tiles (`CONSOLE_MAP_TILE_CRS`: `WGS84` default, or `GCJ02` for AMap-style tiles — the SPA then
 *   converts its WGS84 overlays with gcoord) and its attribution (`CONSOLE_MAP_TILE_ATTRIBUTION`);
 *   null when unset: the map is drawn offline from the county GeoJSON alone.
 * - `unitStatusThresholds`: seconds in a unit status after which the unit board shows the unit
 *   amber and red (`CONSOLE_UNIT_THRESHOLDS`, JSON `{"<status>": {"amber": s, "red": s}}`, merged
 *   over the defaults below).
 */

/** Seconds in a status after which a unit turns amber / red on the unit board. */
export type UnitStatusThresholds = Record<string, { amber: number; red: number }>;

/**
 * Console defaults, not a standard — tune per bureau with `CONSOLE_UNIT_THRESHOLDS`. `dispatched`
 * amber at 60 s is dispatch's own not-en-route limit (NOT_EN_ROUTE_LIMIT_SECONDS, which raises
 * UnitOverdueAlerted); the others are starting points for a county patrol service.
 */
export const DEFAULT_UNIT_THRESHOLDS: UnitStatusThresholds = {
  dispatched: { amber: 60, red: 120 },
  'en-route': { amber: 600, red: 1200 },
  'on-scene': { amber: 1800, red: 3600 },
  transporting: { amber: 1800, red: 3600 },
  'out-of-service': { amber: 3600, red: 14400 },
};

export interface DeskSettings {
  mapTiles: { url: string; crs: 'WGS84' | 'GCJ02'; attribution: string } | null;
  unitStatusThresholds: UnitStatusThresholds;
}

/**
 * Reads the desk settings from the environment.
 * @throws Error when `CONSOLE_UNIT_THRESHOLDS` is not JSON of `{status: {amber, red}}` with 0 < amber ≤ red (seconds),
 *   or `CONSOLE_MAP_TILE_URL` is not an http(s) URL with `{z}`, `{x}` and `{y}`
 */
export function deskSettings(env: NodeJS.ProcessEnv = process.env): DeskSettings {
  const thresholds: UnitStatusThresholds = { ...DEFAULT_UNIT_THRESHOLDS };
  if (env.CONSOLE_UNIT_THRESHOLDS) {
    const parsed = JSON.parse(env.CONSOLE_UNIT_THRESHOLDS) as unknown;
    if (!parsed || typeof parsed !== 'object') throw new Error('CONSOLE_UNIT_THRESHOLDS must be a JSON object');
    for (const [status, v] of Object.entries(parsed as Record<string, { amber?: unknown; red?: unknown }>)) {
      const { amber, red } = v ?? {};
      if (typeof amber !== 'number' || typeof red !== 'number' || !(amber > 0) || !(red >= amber)) throw new Error(`CONSOLE_UNIT_THRESHOLDS.${status} needs 0 < amber <= red (seconds)`);
      thresholds[status] = { amber, red };
    }
  }
  const url = env.CONSOLE_MAP_TILE_URL?.trim();
  if (url && !(/^https?:\/\//.test(url) && url.includes('{z}') && url.includes('{x}') && url.includes('{y}'))) throw new Error('CONSOLE_MAP_TILE_URL must be an http(s) URL template with {z}, {x} and {y}');
  const crs = (env.CONSOLE_MAP_TILE_CRS ?? 'WGS84').toUpperCase().replace(/[^A-Z0-9]/g, '');
  if (crs !== 'WGS84' && crs !== 'GCJ02') throw new Error('CONSOLE_MAP_TILE_CRS must be WGS84 or GCJ02');
  return { mapTiles: url ? { url, crs, attribution: env.CONSOLE_MAP_TILE_ATTRIBUTION ?? '' } : null, unitStatusThresholds: thresholds };
}
