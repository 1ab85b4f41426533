/**
 * The county gazetteer (地名地址库): addresses, roads, crossings, landmarks, police posts and
 * districts with WGS84 coordinates, searched with PostgreSQL pg_trgm as the call taker types.
 *
 * Import formats (both UTF-8):
 * - CSV with a header row: `id?, kind, name, name_alt?, district?, lat, lon` (extra columns ignored);
 * - GeoJSON FeatureCollection: a Point's coordinates, a LineString's middle vertex or a Polygon's
 *   vertex mean become (lat, lon); properties `name`, `nameZh` (alternative name), `kind`,
 *   `district`, `id`.
 * Coordinates of a file in GCJ-02 or BD-09 (`crs` option) are converted to WGS84 with gcoord.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Sql } from '@cad110/db';
import { toWgs84, type Crs } from './coords';

export const GAZETTEER_KINDS = ['address', 'crossing', 'road', 'landmark', 'post', 'district'] as const;
export type GazetteerKind = (typeof GAZETTEER_KINDS)[number];

export interface GazetteerEntry {
  id: string;
  kind: GazetteerKind;
  name: string;
  nameAlt?: string;
  district?: string;
  /** WGS84 degrees */
  lat: number;
  lon: number;
}

/** What the search returns per entry: the entry and its pg_trgm similarity (0–1) to the query. */
export interface GazetteerHit extends GazetteerEntry {
  score: number;
}

const KIND_OF_MAP: Record<string, GazetteerKind> = { district: 'district', road: 'road', square: 'landmark', water: 'landmark', station: 'post', landmark: 'landmark', post: 'post', address: 'address', crossing: 'crossing' };

/** Text the trigram index searches: names and district, lower-cased, whitespace collapsed. */
export function searchText(e: Pick<GazetteerEntry, 'name' | 'nameAlt' | 'district'>): string {
  return [e.name, e.nameAlt, e.district].filter(Boolean).join(' ').toLowerCase().replace(/\s+/g, ' ').trim();
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9\u4e00-\u9fff]+/g, '-').replace(/^-|-$/g, '').slice(0, 100);
}

function entry(raw: { id?: string; kind?: string; name?: string; nameAlt?: string; district?: string; lat: number; lon: number }, crs: Crs, line: string): GazetteerEntry {
  const kind = KIND_OF_MAP[(raw.kind ?? 'address').toLowerCase()];
  if (!kind) throw new Error(`${line}: unknown kind ${raw.kind}`);
  if (!raw.name?.trim()) throw new Error(`${line}: name missing`);
  if (!Number.isFinite(raw.lat) || !Number.isFinite(raw.lon) || Math.abs(raw.lat) > 90 || Math.abs(raw.lon) > 180) throw new Error(`${line}: bad coordinates`);
  const p = toWgs84({ lat: raw.lat, lon: raw.lon }, crs);
  return {
    id: raw.id?.trim() || `${kind}:${slug(raw.name)}`,
    kind,
    name: raw.name.trim(),
    ...(raw.nameAlt?.trim() ? { nameAlt: raw.nameAlt.trim() } : {}),
    ...(raw.district?.trim() ? { district: raw.district.trim() } : {}),
    lat: Math.round(p.lat * 1e6) / 1e6,
    lon: Math.round(p.lon * 1e6) / 1e6,
  };
}

/** Parses a gazetteer CSV (header `kind,name,name_alt,district,lat,lon`, optional `id`). @throws Error naming the line */
export function parseGazetteerCsv(text: string, crs: Crs = 'WGS84'): GazetteerEntry[] {
  const rows = parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<string, string>[];
  return rows.map((r, i) => entry({ id: r.id, kind: r.kind, name: r.name, nameAlt: r.name_alt, district: r.district, lat: Number(r.lat), lon: Number(r.lon) }, crs, `line ${i + 2}`));
}

type Geometry = { type: string; coordinates: unknown };

/** A representative point of a geometry: Point itself, LineString's middle vertex, Polygon's vertex mean. */
function pointOf(g: Geometry): { lat: number; lon: number } | undefined {
  const pos = (c: unknown) => ({ lon: (c as number[])[0]!, lat: (c as number[])[1]! });
  if (g.type === 'Point') return pos(g.coordinates);
  if (g.type === 'LineString') {
    const cs = g.coordinates as unknown[];
    return pos(cs[Math.floor(cs.length / 2)]);
  }
  if (g.type === 'Polygon') {
    const ring = (g.coordinates as unknown[][])[0]!.map(pos);
    return { lat: ring.reduce((s, p) => s + p.lat, 0) / ring.length, lon: ring.reduce((s, p) => s + p.lon, 0) / ring.length };
  }
  return undefined;
}

