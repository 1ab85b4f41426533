import { haversineMetres, isLatLon } from '@cad110/geo';
import type { Sql } from '@cad110/db';
import { cellsCovering } from './geo-cell';
import type { PendingCallRow } from '../calls/create-pass';
import type { CategoryCompatibility, DuplicateConfig } from './rules';
import { scoreCandidate, type CandidateRow, type DuplicateCandidate, type DuplicateSubject } from './score';

/** Rows read per branch at most (a safety bound; the window normally holds a handful). */
export const MAX_ROWS_PER_BRANCH = 500;
const NIL_UUID = '00000000-0000-0000-0000-000000000000';

export interface FindOptions {
  /** override of the configured radius, metres */
  radiusMetres?: number;
  /** override of the configured window, seconds */
  windowSeconds?: number;
  /** best candidates returned (default 10) */
  limit?: number;
}

export interface FindResult {
  radiusMetres: number;
  windowSeconds: number;
  candidates: DuplicateCandidate[];
}

interface RawRow {
  id: string;
  status: string;
  answered_at: Date;
  category: string | null;
  subtype: string | null;
  priority: number | null;
  lat: number | null;
  lon: number | null;
  district: string | null;
  beat: string | null;
  address: string | null;
  same_caller: boolean;
}

const COLUMNS = `id, status, answered_at, category, subtype, priority, lat, lon, district, beat, address`;

/**
 * Duplicate-call lookup on the `calls` read model (see README "Duplicate detection").
 *
 * One SQL statement with up to two index-driven branches, both bounded by the time window
 * [at − W, at + W] and the candidate statuses:
 *  1. near: `geo_cell = ANY(cells covering the radius's bounding box)` on index
 *     (geo_cell, answered_at), then the box on lat/lon; the exact haversine test follows in JS;
 *  2. same caller: `caller_number = $n` on index (caller_number, answered_at).
 * Rows are then scored ({@link scoreCandidate}) and the best `limit` returned, highest score first.
 */
export class DuplicateFinder {
  constructor(
    private readonly config: DuplicateConfig,
    private readonly compat: CategoryCompatibility,
  ) {}

  /**
   * Candidates for a subject.
   * @param db the pool or a transaction (`@cad110/db` Sql)
   * @param pending rows of new calls this transaction has queued and not yet written
   *   (calls/create-pass.ts): taken under the same conditions as the stored ones
   * @returns radius and window used, and the candidates (empty when the subject has neither
   *   coordinates nor a caller number)
   */
  async find(db: Sql, subject: DuplicateSubject, opts: FindOptions = {}, pending: readonly PendingCallRow[] = []): Promise<FindResult> {
    const radiusMetres = opts.radiusMetres ?? this.config.radiusMetres;
    const windowSeconds = opts.windowSeconds ?? this.config.windowSeconds;
    const limit = opts.limit ?? 10;
    const at = Date.parse(subject.at);
    const from = new Date(at - windowSeconds * 1000).toISOString();
    const to = new Date(at + windowSeconds * 1000).toISOString();
    const params: unknown[] = [from, to, [...this.config.candidateStatuses], subject.callId ?? NIL_UUID];
    const common = `answered_at >= $1::timestamptz AND answered_at <= $2::timestamptz AND status = ANY($3::text[]) AND id <> $4::uuid`;
    const branches: string[] = [];
    const here = { lat: subject.lat ?? undefined, lon: subject.lon ?? undefined };
    const callerParam = subject.callerNumber ? (params.push(subject.callerNumber), `$${params.length}`) : null;
    const sameCaller = callerParam ? `(caller_number IS NOT DISTINCT FROM ${callerParam}::text)` : 'false';
    let inBox: (lat: number, lon: number) => boolean = () => false;
    if (isLatLon(here)) {
      const { cells, box } = cellsCovering(here, radiusMetres);
      inBox = (lat, lon) => lat >= box.minLat && lat <= box.maxLat && lon >= box.minLon && lon <= box.maxLon;
      params.push(box.minLat, box.maxLat, box.minLon, box.maxLon);
      const n = params.length;
      const boxSql = `lat BETWEEN $${n - 3} AND $${n - 2} AND lon BETWEEN $${n - 1} AND $${n}`;
      let cellSql = '';
      if (cells) {
        params.push(cells);
        cellSql = `geo_cell = ANY($${params.length}::bigint[]) AND `;
      }
      branches.push(`(SELECT ${COLUMNS}, ${sameCaller} AS same_caller FROM calls WHERE ${cellSql}${boxSql} AND ${common} LIMIT ${MAX_ROWS_PER_BRANCH})`);
    }
    if (callerParam) {
      branches.push(`(SELECT ${COLUMNS}, true AS same_caller FROM calls WHERE caller_number = ${callerParam}::text AND ${common} LIMIT ${MAX_ROWS_PER_BRANCH})`);
    }
    if (branches.length === 0) return { radiusMetres, windowSeconds, candidates: [] };
    const rows = await db.query<RawRow>(branches.join(' UNION '), params);
    rows.push(...this.pendingRows(pending, subject, at - windowSeconds * 1000, at + windowSeconds * 1000, inBox));
    const byId = new Map<string, DuplicateCandidate>();
    for (const r of rows) {
      const c = scoreCandidate(subject, toCandidateRow(r), radiusMetres, windowSeconds, this.compat);
      if (c && (!byId.has(c.callId) || byId.get(c.callId)!.score < c.score)) byId.set(c.callId, c);
    }
    const candidates = [...byId.values()].sort((a, b) => b.score - a.score || a.secondsApart - b.secondsApart || a.callId.localeCompare(b.callId)).slice(0, limit);
    return { radiusMetres, windowSeconds, candidates };
  }

