import { useEffect, useMemo, useRef } from 'react';
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import type { LatLon } from '../geo';
import { useI18n, type Lang } from '../i18n';
import { fromWgs84, toWgs84, type MapCrs } from '../map-crs';

/** An incident on the map (WGS84): colour by priority, ring by timer level (age). */
export interface CountyMapIncident extends LatLon {
  id: string;
  priority: number;
  label: string;
  level?: 'ok' | 'amber' | 'red';
}

/** A unit at its last position (WGS84); `fixAgeSeconds` = age of its AVL fix, null when the position is its post. */
export interface CountyMapUnit extends LatLon {
  id: string;
  callSign: string;
  status: string;
  fixAgeSeconds?: number | null;
}

/** A base map of a bureau's intranet map service: an XYZ tile URL template and the datum of its tiles. */
export interface TileSource {
  url: string;
  crs: MapCrs;
  attribution?: string;
}

export interface CountyMapProps {
  /** the county map (GeoJSON FeatureCollection, WGS84): districts, roads, water, squares, stations */
  geojson?: unknown;
  incidents?: CountyMapIncident[];
  units?: CountyMapUnit[];
  /** a picked point (call taker) */
  marker?: LatLon;
  /** gazetteer matches (call taker): labelled points; a click picks the place */
  places?: (LatLon & { id: string; label: string })[];
  onPickPlace?: (id: string) => void;
  selectedIncidentId?: string;
  /** unit ids linked to the selected incident (dashed lines) */
  linkedUnitIds?: string[];
  /** radii in metres of the response circles drawn around the selected incident (e.g. 1/3/5 minutes) */
  circleRadiiMetres?: number[];
  /** tiles under the county map; none (the default) = offline, the county map alone */
  tiles?: TileSource | null;
  onPick?: (p: LatLon) => void;
  onSelectIncident?: (id: string) => void;
  onSelectUnit?: (id: string) => void;
  /** CSS height of the map box (default: fill the parent) */
  height?: number | string;
  testId?: string;
}

type Feature = { geometry?: { type?: string; coordinates?: unknown } | null; properties?: Record<string, unknown> };

/** Label text of a county-map feature in `lang` (`nameZh` / `name`). */
function nameOf(p: Record<string, unknown> | undefined, lang: Lang): string {
  if (!p) return '';
  return String((lang === 'zh' ? (p.nameZh ?? p.name) : (p.name ?? p.nameZh)) ?? '');
}

