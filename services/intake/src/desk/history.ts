/**
 * Caller and location history for the call-taker desk: what this number and this place have
 * called about before, and the hazard / person flags that match.
 *
 * - by number: calls from the same number (normalised digits) answered in the 30 days before
 *   the reference instant, newest first, with the count of the last 24 h and of the 30 days;
 * - nearby: calls answered in the 30 days before, within 100 m (haversine) of the point;
 * - flags: active person flags with the number, active location flags whose radius (default
 *   100 m) covers the point.
 * Both lookups run on the `calls` read model's indexes: `(caller_number, answered_at)` and
 * `(geo_cell, answered_at)` with the cells covering the radius (see src/duplicates/geo-cell.ts).
 */
import { haversineMetres } from '@cad110/geo';
import type { Sql } from '@cad110/db';
import { cellsCovering } from '../duplicates/geo-cell';

/** Look-back windows and radius of the history, seconds and metres (issue 16). */
export const HISTORY = { dayS: 86_400, windowS: 30 * 86_400, nearbyMetres: 100, maxRows: 50 } as const;

export interface HistoryCall {
  callId: string;
  /** UTC ISO-8601 */
  answeredAt: string;
  status: string;
  /** cancel reason or transfer target, when the call ended that way */
  outcomeDetail: string | null;
  category: string | null;
  subtype: string | null;
  priority: number | null;
  address: string | null;
  /** metres from the point asked, null without coordinates */
  distanceMetres: number | null;
}

export interface FlagMatch {
  flagId: string;
  kind: 'location' | 'person';
  label: string;
  note: string | null;
  /** location flags: metres from the point asked */
  distanceMetres: number | null;
}

export interface HistoryResult {
  at: string;
  byNumber: { last24h: number; last30d: number; calls: HistoryCall[] } | null;
  nearby: { radiusMetres: number; last30d: number; calls: HistoryCall[] } | null;
  flags: FlagMatch[];
}

interface Row {
  id: string;
  answered_at: Date;
  status: string;
  outcome_detail: string | null;
  category: string | null;
  subtype: string | null;
  priority: number | null;
  address: string | null;
  lat: number | null;
  lon: number | null;
}

const COLS = 'id::text, answered_at, status, outcome_detail, category, subtype, priority, address, lat, lon';

function toCall(r: Row, at?: { lat: number; lon: number }): HistoryCall {
  return {
    callId: r.id,
    answeredAt: r.answered_at.toISOString(),
    status: r.status,
    outcomeDetail: r.outcome_detail,
    category: r.category,
    subtype: r.subtype,
    priority: r.priority,
    address: r.address,
    distanceMetres: at && r.lat !== null && r.lon !== null ? Math.round(haversineMetres(at, { lat: r.lat, lon: r.lon })) : null,
  };
}

/**
 * History of a number and/or a point before `at` (default now).
 * @param number normalised caller number (digits, optional leading +), or null
 * @param point WGS84 degrees, or undefined
 * @param excludeCallId the call being typed, left out of its own history
 */
export async function callHistory(tx: Sql, opts: { number: string | null; point?: { lat: number; lon: number }; at?: string; excludeCallId?: string }): Promise<HistoryResult> {
  const at = new Date(opts.at ?? Date.now());
  const since = new Date(at.getTime() - HISTORY.windowS * 1000);
  const dayAgo = at.getTime() - HISTORY.dayS * 1000;
  const exclude = opts.excludeCallId ?? '00000000-0000-0000-0000-000000000000';
  let byNumber: HistoryResult['byNumber'] = null;
  if (opts.number) {
    const rows = await tx.query<Row>(
      `SELECT ${COLS} FROM calls WHERE caller_number = $1 AND answered_at >= $2 AND answered_at <= $3 AND id <> $4::uuid ORDER BY answered_at DESC LIMIT 500`,
      [opts.number, since, at, exclude],
    );
    byNumber = { last24h: rows.filter((r) => r.answered_at.getTime() >= dayAgo).length, last30d: rows.length, calls: rows.slice(0, HISTORY.maxRows).map((r) => toCall(r, opts.point)) };
  }
  let nearby: HistoryResult['nearby'] = null;
  const flags: FlagMatch[] = [];
  if (opts.point) {
    const { cells, box } = cellsCovering(opts.point, HISTORY.nearbyMetres);
    const rows = await tx.query<Row>(
      `SELECT ${COLS} FROM calls
        WHERE ${cells ? 'geo_cell = ANY($8::bigint[]) AND' : ''} answered_at >= $1 AND answered_at <= $2 AND id <> $3::uuid
          AND lat BETWEEN $4 AND $5 AND lon BETWEEN $6 AND $7
        ORDER BY answered_at DESC LIMIT 2000`,
      [
        since,
        at,
        exclude,
        box.minLat,
        box.maxLat,
        box.minLon,
        box.maxLon,
        ...(cells ? [cells] : []),
      ],
    );
    const within = rows.map((r) => toCall(r, opts.point)).filter((c) => c.distanceMetres !== null && c.distanceMetres <= HISTORY.nearbyMetres);
    nearby = { radiusMetres: HISTORY.nearbyMetres, last30d: within.length, calls: within.slice(0, HISTORY.maxRows) };
    const fl = await tx.query<{ id: string; label: string; note: string | null; lat: number; lon: number; radius_metres: number | null }>(
      `SELECT id::text, label, note, lat, lon, radius_metres FROM flags WHERE active AND kind = 'location' AND lat BETWEEN $1 AND $2`,
      [opts.point.lat - 0.05, opts.point.lat + 0.05],
    );
    for (const f of fl) {
      const d = Math.round(haversineMetres(opts.point, { lat: f.lat, lon: f.lon }));
      if (d <= (f.radius_metres ?? HISTORY.nearbyMetres)) flags.push({ flagId: f.id, kind: 'location', label: f.label, note: f.note, distanceMetres: d });
    }
  }
  if (opts.number) {
    const fl = await tx.query<{ id: string; label: string; note: string | null }>(`SELECT id::text, label, note FROM flags WHERE active AND kind = 'person' AND number = $1`, [opts.number]);
    for (const f of fl) flags.push({ flagId: f.id, kind: 'person', label: f.label, note: f.note, distanceMetres: null });
  }
  return { at: at.toISOString(), byNumber, nearby, flags };
}
