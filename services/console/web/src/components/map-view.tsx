import { useMemo } from 'react';
import { extentOf, geoJsonPositions, gridStep, projection, type Extent, type LatLon } from '../geo';
import { useI18n } from '../i18n';

export interface MapIncident extends LatLon {
  id: string;
  priority: number;
  label: string;
  level?: 'ok' | 'amber' | 'red';
}
export interface MapUnit extends LatLon {
  id: string;
  callSign: string;
  status: string;
}

interface Props {
  geojson?: unknown;
  incidents?: MapIncident[];
  units?: MapUnit[];
  /** a picked point (call taker) */
  marker?: LatLon;
  selectedIncidentId?: string;
  /** unit ids to link to the selected incident */
  linkedUnitIds?: string[];
  onPick?: (p: LatLon) => void;
  onSelectIncident?: (id: string) => void;
  height?: number;
}

const W = 800;

export type Ring = [number, number][];

/** Lines and rings of a GeoJSON object as lists of [lon, lat]. */
export function paths(g: unknown): { rings: Ring[]; lines: Ring[]; labels: { at: LatLon; text: string }[] } {
  const rings: Ring[] = [];
  const lines: Ring[] = [];
  const labels: { at: LatLon; text: string }[] = [];
  const geom = (x: { type?: string; coordinates?: unknown; geometries?: unknown[] } | undefined, name?: string) => {
    if (!x) return;
    const c = x.coordinates as never;
    switch (x.type) {
      case 'Polygon':
        rings.push(...(c as Ring[]));
        break;
      case 'MultiPolygon':
        for (const p of c as Ring[][]) rings.push(...p);
        break;
      case 'LineString':
        lines.push(c as Ring);
        break;
      case 'MultiLineString':
        lines.push(...(c as Ring[]));
        break;
      case 'GeometryCollection':
        for (const g2 of x.geometries ?? []) geom(g2 as never);
        break;
      default:
        break;
    }
    if (name && (x.type === 'Polygon' || x.type === 'MultiPolygon')) {
      const pts = geoJsonPositions(x);
      if (pts.length) labels.push({ at: { lat: pts.reduce((a, p) => a + p.lat, 0) / pts.length, lon: pts.reduce((a, p) => a + p.lon, 0) / pts.length }, text: name });
    }
  };
  const fc = g as { type?: string; features?: { geometry?: never; properties?: Record<string, unknown> }[] };
  if (fc?.features) for (const f of fc.features) geom(f.geometry, String(f.properties?.nameZh ?? f.properties?.name ?? f.properties?.district ?? '') || undefined);
  else if (fc) geom(fc as never);
  return { rings, lines, labels };
}

/**
 * The situation map, drawn as SVG without a tile server: the county map's polygons and lines
 * from the project's GeoJSON when there is one, else a degree grid over the extent of what is
 * shown; incidents (circles by priority, coloured by timer level), units (squares with call
 * signs, coloured by status), links from the selected incident to its recommended units, and a
 * picked point. Clicking picks a point (`onPick`) or selects an incident.
 */
