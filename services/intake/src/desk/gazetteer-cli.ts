/**
 * Gazetteer CLI.
 *   npm run gazetteer -w @cad110/intake -- build   writes data/gazetteer/county-gazetteer.csv from
 *       the bundled calls (data/calls/*.slice-2000.csv: every distinct address and cross street,
 *       at the mean of its calls' coordinates, with its district) and the county map
 *       (services/dispatch/seed/county-map.geojson: districts, roads, landmarks, posts).
 *   npm run gazetteer -w @cad110/intake -- import <file.csv|file.geojson> [--crs GCJ02|BD09]
 *       upserts a file into intake's database (DATABASE_URL or the service default).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Pool } from 'pg';
import { databaseUrlFor, pgTransaction } from '@cad110/db';
import { Crs } from './coords';
import { importGazetteer, parseGazetteerGeoJson, readGazetteerFile, type GazetteerEntry } from './gazetteer';
import { DEFAULT_GAZETTEER_FILE } from './gazetteer-seed';

const ROOT = resolve(__dirname, '../../../..');

function csvCell(v: string | number | undefined): string {
  const s = v === undefined ? '' : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function titleCase(s: string): string {
  return s.toLowerCase().replace(/\b([a-z])/g, (c) => c.toUpperCase());
}

/** Entries from the bundled calls and the county map. */
export function buildDemoGazetteer(callsCsv: string, mapGeoJson: string): GazetteerEntry[] {
  const rows = parse(readFileSync(callsCsv), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const acc = new Map<string, { kind: 'address' | 'crossing'; name: string; district: string; lat: number; lon: number; n: number }>();
  const add = (kind: 'address' | 'crossing', name: string, district: string, lat: number, lon: number) => {
    const key = `${kind}:${name.toLowerCase()}`;
    const a = acc.get(key) ?? { kind, name, district, lat: 0, lon: 0, n: 0 };
    a.lat += lat;
    a.lon += lon;
    a.n += 1;
    acc.set(key, a);
  };
  for (const r of rows) {
    const lat = Number(r.Latitude);
    const lon = Number(r.Longitude);
    if (!Number.isFinite(lat) || !Number.isFinite(lon) || lat === 0) continue;
    const district = r.Division ?? '';
    if (r.Address?.trim()) add('address', titleCase(r.Address.trim()).replace(/ Block /, ' block '), district, lat, lon);
    if (r.Cross_Street?.trim()) add('crossing', titleCase(r.Cross_Street.trim()).replace('/', ' / '), district, lat, lon);
  }
  const fromCalls: GazetteerEntry[] = [...acc.values()].map((a) => ({ id: `${a.kind}:${a.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`, kind: a.kind, name: a.name, ...(a.district ? { district: a.district } : {}), lat: Math.round((a.lat / a.n) * 1e5) / 1e5, lon: Math.round((a.lon / a.n) * 1e5) / 1e5 }));
  const fromMap = parseGazetteerGeoJson(readFileSync(mapGeoJson, 'utf8'));
  return [...fromMap, ...fromCalls.sort((x, y) => x.id.localeCompare(y.id))];
}

async function main(): Promise<number> {
  const [cmd, file] = process.argv.slice(2);
  if (cmd === 'build') {
    const entries = buildDemoGazetteer(resolve(ROOT, 'data/calls/minneapolis-mpd-911-cad.slice-2000.csv'), resolve(ROOT, 'services/dispatch/seed/county-map.geojson'));
    const lines = ['id,kind,name,name_alt,district,lat,lon', ...entries.map((e) => [e.id, e.kind, e.name, e.nameAlt, e.district, e.lat, e.lon].map(csvCell).join(','))];
    writeFileSync(DEFAULT_GAZETTEER_FILE, `${lines.join('\n')}\n`);
    console.log(`wrote ${entries.length} entries to ${DEFAULT_GAZETTEER_FILE}`);
    return 0;
  }
  if (cmd === 'import' && file) {
    const i = process.argv.indexOf('--crs');
    const crs = Crs.parse(i > 0 ? process.argv[i + 1] : 'WGS84');
    const entries = readGazetteerFile(resolve(file), crs);
    const pool = new Pool({ connectionString: process.env.DATABASE_URL ?? databaseUrlFor('intake') });
    try {
      const n = await pgTransaction(pool)((tx) => importGazetteer(tx, entries, file.split('/').pop()!));
      console.log(`imported ${n} entries from ${file}`);
    } finally {
      await pool.end();
    }
    return 0;
  }
  console.error('usage: gazetteer build | gazetteer import <file.csv|file.geojson> [--crs WGS84|GCJ02|BD09]');
  return 2;
}

if (require.main === module) main().then((c) => process.exit(c), (e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
