import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extentOf, geoJsonPositions, gridStep, projection } from './geo';
import { parseMetrics, pipelineFigures, ratePerSecond } from './metrics-text';
import { allSubtypes, labelOf, searchSubtypes, type TaxonomyFile } from './taxonomy';
import { formatAge, formatEta, timerLevel } from './timers';

const taxonomy = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'libs', 'contracts', 'taxonomy', 'taxonomy.v1.json'), 'utf8')) as TaxonomyFile;
const entries = allSubtypes(taxonomy);

describe('category picker search (both languages)', () => {
  it('finds a subtype by its Chinese label, English label or code', () => {
    expect(searchSubtypes(entries, '抢夺')[0]!.code).toBe('snatching');
    expect(searchSubtypes(entries, 'snatch')[0]!.code).toBe('snatching');
    expect(searchSubtypes(entries, 'SNATCHING')[0]!.code).toBe('snatching');
  });

  it('matches every term, across the subtype and its category', () => {
    const criminal = taxonomy.categories.find((c) => c.code === 'criminal')!;
    const hits = searchSubtypes(entries, `${criminal.en} theft`);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.category.code === 'criminal')).toBe(true);
    expect(searchSubtypes(entries, 'zzzz-nothing')).toEqual([]);
  });

  it('lists everything for an empty query and ranks label-prefix matches first', () => {
    expect(searchSubtypes(entries, '  ')).toHaveLength(entries.length);
    const first = entries[0]!;
    expect(searchSubtypes(entries, first.en.slice(0, 4))[0]!.en.toLowerCase().startsWith(first.en.slice(0, 4).toLowerCase())).toBe(true);
  });

  it('labels codes in the chosen language', () => {
    expect(labelOf(taxonomy, 'snatching', 'zh')).toBe(entries.find((e) => e.code === 'snatching')!.zh);
    expect(labelOf(taxonomy, 'criminal', 'en')).toBe(taxonomy.categories.find((c) => c.code === 'criminal')!.en);
    expect(labelOf(taxonomy, 'unknown-code', 'en')).toBe('unknown-code');
    expect(labelOf(taxonomy, null, 'zh')).toBe('—');
  });
});

describe('pending timers', () => {
  it('turns amber and red at the priority thresholds', () => {
    expect([59, 60, 179, 180].map((s) => timerLevel(s, 1))).toEqual(['ok', 'amber', 'amber', 'red']);
    expect([179, 180, 300].map((s) => timerLevel(s, 2))).toEqual(['ok', 'amber', 'red']);
    expect([599, 600, 1800].map((s) => timerLevel(s, 4))).toEqual(['ok', 'amber', 'red']);
    expect(timerLevel(600, 9)).toBe('amber'); // unknown priority: the lowest priority's thresholds
  });

  it('formats ages and ETAs', () => {
    expect([0, 5, 65, 3600, 3725, 90000, -3].map(formatAge)).toEqual(['0:00', '0:05', '1:05', '1:00:00', '1:02:05', '1d 01h', '0:00']);
    expect(formatEta(null)).toBe('—');
    expect(formatEta(125)).toBe('2:05');
  });
});