export function MapView({ geojson, incidents = [], units = [], marker, selectedIncidentId, linkedUnitIds = [], onPick, onSelectIncident, height = 420 }: Props) {
  const { t } = useI18n();
  const shapes = useMemo(() => (geojson ? paths(geojson) : undefined), [geojson]);
  const extent: Extent = useMemo(() => {
    // the picked point does not move the view (it would jump under the cursor) unless nothing else is shown
    const base = geojson ? geoJsonPositions(geojson) : units.length || incidents.length ? [...units, ...incidents] : marker ? [marker] : [];
    return extentOf(base) ?? { minLon: 119.55, minLat: 29.0, maxLon: 119.75, maxLat: 29.15 };
  }, [geojson, units, incidents, marker]);
  // drawing height follows the extent's shape (north–south over east–west at mid-latitude), at most `height` × 2
  const H = useMemo(() => {
    const k = Math.cos((((extent.minLat + extent.maxLat) / 2) * Math.PI) / 180);
    const aspect = (extent.maxLat - extent.minLat) / ((extent.maxLon - extent.minLon) * k);
    return Math.round(Math.min(Math.max(W * aspect, 300), height * 2));
  }, [extent, height]);
  const proj = useMemo(() => projection(extent, W, H), [extent, H]);
  // the grid covers the whole drawing (the extent is centred in it, keeping the aspect ratio)
  const visible = useMemo(() => {
    const sw = proj.toLatLon(0, H);
    const ne = proj.toLatLon(W, 0);
    return { minLon: sw.lon, minLat: sw.lat, maxLon: ne.lon, maxLat: ne.lat };
  }, [proj, H]);
  const grid = useMemo(() => {
    const step = gridStep(Math.max(extent.maxLon - extent.minLon, extent.maxLat - extent.minLat));
    const lons: number[] = [];
    const lats: number[] = [];
    for (let x = Math.ceil(visible.minLon / step) * step; x <= visible.maxLon; x += step) lons.push(x);
    for (let y = Math.ceil(visible.minLat / step) * step; y <= visible.maxLat; y += step) lats.push(y);
    return { step, lons, lats };
  }, [extent, visible]);
  const decimals = Math.max(0, -Math.floor(Math.log10(grid.step)));
  const toPath = (r: Ring, close: boolean) =>
    r.map(([lon, lat], i) => {
      const p = proj.toXY({ lat, lon });
      return `${i ? 'L' : 'M'}${p.x.toFixed(1)},${p.y.toFixed(1)}`;
    }).join('') + (close ? 'Z' : '');
  const selected = incidents.find((i) => i.id === selectedIncidentId);
  const click = (ev: React.MouseEvent<SVGSVGElement>) => {
    if (!onPick) return;
    const svg = ev.currentTarget;
    const r = svg.getBoundingClientRect();
    const x = ((ev.clientX - r.left) / r.width) * W;
    const y = ((ev.clientY - r.top) / r.height) * H;
    onPick(proj.toLatLon(x, y));
  };
  return (
    <svg className={`map${onPick ? ' pickable' : ''}`} viewBox={`0 0 ${W} ${H}`} onClick={click} data-testid="map" role="img" aria-label={t('map')}>
      <rect x={0} y={0} width={W} height={H} className="map-bg" />
      {grid.lons.map((lon) => {
        const a = proj.toXY({ lon, lat: visible.minLat });
        const b = proj.toXY({ lon, lat: visible.maxLat });
        return (
          <g key={`lon${lon}`}>
            <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} className="grid" />
            <text x={a.x + 2} y={H - 4} className="grid-label">{lon.toFixed(decimals)}°</text>
          </g>
        );
      })}
      {grid.lats.map((lat) => {
        const a = proj.toXY({ lon: visible.minLon, lat });
        const b = proj.toXY({ lon: visible.maxLon, lat });
        return (
          <g key={`lat${lat}`}>
            <line x1={a.x} y1={a.y} x2={b.x} y2={b.y} className="grid" />
            <text x={4} y={a.y - 2} className="grid-label">{lat.toFixed(decimals)}°</text>
          </g>
        );
      })}
      {shapes?.rings.map((r, i) => <path key={`r${i}`} d={toPath(r, true)} className="district" />)}
      {shapes?.lines.map((r, i) => <path key={`l${i}`} d={toPath(r, false)} className="road" />)}
      {shapes?.labels.map((l, i) => {
        const p = proj.toXY(l.at);
        return <text key={`t${i}`} x={p.x} y={p.y} className="district-label">{l.text}</text>;
      })}
      {selected &&
        units
          .filter((u) => linkedUnitIds.includes(u.id))
          .map((u) => {
            const a = proj.toXY(selected);
            const b = proj.toXY(u);
            return <line key={`link${u.id}`} x1={a.x} y1={a.y} x2={b.x} y2={b.y} className="link" />;
          })}
      {units.map((u) => {
        const p = proj.toXY(u);
        return (
          <g key={u.id} className={`unit status-${u.status}`} data-testid="map-unit">
            <rect x={p.x - 5} y={p.y - 5} width={10} height={10} />
            <text x={p.x + 7} y={p.y + 4}>{u.callSign}</text>
          </g>
        );
      })}
      {incidents.map((i) => {
        const p = proj.toXY(i);
        return (
          <g
            key={i.id}
            className={`incident p${i.priority} ${i.level ?? 'ok'}${i.id === selectedIncidentId ? ' selected' : ''}`}
            onClick={(ev) => {
              ev.stopPropagation();
              onSelectIncident?.(i.id);
            }}
            data-testid="map-incident"
          >
            <circle cx={p.x} cy={p.y} r={i.id === selectedIncidentId ? 10 : 7 - Math.min(i.priority, 4)} />
            <title>{i.label}</title>
          </g>
        );
      })}
      {marker && (() => {
        const p = proj.toXY(marker);
        return (
          <g className="marker" data-testid="map-marker">
            <line x1={p.x - 9} y1={p.y} x2={p.x + 9} y2={p.y} />
            <line x1={p.x} y1={p.y - 9} x2={p.x} y2={p.y + 9} />
            <circle cx={p.x} cy={p.y} r={5} />
          </g>
        );
      })()}
      {!geojson && <text x={W - 6} y={14} textAnchor="end" className="grid-label">{t('mapGrid')}</text>}
    </svg>
  );
}
