import { join, resolve } from 'node:path';
import { configOrExit, flag, integer, RuntimeEnv, text, url } from '@cad110/runtime';

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
}

const SERVICE_DIR = resolve(__dirname, '..');

/**
 * Reads the configuration from the environment:
 * `INTAKE_URL`, `DISPATCH_URL`, `RECORDS_URL`, `STATISTICS_URL` (default `http://127.0.0.1:8081`…`8084`),
 * `CONSOLE_WEB_DIST` (default `services/console/web/dist`),
 * `CONSOLE_MAP_FILE` (default `services/dispatch/seed/county-map.geojson`),
 * `CONSOLE_PROXY_TIMEOUT_MS` (default 30000).
 */
export function consoleConfig(env: NodeJS.ProcessEnv = process.env): ConsoleConfig {
  const upstreams = Object.fromEntries(
    UPSTREAMS.map((u) => [u, (env[`${u.toUpperCase()}_URL`] ?? `http://127.0.0.1:${DEFAULT_PORTS[u]}`).replace(/\/+$/, '')]),
  ) as Record<Upstream, string>;
  return {
    upstreams,
    webDist: env.CONSOLE_WEB_DIST ?? join(SERVICE_DIR, 'web', 'dist'),
    mapFile: env.CONSOLE_MAP_FILE ?? join(SERVICE_DIR, '..', 'dispatch', 'seed', 'county-map.geojson'),
    proxyTimeoutMs: Number(env.CONSOLE_PROXY_TIMEOUT_MS ?? 30_000),
    ...(env.CAD110_TRACE_VIEWER_URL ? { traceViewerUrl: env.CAD110_TRACE_VIEWER_URL } : {}),
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
});

/** Validates the console's environment once at start-up (exit 78 with one line on a bad value). */
export const consoleEnv = () => configOrExit('console', ConsoleEnv);