/** `m:ss` / `h:mm` age of a fix (short, for a map label). */
function shortAge(s: number): string {
  if (s < 3600) return `${Math.floor(s / 60)}′${String(Math.floor(s % 60)).padStart(2, '0')}″`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}`;
}

type Box = { left: number; right: number; top: number; bottom: number };
const hits = (r: Box, p: Box) => r.left < p.right && r.right > p.left && r.top < p.bottom && r.bottom > p.top;
const moved = (r: Box, dx: number, dy: number): Box => ({ left: r.left + dx, right: r.right + dx, top: r.top + dy, bottom: r.bottom + dy });

/**
 * Places the map's labels so that none overlaps another and none sits on an incident or unit
 * dot other than its own. Labels are visited in `data-prio` order (lower first: incidents 0,
 * units 1, stations 2, districts 3, roads 4), so the important ones win; a label that collides
 * at its place is tried left of, above and below its point (a CSS `translate`, independent of
 * Leaflet's own transform), and hidden when none of these is free. Unit labels that find no
 * place clear of dots still show (beside their dot, over the dots, on their opaque background)
 * when they overlap no other label. Exported for tests of the pure placement rule.
 */
export function declutter(root: HTMLElement): number {
  // (the map runs without fade animation: a faded-out label would linger in the DOM for 200 ms
  // and hide its own replacement)
  const labels = [...root.querySelectorAll<HTMLElement>('.cm-label')];
  labels.sort((a, b) => Number(a.dataset.prio ?? 9) - Number(b.dataset.prio ?? 9));
  for (const el of labels) {
    el.classList.remove('cm-hidden');
    el.style.translate = '';
  }
  // the dots (shrunk by 1 px: a label beside its neighbour's dot edge is not on it)
  const dots = [...root.querySelectorAll<SVGElement>('path.cm-incident, path.cm-unit')].map((el) => {
    const r = el.getBoundingClientRect();
    return { owner: el.dataset.owner ?? '', box: { left: r.left + 1, right: r.right - 1, top: r.top + 1, bottom: r.bottom - 1 } };
  });
  const placed: Box[] = [];
  let hidden = 0;
  let shifted = 0;
  for (const el of labels) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const owner = el.dataset.owner ?? '';
    const prio = Number(el.dataset.prio ?? 9);
    const gap = 4;
    // here, left of the point (for labels drawn right of it), above, below
    const tries: [number, number][] = [
      [0, 0],
      [-(r.width + 2 * gap + (owner ? 12 : 10)), 0],
      [0, -(r.height / 2 + 10)],
      [0, r.height / 2 + 10],
    ];
    const onDot = (b: Box) => prio > 0 && dots.some((d) => d.owner !== owner && hits(b, d.box));
    const onLabel = (b: Box) => placed.some((p) => hits(b, p));
    let pick = tries.find(([dx, dy]) => !onLabel(moved(r, dx, dy)) && !onDot(moved(r, dx, dy)));
    // a unit label with no place clear of dots stays beside its own dot (opaque, above the dots)
    if (!pick && prio <= 1) pick = tries.find(([dx, dy]) => !onLabel(moved(r, dx, dy)));
    if (!pick) {
      el.classList.add('cm-hidden');
      hidden++;
      continue;
    }
    const [dx, dy] = pick;
    if (dx || dy) {
      el.style.translate = `${dx}px ${dy}px`;
      shifted++;
    }
    placed.push(moved(r, dx, dy));
  }
  root.dataset.hiddenLabels = String(hidden);
  root.dataset.shiftedLabels = String(shifted);
  root.dataset.declutterRuns = String(Number(root.dataset.declutterRuns ?? 0) + 1);
  return hidden;
}

/**
 * A permanent label as a layer of its own in `group` (removed with the group's other layers; a
 * permanent tooltip bound to a marker stayed on the map after its marker was removed, doubling labels).
 */
function label(group: L.LayerGroup, at: L.LatLng, html: string, direction: L.Direction, offset: L.PointExpression, className: string, owner?: string): void {
  const tip = L.tooltip({ permanent: true, direction, offset, className, interactive: false }).setLatLng(at).setContent(html).addTo(group);
  const el = tip.getElement();
  if (el && owner) el.dataset.owner = owner;
}

/**
 * The county map with Leaflet (the console's one map library): works offline from the county
 * GeoJSON shipped in the repo (no tile server) — district polygons, roads, water, squares and
 * stations (posts) with their names in the UI's language — and, when `tiles` is given, over a
 * bureau's XYZ tile service (WGS84 or GCJ-02 tiles; the overlays are converted to the tiles'
 * datum with gcoord, and picked points back to WGS84). Zoom (buttons, wheel, +/−) and pan (drag,
 * arrow keys). Units at their last position with the age of their fix, incidents coloured by
 * priority with a ring by timer level, the selected incident's response circles and dashed
 * links to its recommended units. Labels never overlap: after every zoom, pan and redraw the
 * lower-priority label of an overlapping pair is hidden. `data-zoom` on the box = Leaflet's zoom.
 */
export function CountyMap(props: CountyMapProps) {
  const { geojson, incidents = [], units = [], marker, places = [], selectedIncidentId, linkedUnitIds = [], circleRadiiMetres = [], tiles, onPick, onSelectIncident, onSelectUnit, height, testId = 'county-map' } = props;
  const { lang, t } = useI18n();
  const box = useRef<HTMLDivElement>(null);
  const mapRef = useRef<L.Map | undefined>(undefined);
  const layers = useRef<{ base: L.LayerGroup; overlay: L.LayerGroup; tiles?: L.TileLayer } | undefined>(undefined);
  const fitted = useRef(false);
  const userMoved = useRef(false);
  const countyBounds = useRef<L.LatLngBounds | undefined>(undefined);
  const declutterTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  /** declutter once the map has settled (after zoom animations, resizes and redraws) */
  const declutterSoon = () => {
    if (declutterTimer.current) clearTimeout(declutterTimer.current);
    declutterTimer.current = setTimeout(() => box.current && declutter(box.current), 80);
  };
  const cb = useRef({ onPick, onSelectIncident, onSelectUnit, onPickPlace: props.onPickPlace });
  cb.current = { onPick, onSelectIncident, onSelectUnit, onPickPlace: props.onPickPlace };
  const crs: MapCrs = tiles?.crs ?? 'WGS84';
  const crsRef = useRef(crs);
  crsRef.current = crs;
  const show = useMemo(() => (p: LatLon): L.LatLngTuple => {
    const q = fromWgs84(p, crs);
    return [q.lat, q.lon];
  }, [crs]);

  // the map itself, once
  useEffect(() => {
    const el = box.current!;
    const map = L.map(el, { zoomControl: true, attributionControl: true, minZoom: 8, maxZoom: 19, zoomSnap: 0.25, keyboard: true, preferCanvas: false, fadeAnimation: false });
    map.attributionControl.setPrefix(false);
    map.setView([44.97, -93.27], 12);
    const base = L.layerGroup().addTo(map);
    const overlay = L.layerGroup().addTo(map);
    layers.current = { base, overlay };
    mapRef.current = map;
    const sync = () => {
      el.dataset.zoom = String(map.getZoom());
      declutterSoon();
    };
    map.on('zoomend moveend', sync);
    map.on('click', (e: L.LeafletMouseEvent) => cb.current.onPick?.(toWgs84({ lat: e.latlng.lat, lon: e.latlng.lng }, crsRef.current)));
    // until the dispatcher moves the map, it keeps the whole county in view when its box changes size
    const touched = () => (userMoved.current = true);
    el.addEventListener('pointerdown', touched);
    el.addEventListener('wheel', touched, { passive: true });
    el.addEventListener('keydown', touched);
    const ro = new ResizeObserver(() => {
      map.invalidateSize();
      if (!userMoved.current && countyBounds.current?.isValid()) map.fitBounds(countyBounds.current, { padding: [12, 12], animate: false });
      declutterSoon();
    });
    ro.observe(el);
    sync();
    return () => {
      if (declutterTimer.current) clearTimeout(declutterTimer.current);
      ro.disconnect();
      map.remove();
      mapRef.current = undefined;
      layers.current = undefined;
      fitted.current = false;
    };
  }, []);
  // tiles (optional)
  useEffect(() => {
    const map = mapRef.current;
    const l = layers.current;
    if (!map || !l) return;
    l.tiles?.remove();
    l.tiles = undefined;
    if (tiles?.url) l.tiles = L.tileLayer(tiles.url, { maxZoom: 19, attribution: tiles.attribution ?? '' }).addTo(map);
    if (l.tiles) l.tiles.bringToBack();
  }, [tiles?.url, tiles?.attribution]);

  // the county map: districts, squares, water, roads, stations, with labels
  useEffect(() => {
    const map = mapRef.current;
    const l = layers.current;
    if (!map || !l) return;
    l.base.clearLayers();
    const fc = geojson as { features?: Feature[] } | undefined;
    if (!fc?.features) return;
    const conv = (c: unknown): unknown => (Array.isArray(c) && typeof c[0] === 'number' ? show({ lon: c[0] as number, lat: c[1] as number }) : Array.isArray(c) ? c.map(conv) : c);
    const bounds = L.latLngBounds([]);
    for (const f of fc.features) {
      const g = f.geometry;
      const p = f.properties ?? {};
      if (!g?.type) continue;
      const kind = String(p.kind ?? '');
      const name = nameOf(p, lang);
      if (g.type === 'Polygon' || g.type === 'MultiPolygon') {
        const rings = conv(g.coordinates) as L.LatLngExpression[][];
        const poly = L.polygon(rings, { className: `cm-${kind || 'area'}`, interactive: false }).addTo(l.base);
        if (kind === 'district') bounds.extend(poly.getBounds());
        if (name) L.tooltip({ permanent: true, direction: 'center', className: `cm-label cm-label-${kind || 'area'}`, interactive: false }).setLatLng(poly.getBounds().getCenter()).setContent(name).addTo(l.base);
      } else if (g.type === 'LineString' || g.type === 'MultiLineString') {
        const line = L.polyline(conv(g.coordinates) as L.LatLngExpression[], { className: `cm-${kind || 'line'}`, interactive: false }).addTo(l.base);
        if (name) {
          const pts = line.getLatLngs().flat(2) as L.LatLng[];
          const mid = pts[Math.floor(pts.length / 2)];
          if (mid) L.tooltip({ permanent: true, direction: 'center', className: `cm-label cm-label-${kind || 'line'}`, interactive: false }).setLatLng(mid).setContent(name).addTo(l.base);
        }
      } else if (g.type === 'Point') {
        const [lon, lat] = g.coordinates as [number, number];
        const m = L.circleMarker(show({ lat, lon }), { radius: 5, className: `cm-${kind || 'point'}`, interactive: false }).addTo(l.base);
        if (name) label(l.base, m.getLatLng(), name, 'right', [6, 0], `cm-label cm-label-${kind || 'point'}`);
      }
    }
    for (const el of box.current!.querySelectorAll<HTMLElement>('.cm-label-district')) el.dataset.prio = '3';
    for (const el of box.current!.querySelectorAll<HTMLElement>('.cm-label-station')) el.dataset.prio = '2';
    for (const el of box.current!.querySelectorAll<HTMLElement>('.cm-label-road, .cm-label-water, .cm-label-square')) el.dataset.prio = '4';
    countyBounds.current = bounds;
    if (!fitted.current && bounds.isValid()) {
      map.fitBounds(bounds, { padding: [12, 12], animate: false });
      fitted.current = true;
    }
    declutter(box.current!);
    declutterSoon();
  }, [geojson, lang, show]);

  // incidents, units, links, circles, marker
  useEffect(() => {
    const map = mapRef.current;
    const l = layers.current;
    if (!map || !l) return;
    // a permanent tooltip bound to a marker outlives the marker's removal from the group (its
    // element stays on the map with the old text): unbind them first
    l.overlay.clearLayers();
    const selected = incidents.find((i) => i.id === selectedIncidentId);
    if (selected) {
      const radii = [...circleRadiiMetres].sort((a, b) => b - a);
      radii.forEach((r, k) => L.circle(show(selected), { radius: r, className: `cm-circle cm-circle-${radii.length - k}`, interactive: false }).addTo(l.overlay));
      for (const u of units) if (linkedUnitIds.includes(u.id)) L.polyline([show(selected), show(u)], { className: 'cm-link', interactive: false }).addTo(l.overlay);
    }
    for (const u of units) {
      const stale = u.fixAgeSeconds === null || u.fixAgeSeconds === undefined;
      const m = L.circleMarker(show(u), { radius: 6, className: `cm-unit status-${u.status}${stale ? ' no-fix' : ''}` }).addTo(l.overlay);
      const age = u.fixAgeSeconds === null || u.fixAgeSeconds === undefined ? t('mapPost') : shortAge(u.fixAgeSeconds);
      label(l.overlay, m.getLatLng(), `${u.callSign} <small>${age}</small>`, 'right', [6, 0], 'cm-label cm-label-unit', `u:${u.id}`);
      m.on('click', () => cb.current.onSelectUnit?.(u.id));
      const el = m.getElement() as HTMLElement | undefined;
      if (el) {
        el.dataset.testid = 'map-unit';
        el.dataset.unitId = u.id;
        el.dataset.owner = `u:${u.id}`;
      }
    }
    for (const i of incidents) {
      const sel = i.id === selectedIncidentId;
      const m = L.circleMarker(show(i), { radius: sel ? 11 : 8, className: `cm-incident p${i.priority} ${i.level ?? 'ok'}${sel ? ' selected' : ''}` }).addTo(l.overlay);
      if (sel) label(l.overlay, m.getLatLng(), `P${i.priority} ${i.label}`, 'top', [0, -10], 'cm-label cm-label-incident', `i:${i.id}`);
      else m.bindTooltip(`P${i.priority} ${i.label}`, { direction: 'top', offset: [0, -8], className: 'cm-hover' });
      m.on('click', (e) => {
        L.DomEvent.stopPropagation(e);
        cb.current.onSelectIncident?.(i.id);
      });
      const el = m.getElement() as HTMLElement | undefined;
      if (el) {
        el.dataset.testid = 'map-incident';
        el.dataset.incidentId = i.id;
        el.dataset.owner = `i:${i.id}`;
      }
    }
    if (marker) L.circleMarker(show(marker), { radius: 7, className: 'cm-marker', interactive: false }).addTo(l.overlay);
    for (const p of places) {
      const m = L.circleMarker(show(p), { radius: 6, className: 'cm-place' }).addTo(l.overlay);
      label(l.overlay, m.getLatLng(), p.label, 'right', [6, 0], 'cm-label cm-label-place');
      m.on('click', (e) => {
        L.DomEvent.stopPropagation(e);
        cb.current.onPickPlace?.(p.id);
      });
      const el = m.getElement() as HTMLElement | undefined;
      if (el) {
        el.dataset.testid = 'map-place';
        el.dataset.placeId = p.id;
      }
    }
    for (const el of box.current!.querySelectorAll<HTMLElement>('.cm-label-unit')) el.dataset.prio = '1';
    for (const el of box.current!.querySelectorAll<HTMLElement>('.cm-label-incident')) el.dataset.prio = '0';
    declutter(box.current!);
    declutterSoon();
  }, [incidents, units, marker, places, selectedIncidentId, linkedUnitIds, circleRadiiMetres, show, t]);

  // keep the selected incident in view
  useEffect(() => {
    const map = mapRef.current;
    const s = incidents.find((i) => i.id === selectedIncidentId);
    if (map && s && !map.getBounds().pad(-0.05).contains(show(s))) map.panTo(show(s));
  }, [selectedIncidentId]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <div
      ref={box}
      className={`county-map${onPick ? ' pickable' : ''}`}
      style={height === undefined ? undefined : { height }}
      data-testid={testId}
      data-tiles={tiles?.url ? 'on' : 'off'}
      role="region"
      aria-label={t('map')}
    />
  );
}
