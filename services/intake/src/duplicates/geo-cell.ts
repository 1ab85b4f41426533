/**
 * A fixed latitude/longitude grid for the duplicate lookup's index (PostGIS is not available).
 *
 * Cells are {@link CELL_DEG} degrees on each side: 0.005° of latitude is 556 m; 0.005° of
 * longitude is 486 m at 29° N (a Chinese county seat) and 393 m at 45° N (Minneapolis). A
 * 200 m radius therefore touches at most 2 × 2 cells (rarely 2 × 3), and the lookup does one
 * narrow range scan per cell on the B-tree index `(geo_cell, answered_at)`.
 */
import { boundingBox, type LatLon } from '@cad110/geo';

/** Cell size in degrees (both axes). */
export const CELL_DEG = 0.005;
const LON_CELLS = Math.round(360 / CELL_DEG); // 72,000

/** More cells than this and the lookup scans the time index with the bounding box instead. */
export const MAX_CELLS = 400;

function row(lat: number): number {
  return Math.floor((lat + 90) / CELL_DEG);
}

function col(lon: number): number {
  // lon = 180 is the same meridian as -180
  return Math.floor((lon + 180) / CELL_DEG) % LON_CELLS;
}

/**
 * The grid cell of a WGS84 point: `row × 72,000 + column` where row = ⌊(lat + 90) / 0.005⌋ and
 * column = ⌊(lon + 180) / 0.005⌋. An integer below 2.6 × 10⁹ (fits PostgreSQL bigint and a JS number).
 */
export function geoCell(lat: number, lon: number): number {
  return row(lat) * LON_CELLS + col(lon);
}

/**
 * Every cell that intersects the bounding box of the circle of `radiusMetres` around `center`.
 * @returns the cell ids and the box (degrees), or `cells: null` when there would be more than
 *   {@link MAX_CELLS} (a very large radius): then the box alone filters.
 */
export function cellsCovering(center: LatLon, radiusMetres: number): { cells: number[] | null; box: ReturnType<typeof boundingBox> } {
  const box = boundingBox(center, radiusMetres);
  const r0 = row(Math.max(-90, box.minLat));
  const r1 = row(Math.min(90 - 1e-9, box.maxLat));
  const c0 = Math.floor((Math.max(-180, box.minLon) + 180) / CELL_DEG);
  const c1 = Math.floor((Math.min(180 - 1e-9, box.maxLon) + 180) / CELL_DEG);
  const n = (r1 - r0 + 1) * (c1 - c0 + 1);
  if (n > MAX_CELLS) return { cells: null, box };
  const cells: number[] = [];
  for (let r = r0; r <= r1; r++) for (let c = c0; c <= c1; c++) cells.push(r * LON_CELLS + c);
  return { cells, box };
}
