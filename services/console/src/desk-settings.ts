/**
 * Settings of the dispatcher desk that a bureau tunes, served to the SPA in `GET /api/console/config`,
 * validated with zod at start-up ({@link DeskEnv}, part of the console's `ConsoleEnv`: a bad value
 * stops the console with exit 78 and one line naming the variable):
 * - `mapTiles`: an XYZ tile URL template of the bureau's intranet map service
 *   (`CONSOLE_MAP_TILE_URL`, e.g. `http://gis.bureau.local/tiles/{z}/{x}/{y}.png`), the datum of its
 *   tiles (`CONSOLE_MAP_TILE_CRS`: `WGS84` default, or `GCJ02` for AMap-style tiles — the SPA then
 *   converts its WGS84 overlays with gcoord) and its attribution (`CONSOLE_MAP_TILE_ATTRIBUTION`);
 *   null when unset: the map is drawn offline from the county GeoJSON shipped in the repo.
 * - `unitStatusThresholds`: seconds in a unit status after which the unit board shows the unit
 *   amber and red (`CONSOLE_UNIT_THRESHOLDS`, JSON `{"<status>": {"amber": s, "red": s}}`, merged
 *   over the defaults below).
 */
import { z } from 'zod';
import { loadConfig, text } from '@cad110/runtime';

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

const STATUSES = ['available', 'dispatched', 'en-route', 'on-scene', 'transporting', 'cleared', 'out-of-service'] as const;

const Threshold = z
  .object({ amber: z.number().positive(), red: z.number().positive() })
  .strict()
  .refine((t) => t.amber <= t.red, 'needs 0 < amber <= red (seconds)');

const THRESHOLDS_ALLOWED = `JSON {"<status>": {"amber": s, "red": s}} with 0 < amber <= red (seconds), status one of ${STATUSES.join(', ')}`;

/** `CONSOLE_UNIT_THRESHOLDS`: JSON text of thresholds per unit status, merged over {@link DEFAULT_UNIT_THRESHOLDS}. */
const ThresholdsVar = z
  .string()
  .optional()
  .transform((s, ctx) => {
    if (!s?.trim()) return { ...DEFAULT_UNIT_THRESHOLDS };
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: THRESHOLDS_ALLOWED });
      return z.NEVER;
    }
    const r = z.partialRecord(z.enum(STATUSES), Threshold).safeParse(parsed);
    if (!r.success) {
      ctx.addIssue({ code: 'custom', message: THRESHOLDS_ALLOWED });
      return z.NEVER;
    }
    return { ...DEFAULT_UNIT_THRESHOLDS, ...(r.data as UnitStatusThresholds) };
  });

/** The desk's variables (zod, merged into the console's `ConsoleEnv`). */
export const DeskEnv = z.object({
  CONSOLE_MAP_TILE_URL: z
    .string()
    .trim()
    .refine((u) => u === '' || (/^https?:\/\/[^\s/]+/.test(u) && u.includes('{z}') && u.includes('{x}') && u.includes('{y}')), 'an http(s) URL template with {z}, {x} and {y}')
    .optional(),
  CONSOLE_MAP_TILE_CRS: z
    .string()
    .default('WGS84')
    .transform((v) => v.toUpperCase().replace(/[^A-Z0-9]/g, ''))
    .pipe(z.enum(['WGS84', 'GCJ02'], { error: 'WGS84 or GCJ02' })),
  CONSOLE_MAP_TILE_ATTRIBUTION: text(),
  CONSOLE_UNIT_THRESHOLDS: ThresholdsVar,
});

export interface DeskSettings {
  /** null: offline county map (services/dispatch/seed/county-map.geojson), no tile server */
  mapTiles: { url: string; crs: 'WGS84' | 'GCJ02'; attribution: string } | null;
  unitStatusThresholds: UnitStatusThresholds;
}

/** The desk settings of a parsed {@link DeskEnv}. */
export function deskSettingsOf(env: z.infer<typeof DeskEnv>): DeskSettings {
  const url = env.CONSOLE_MAP_TILE_URL?.trim();
  return { mapTiles: url ? { url, crs: env.CONSOLE_MAP_TILE_CRS, attribution: env.CONSOLE_MAP_TILE_ATTRIBUTION ?? '' } : null, unitStatusThresholds: env.CONSOLE_UNIT_THRESHOLDS };
}

/**
 * Reads the desk settings from the environment.
 * @throws ConfigError (libs/runtime) naming the variable when `CONSOLE_UNIT_THRESHOLDS` is not JSON of
 *   `{status: {amber, red}}` with 0 < amber ≤ red (seconds), `CONSOLE_MAP_TILE_URL` is not an http(s)
 *   URL with `{z}`, `{x}` and `{y}`, or `CONSOLE_MAP_TILE_CRS` is not WGS84 / GCJ02
 */
export function deskSettings(env: NodeJS.ProcessEnv = process.env): DeskSettings {
  return deskSettingsOf(loadConfig(DeskEnv, env));
}

/** The body of `GET /api/console/config`'s desk part (OpenAPI). */
export const DeskSettingsBody = z.object({
  mapTiles: z
    .object({ url: z.string().describe('XYZ template with {z} {x} {y}'), crs: z.enum(['WGS84', 'GCJ02']), attribution: z.string() })
    .nullable()
    .describe('null: draw the offline county map shipped in the repo (no tile server)'),
  unitStatusThresholds: z.record(z.string(), z.object({ amber: z.number().describe('seconds'), red: z.number().describe('seconds') })).describe('seconds in a unit status after which the unit board shows amber / red'),
});
