import { createContext, useContext } from 'react';

/**
 * `GET /api/console/config`: the bureau's IANA zone, the trace link template (`{traceId}`) or
 * null, the bureau's map tiles (XYZ template and datum) or null (offline map), and the unit
 * board's amber/red seconds per status (services/console/src/desk-settings.ts).
 */
export interface ConsoleSettings {
  timeZone: string;
  traceViewerUrl: string | null;
  mapTiles?: { url: string; crs: 'WGS84' | 'GCJ02'; attribution: string } | null;
  unitStatusThresholds?: Record<string, { amber: number; red: number }>;
}

export const ConfigContext = createContext<ConsoleSettings | undefined>(undefined);

/** The console settings once loaded (undefined until then). */
export const useConsoleConfig = () => useContext(ConfigContext);

/**
 * The trace id (32 hex digits) of a W3C `traceparent` (`00-<trace id>-<span id>-<flags>`), or
 * undefined when it is missing or malformed (an all-zero trace id is invalid).
 */
export function traceIdOf(traceparent: string | undefined | null): string | undefined {
  const m = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(traceparent?.trim().toLowerCase() ?? '');
  return m && !/^0+$/.test(m[1]!) ? m[1] : undefined;
}

/** The trace viewer's URL for `traceId`: every `{traceId}` of the template replaced. */
export function traceUrl(template: string, traceId: string): string {
  return template.split('{traceId}').join(encodeURIComponent(traceId));
}