/** Parses a GeoJSON FeatureCollection into entries (features without a name are skipped). */
export function parseGazetteerGeoJson(text: string, crs: Crs = 'WGS84'): GazetteerEntry[] {
  const fc = JSON.parse(text) as { features?: { geometry: Geometry; properties?: Record<string, unknown> }[] };
  const out: GazetteerEntry[] = [];
  for (const [i, f] of (fc.features ?? []).entries()) {
    const p = f.properties ?? {};
    const at = f.geometry ? pointOf(f.geometry) : undefined;
    if (!at || typeof p.name !== 'string') continue;
    const name = typeof p.nameZh === 'string' ? p.nameZh : p.name;
    const nameAlt = typeof p.nameZh === 'string' ? p.name : undefined;
    out.push(entry({ ...(typeof p.id === 'string' ? { id: `${p.kind}:${p.id}` } : {}), kind: String(p.kind ?? 'landmark'), name, ...(nameAlt ? { nameAlt } : {}), ...(typeof p.district === 'string' ? { district: p.district } : {}), ...at }, crs, `feature ${i}`));
  }
  return out;
}

/** Reads a gazetteer file by its extension (.csv, .geojson / .json). */
export function readGazetteerFile(path: string, crs: Crs = 'WGS84'): GazetteerEntry[] {
  const text = readFileSync(path, 'utf8');
  return extname(path).toLowerCase() === '.csv' ? parseGazetteerCsv(text, crs) : parseGazetteerGeoJson(text, crs);
}

/**
 * Upserts entries (by id) in batches of 500; `source` names the file.
 * @returns the number of entries written
 */
export async function importGazetteer(tx: Sql, entries: readonly GazetteerEntry[], source: string): Promise<number> {
  const now = new Date().toISOString();
  for (let i = 0; i < entries.length; i += 500) {
    const b = entries.slice(i, i + 500);
    await tx.exec(
      `INSERT INTO gazetteer (id, kind, name, name_alt, district, lat, lon, search, source, imported_at)
       SELECT * , $9::text, $10::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::float8[], $8::text[])
       ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, name_alt = EXCLUDED.name_alt, district = EXCLUDED.district,
         lat = EXCLUDED.lat, lon = EXCLUDED.lon, search = EXCLUDED.search, source = EXCLUDED.source, imported_at = EXCLUDED.imported_at`,
      [
        b.map((e) => e.id),
        b.map((e) => e.kind),
        b.map((e) => e.name),
        b.map((e) => e.nameAlt ?? null),
        b.map((e) => e.district ?? null),
        b.map((e) => e.lat),
        b.map((e) => e.lon),
        b.map((e) => searchText(e)),
        source,
        now,
      ],
    );
  }
  return entries.length;
}

/**
 * Fuzzy search as you type (pg_trgm): entries whose search text contains the query, or whose
 * word similarity to it is at least 0.3 (`<%`, pg_trgm's default word_similarity_threshold 0.6
 * is too strict for typos in short queries, so the threshold is set per transaction), best first:
 * prefix matches, then containment, then similarity. Both conditions use the GIN trigram index.
 * @param q 1–100 characters
 * @param limit 1–50
 */
export async function searchGazetteer(tx: Sql, q: string, limit = 10, near?: { lat: number; lon: number }): Promise<GazetteerHit[]> {
  const query = q.toLowerCase().replace(/\s+/g, ' ').trim();
  if (!query) return [];
  await tx.exec(`SET LOCAL pg_trgm.word_similarity_threshold = 0.3`);
  const like = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = await tx.query<{ id: string; kind: GazetteerKind; name: string; name_alt: string | null; district: string | null; lat: number; lon: number; score: number }>(
    `SELECT id, kind, name, name_alt, district, lat, lon, word_similarity($1, search)::float8 AS score
       FROM gazetteer
      WHERE search LIKE $2 OR $1 <% search
      ORDER BY (search LIKE $3) DESC, (search LIKE $2) DESC, word_similarity($1, search) DESC,
               ${near ? '(lat - $5) * (lat - $5) + (lon - $6) * (lon - $6) * 0.5,' : ''} length(name), id
      LIMIT $4`,
    [
      query,
      like,
      `${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`,
      limit,
      ...(near ? [near.lat, near.lon] : []),
    ],
  );
  return rows.map((r) => ({ id: r.id, kind: r.kind, name: r.name, ...(r.name_alt ? { nameAlt: r.name_alt } : {}), ...(r.district ? { district: r.district } : {}), lat: r.lat, lon: r.lon, score: Math.round(r.score * 1000) / 1000 }));
}
