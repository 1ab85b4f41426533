import { useEffect, useMemo, useState } from 'react';
import { extentOf, geoJsonPositions, projection, type LatLon } from '../geo';
import { useI18n } from '../i18n';
import { paths, type Ring } from './map-view';

/** h3-js's `cellToBoundary` (loaded on first use as its own chunk: h3-js is ~300 kB of wasm-compiled JS). */
type CellToBoundary = (cell: string) => [number, number][];
let h3Loading: Promise<CellToBoundary> | undefined;
function loadH3(): Promise<CellToBoundary> {
  h3Loading ??= import('h3-js').then((m) => m.cellToBoundary);
  return h3Loading;
}

const W = 720;

/**
 * The hexagon hot-spot map: one SVG hexagon per H3 cell (`cellToBoundary`, [lat, lng] degrees),
 * shaded by its calls relative to the busiest cell, over the county map's district outlines when
 * there is a map. `cells` = calls per cell (e.g. from `/stats/hotspots/cells`); `hot` = cell ids
 * that are Gi* hot spots (z ≥ 1.96), drawn with a red outline.
 */
export function HexMap({ cells, hot = [], geojson, height = 420, testId }: { cells: { cell: string; calls: number }[]; hot?: string[]; geojson?: unknown; height?: number; testId?: string }) {
  const { t } = useI18n();
  const [cellToBoundary, setFn] = useState<CellToBoundary>();
  const [loadError, setLoadError] = useState<string>();
  useEffect(() => {
    if (cells.length === 0 || cellToBoundary) return;
    let alive = true;
    loadH3()
      .then((f) => alive && setFn(() => f))
      .catch((e: unknown) => alive && setLoadError(String(e)));
    return () => {
      alive = false;
    };
  }, [cells.length, cellToBoundary]);
  const hexes = useMemo(() => {
    if (!cellToBoundary) return [];
    return cells.flatMap((c) => {
      try {
        return [{ ...c, ring: cellToBoundary(c.cell).map(([lat, lon]) => ({ lat, lon })) }];
      } catch {
        return []; // not a valid cell id
      }
    });
  }, [cells, cellToBoundary]);
  const shapes = useMemo(() => (geojson ? paths(geojson) : undefined), [geojson]);
  const extent = useMemo(() => {
    // the county map (when there is one) and every cell: a lone cell is shown in its context
    const pts: LatLon[] = [...hexes.flatMap((h) => h.ring), ...(geojson ? geoJsonPositions(geojson) : [])];
    return extentOf(pts, 0.04) ?? { minLon: 119.55, minLat: 29.0, maxLon: 119.75, maxLat: 29.15 };
  }, [hexes, geojson]);
  const proj = useMemo(() => projection(extent, W, height), [extent, height]);
  const max = Math.max(1, ...cells.map((c) => c.calls));
  const ringPath = (r: LatLon[]) => r.map((p, i) => `${i ? 'L' : 'M'}${proj.toXY(p).x.toFixed(1)},${proj.toXY(p).y.toFixed(1)}`).join('') + 'Z';
  const geoPath = (r: Ring, close: boolean) => ringPath(r.map(([lon, lat]) => ({ lat, lon }))).slice(0, close ? undefined : -1);
  return (
    <svg className="map hexmap" viewBox={`0 0 ${W} ${height}`} data-testid={testId} data-cells={hexes.length} role="img" aria-label={t('hotspotMap')}>
      <rect x={0} y={0} width={W} height={height} className="map-bg" />
      {shapes?.rings.map((r, i) => <path key={`r${i}`} d={geoPath(r, true)} className="district" />)}
      {shapes?.lines.map((r, i) => <path key={`l${i}`} d={geoPath(r, false)} className="road" />)}
      {hexes.map((h) => (
        <path
          key={h.cell}
          d={ringPath(h.ring)}
          className={`hex${hot.includes(h.cell) ? ' hot' : ''}`}
          style={{ fillOpacity: 0.2 + 0.7 * (h.calls / max) }}
          data-testid="hex-cell"
          data-cell={h.cell}
          data-calls={h.calls}
        >
          <title>{`${h.cell}: ${h.calls}`}</title>
        </path>
      ))}
      {cells.length === 0 && (
        <text x={W / 2} y={height / 2} textAnchor="middle" className="grid-label">{t('noData')}</text>
      )}
      {loadError && (
        <text x={W / 2} y={height / 2 + 16} textAnchor="middle" className="grid-label">{loadError}</text>
      )}
    </svg>
  );
}