describe('Prometheus text', () => {
  const text = [
    '# HELP cad110_messages_consumed_total Kafka messages consumed',
    '# TYPE cad110_messages_consumed_total counter',
    'cad110_messages_consumed_total{topic="cad110.calls.v1",outcome="processed",service="dispatch"} 120',
    'cad110_messages_consumed_total{topic="cad110.calls.v1",outcome="duplicate",service="dispatch"} 3',
    'cad110_messages_consumed_total{topic="cad110.calls.v1",outcome="dead-lettered",service="dispatch"} 1',
    'cad110_messages_produced_total{topic="cad110.dispatch.v1",service="dispatch"} 240',
    'cad110_outbox_backlog{service="dispatch"} 7',
    'cad110_consumer_lag{topic="cad110.calls.v1",partition="0",service="dispatch"} 4',
    'cad110_consumer_lag{topic="cad110.calls.v1",partition="1",service="dispatch"} 6',
    'cad110_http_request_seconds_bucket{le="+Inf",method="GET",route="/incidents",status="200",service="dispatch"} 9',
    'cad110_http_request_seconds_count{method="GET",route="/incidents",status="200",service="dispatch"} 9',
    'label_escapes{a="x\\"y\\\\z"} NaN',
    'inf_gauge +Inf',
    'not a sample line',
  ].join('\n');

  it('parses samples with labels, skipping comments and malformed lines', () => {
    const s = parseMetrics(text);
    expect(s).toHaveLength(11);
    expect(s.map((x) => x.name)).not.toContain('not');
    expect(s[0]).toEqual({ name: 'cad110_messages_consumed_total', labels: { topic: 'cad110.calls.v1', outcome: 'processed', service: 'dispatch' }, value: 120 });
    expect(s[7]).toMatchObject({ name: 'cad110_http_request_seconds_bucket', labels: { le: '+Inf' }, value: 9 });
    expect(s[9]!.labels.a).toBe('x"y\\z');
    expect(s[9]!.value).toBeNaN();
    expect(s[10]).toEqual({ name: 'inf_gauge', labels: {}, value: Infinity });
  });

  it('sums the ops figures and computes rates', () => {
    expect(pipelineFigures(parseMetrics(text))).toEqual({ consumed: 123, deadLettered: 1, produced: 240, outboxBacklog: 7, consumerLag: 10, httpRequests: 9 });
    expect(ratePerSecond(100, 160, 5)).toBe(12);
    expect(ratePerSecond(160, 10, 5)).toBe(0); // restarted service
    expect(ratePerSecond(1, 2, 0)).toBe(0);
  });
});

describe('map geometry', () => {
  it('pads the extent of the points and ignores invalid ones', () => {
    const e = extentOf([{ lat: 44.9, lon: -93.3 }, { lat: 45.0, lon: -93.2 }, { lat: NaN, lon: 0 }, { lat: 95, lon: 0 }])!;
    expect(e.minLat).toBeCloseTo(44.89);
    expect(e.maxLon).toBeCloseTo(-93.19);
    expect(extentOf([])).toBeUndefined();
  });

  it('projects and inverts points inside the box, north up', () => {
    const e = { minLon: 119.5, minLat: 29.0, maxLon: 119.8, maxLat: 29.2 };
    const p = projection(e, 800, 600);
    const a = p.toXY({ lat: 29.1, lon: 119.65 });
    expect(p.toLatLon(a.x, a.y).lat).toBeCloseTo(29.1, 9);
    expect(p.toLatLon(a.x, a.y).lon).toBeCloseTo(119.65, 9);
    expect(p.toXY({ lat: 29.2, lon: 119.65 }).y).toBeLessThan(p.toXY({ lat: 29.0, lon: 119.65 }).y);
    const corners = [p.toXY({ lat: e.minLat, lon: e.minLon }), p.toXY({ lat: e.maxLat, lon: e.maxLon })];
    for (const c of corners) {
      expect(c.x).toBeGreaterThanOrEqual(-1e-9);
      expect(c.x).toBeLessThanOrEqual(800 + 1e-9);
      expect(c.y).toBeGreaterThanOrEqual(-1e-9);
      expect(c.y).toBeLessThanOrEqual(600 + 1e-9);
    }
  });

  it('reads positions from any GeoJSON and picks nice grid steps', () => {
    const fc = {
      type: 'FeatureCollection',
      features: [
        { type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[1, 2], [3, 4], [5, 6], [1, 2]]] } },
        { type: 'Feature', geometry: { type: 'GeometryCollection', geometries: [{ type: 'Point', coordinates: [7, 8] }] } },
      ],
    };
    expect(geoJsonPositions(fc)).toEqual([{ lon: 1, lat: 2 }, { lon: 3, lat: 4 }, { lon: 5, lat: 6 }, { lon: 1, lat: 2 }, { lon: 7, lat: 8 }]);
    expect(gridStep(0.3)).toBe(0.05);
    expect(gridStep(0.08)).toBe(0.01);
    expect(gridStep(3)).toBe(0.5);
  });
});