  /**
   * The pending rows the SQL of {@link find} would select were they stored: in the window, of a
   * candidate status, not the subject, and in the radius's box or of the same caller.
   * @param from window start, ms since the epoch @param to window end, ms since the epoch
   */
  private pendingRows(pending: readonly PendingCallRow[], subject: DuplicateSubject, from: number, to: number, inBox: (lat: number, lon: number) => boolean): RawRow[] {
    const out: RawRow[] = [];
    for (const p of pending) {
      const t = p.answeredAt.getTime();
      if (t < from || t > to || p.id === subject.callId || !this.config.candidateStatuses.includes(p.status)) continue;
      const lat = (p.lat as number | null | undefined) ?? null;
      const lon = (p.lon as number | null | undefined) ?? null;
      const sameCaller = !!subject.callerNumber && p.callerNumber === subject.callerNumber;
      if (!sameCaller && !(lat !== null && lon !== null && inBox(lat, lon))) continue;
      const text = (k: string) => (p[k] as string | null | undefined) ?? null;
      out.push({
        id: p.id,
        status: p.status,
        answered_at: p.answeredAt,
        category: text('category'),
        subtype: text('subtype'),
        priority: (p.priority as number | null | undefined) ?? null,
        lat,
        lon,
        district: text('district'),
        beat: text('beat'),
        address: text('address'),
        same_caller: sameCaller,
      });
    }
    return out;
  }

  /**
   * How a stored call compares with another (for the record of a duplicate link): distance,
   * seconds apart and — when the other call would be a candidate — its score and reasons.
   * @returns null when either call does not exist
   */
  async compare(db: Sql, callId: string, otherId: string): Promise<{ distanceMetres: number | null; secondsApart: number; score?: number; reasons?: DuplicateCandidate['reasons'] } | null> {
    const rows = await db.query<(RawRow & { caller_number: string | null })>(
      `SELECT ${COLUMNS}, caller_number, false AS same_caller FROM calls WHERE id = ANY($1::uuid[])`,
      [[callId, otherId]],
    );
    const me = rows.find((r) => r.id === callId);
    const other = rows.find((r) => r.id === otherId);
    if (!me || !other) return null;
    const subject: DuplicateSubject = { callId, at: new Date(me.answered_at).toISOString(), lat: me.lat, lon: me.lon, callerNumber: me.caller_number, category: me.category, subtype: me.subtype };
    const row = toCandidateRow({ ...other, same_caller: !!me.caller_number && me.caller_number === other.caller_number });
    const here = { lat: me.lat ?? undefined, lon: me.lon ?? undefined };
    const there = { lat: other.lat ?? undefined, lon: other.lon ?? undefined };
    const distanceMetres = isLatLon(here) && isLatLon(there) ? Math.round(haversineMetres(here, there)) : null;
    const secondsApart = Math.round(Math.abs(row.answeredAt.getTime() - Date.parse(subject.at)) / 1000);
    const c = scoreCandidate(subject, row, this.config.radiusMetres, this.config.windowSeconds, this.compat);
    return { distanceMetres, secondsApart, ...(c ? { score: c.score, reasons: c.reasons } : {}) };
  }

  /**
   * Candidates for a stored call (its answer time, coordinates, caller number and classification).
   * @returns null when the call does not exist
   */
  async findForCall(db: Sql, callId: string, opts: FindOptions = {}): Promise<FindResult | null> {
    const rows = await db.query<{ answered_at: Date; lat: number | null; lon: number | null; caller_number: string | null; category: string | null; subtype: string | null }>(
      `SELECT answered_at, lat, lon, caller_number, category, subtype FROM calls WHERE id = $1::uuid`,
      [callId],
    );
    const s = rows[0];
    if (!s) return null;
    return this.find(db, { callId, at: new Date(s.answered_at).toISOString(), lat: s.lat, lon: s.lon, callerNumber: s.caller_number, category: s.category, subtype: s.subtype }, opts);
  }
}

function toCandidateRow(r: RawRow): CandidateRow {
  return {
    id: r.id,
    status: r.status,
    answeredAt: new Date(r.answered_at),
    category: r.category,
    subtype: r.subtype,
    priority: r.priority,
    lat: r.lat,
    lon: r.lon,
    district: r.district,
    beat: r.beat,
    address: r.address,
    sameCaller: r.same_caller,
  };
}
