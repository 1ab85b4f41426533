import { join, resolve } from 'node:path';
import { configOrExit, flag, integer, loadConfig, RuntimeEnv, text, url } from '@cad110/runtime';
import { DeskEnv, deskSettings, type DeskSettings } from './desk-settings';

/** The four services the gateway forwards to, by the path segment after `/api/`. */
export const UPSTREAMS = ['intake', 'dispatch', 'records', 'statistics'] as const;
export type Upstream = (typeof UPSTREAMS)[number];

const DEFAULT_PORTS: Record<Upstream, number> = { intake: 8081, dispatch: 8082, records: 8083, statistics: 8084 };

/** Where the console finds what it serves and forwards to. */
export interface ConsoleConfig {
  /** base URLs of the services (no trailing slash) */
  upstreams: Record<Upstream, string>;
  /** directory of the SPA's production build (`index.html` + `assets/`) */
  webDist: string;
  /** GeoJSON of the county map drawn under incidents and units, if the file exists */
  mapFile: string;
  /** ms an upstream may take to answer before the gateway answers 504 */
  proxyTimeoutMs: number;
  /** trace link template with `{traceId}` (`CAD110_TRACE_VIEWER_URL`), if set */
  traceViewerUrl?: string;
  /** the dispatcher desk's map tiles and unit-board thresholds (desk-settings.ts) */
  desk: DeskSettings;
  /** access token lifetime, seconds (`CONSOLE_ACCESS_TOKEN_SECONDS`, default 300); refresh with POST /auth/refresh */
  accessTokenSeconds: number;
  /** `CONSOLE_REQUIRE_TOTP` (default false): every sign-in needs a TOTP code; users without one enrol at sign-in (auth/second-factor.ts) */
  requireTotp: boolean;
}

const SERVICE_DIR = resolve(__dirname, '..');

/**
 * Reads the configuration from the environment:
 * `INTAKE_URL`, `DISPATCH_URL`, `RECORDS_URL`, `STATISTICS_URL` (default `http://127.0.0.1:8081`…`8084`),
 * `CONSOLE_WEB_DIST` (default `services/console/web/dist`),
 * `CONSOLE_MAP_FILE` (default `services/dispatch/seed/county-map.geojson`),
 * `CONSOLE_PROXY_TIMEOUT_MS` (default 30000), `CONSOLE_ACCESS_TOKEN_SECONDS` (default 300),
 * `CONSOLE_REQUIRE_TOTP` (default false: a second factor only for users who enrolled), the desk settings (`CONSOLE_MAP_TILE_*`,
 * `CONSOLE_UNIT_THRESHOLDS`: desk-settings.ts).
 * @throws ConfigError naming the variable when a value is malformed
 */
export function consoleConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const c = loadConfig(
    ConsoleEnv.pick({ INTAKE_URL: true, DISPATCH_URL: true, RECORDS_URL: true, STATISTICS_URL: true, CONSOLE_WEB_DIST: true, CONSOLE_MAP_FILE: true, CONSOLE_PROXY_TIMEOUT_MS: true, CAD110_TRACE_VIEWER_URL: true, CONSOLE_ACCESS_TOKEN_SECONDS: true, CONSOLE_REQUIRE_TOTP: true }),
    env,
  );
  const urls: Record<Upstream, string | undefined> = { intake: c.INTAKE_URL, dispatch: c.DISPATCH_URL, records: c.RECORDS_URL, statistics: c.STATISTICS_URL };
  const upstreams = Object.fromEntries(UPSTREAMS.map((u) => [u, (urls[u] ?? `http://127.0.0.1:${DEFAULT_PORTS[u]}`).replace(/\/+$/, '')])) as Record<Upstream, string>;
  return {
    upstreams,
    webDist: c.CONSOLE_WEB_DIST ?? join(SERVICE_DIR, 'web', 'dist'),
    mapFile: c.CONSOLE_MAP_FILE ?? join(SERVICE_DIR, '..', 'dispatch', 'seed', 'county-map.geojson'),
    proxyTimeoutMs: c.CONSOLE_PROXY_TIMEOUT_MS,
    ...(c.CAD110_TRACE_VIEWER_URL ? { traceViewerUrl: c.CAD110_TRACE_VIEWER_URL } : {}),
    desk: deskSettings(env),
    accessTokenSeconds: c.CONSOLE_ACCESS_TOKEN_SECONDS,
    requireTotp: c.CONSOLE_REQUIRE_TOTP,
  };
}

/** The console's environment: the shared variables and its own (README "Configuration"). */
export const ConsoleEnv = RuntimeEnv.extend({
  INTAKE_URL: url(),
  DISPATCH_URL: url(),
  RECORDS_URL: url(),
  STATISTICS_URL: url(),
  CONSOLE_WEB_DIST: text(),
  CONSOLE_MAP_FILE: text(),
  CONSOLE_PROXY_TIMEOUT_MS: integer(30_000, 100, 600_000, 'milliseconds'),
  CAD110_TRACE_VIEWER_URL: url(),
  CONSOLE_SEED_DEMO_USERS: flag(false),
  CAD110_DEMO_PASSWORD: text(),
  CONSOLE_ACCESS_TOKEN_SECONDS: integer(300, 10, 3600, 'seconds'),
  // a second factor (TOTP) at every sign-in; users who have none enrol at their next sign-in
  CONSOLE_REQUIRE_TOTP: flag(false),
  // checked in full by libs/auth authKeysOrExit() at start-up (PEM, EC P-256, listed in CAD110_AUTH_PUBLIC_KEYS)
  CAD110_AUTH_PRIVATE_KEY: text(),
}).extend(DeskEnv.shape);

/** Validates the console's environment once at start-up (exit 78 with one line on a bad value). */
export const consoleEnv = () => configOrExit('console', ConsoleEnv);
