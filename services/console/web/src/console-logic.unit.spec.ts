import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extentOf, geoJsonPositions, gridStep, projection } from './geo';
import { parseMetrics, pipelineFigures, ratePerSecond } from './metrics-text';
import { allSubtypes, labelOf, searchSubtypes, type TaxonomyFile } from './taxonomy';
import { formatAge, formatEta, isReplayed, liveAgeSeconds, timerLevel } from './timers';
import { traceIdOf, traceUrl } from './console-config';
import { MESSAGES } from './i18n';
import { rosterOf, type RosterUnit } from './roster';
import { addDays, callsPerCell, formatSeconds, groupResponseTimes, localDay, periodOf, type ResponseTimeRow } from './stats-figures';
import { canReassign, nextStatuses } from './unit-status';

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

  it('gives no running age to a replayed call (its times are the source system\'s, years ago)', () => {
    const now = Date.parse('2026-12-05T18:00:00Z');
    expect(liveAgeSeconds({ externalSource: null }, '2026-12-05T17:56:00Z', now)).toBe(240);
    expect(liveAgeSeconds({}, '2026-12-05T17:56:00Z', now)).toBe(240);
    expect(liveAgeSeconds({ externalSource: 'minneapolis-mpd' }, '2020-03-14T14:26:03Z', now)).toBeUndefined();
    expect([isReplayed({ externalSource: 'minneapolis-mpd' }), isReplayed({ externalSource: null }), isReplayed({})]).toEqual([true, false, false]);
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

describe('unit status buttons', () => {
  it('offer the status reports a dispatcher can make, never dispatched (only an assignment enters it)', () => {
    expect(nextStatuses('dispatched')).toEqual(['en-route', 'on-scene', 'cleared']);
    expect(nextStatuses('en-route')).toEqual(['on-scene', 'cleared']);
    expect(nextStatuses('on-scene')).toEqual(['transporting', 'cleared']);
    expect(nextStatuses('cleared')).toEqual(['available', 'out-of-service']);
    expect(nextStatuses('available')).toEqual(['out-of-service']);
    expect(nextStatuses('no-such-status')).toEqual([]);
    expect(canReassign('en-route')).toBe(true);
    expect(canReassign('transporting')).toBe(false);
    expect(canReassign('available')).toBe(false);
  });
});

describe('trace links', () => {
  it('take the trace id of a W3C traceparent and fill the template', () => {
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(traceIdOf(tp)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdOf('00-00000000000000000000000000000000-00f067aa0ba902b7-01')).toBeUndefined();
    expect(traceIdOf('garbage')).toBeUndefined();
    expect(traceIdOf(undefined)).toBeUndefined();
    expect(traceUrl('http://jaeger:16686/trace/{traceId}?x={traceId}', 'abc')).toBe('http://jaeger:16686/trace/abc?x=abc');
  });
});

describe('ops figures', () => {
  it("takes local days in the bureau's zone and builds inclusive periods", () => {
    // 2026-03-01 17:30 UTC is already 2 March in Shanghai (UTC+8) but still 1 March in Chicago
    const at = new Date('2026-03-01T17:30:00Z');
    expect(localDay(at, 'Asia/Shanghai')).toBe('2026-03-02');
    expect(localDay(at, 'America/Chicago')).toBe('2026-03-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(periodOf('today', '2026-03-02')).toEqual({ from: '2026-03-02', to: '2026-03-02' });
    expect(periodOf('7d', '2026-03-02')).toEqual({ from: '2026-02-24', to: '2026-03-02' });
    expect(periodOf('30d', '2026-03-02')).toEqual({ from: '2026-02-01', to: '2026-03-02' });
    expect(periodOf('ytd', '2026-03-02')).toEqual({ from: '2026-01-01', to: '2026-03-02' });
  });

  it('groups response times by priority in measure order, dropping measures with n = 0', () => {
    const r = (key: number | null, measure: ResponseTimeRow['measure'], n: number): ResponseTimeRow => ({ key, measure, n, p50: n ? 10 : null, p90: n ? 20 : null, p95: n ? 30 : null });
    const g = groupResponseTimes([r(2, 'total', 1), r(2, 'answer', 0), r(1, 'travel', 3), r(1, 'processing', 3), r(null, 'total', 1), r(3, 'total', 0)]);
    expect(g.map((x) => x.key)).toEqual([1, 2, null]);
    expect(g[0]!.rows.map((x) => x.measure)).toEqual(['processing', 'travel']);
    expect(g[1]!.rows.map((x) => x.measure)).toEqual(['total']);
    expect(formatSeconds(75.4)).toBe('1:15');
    expect(formatSeconds(3725)).toBe('1:02:05');
    expect(formatSeconds(null)).toBe('—');
  });

  it('sums calls per H3 cell over the hours of week, busiest first', () => {
    expect(callsPerCell([{ cell: 'b', hourOfWeek: 1, calls: 2 }, { cell: 'a', hourOfWeek: 1, calls: 1 }, { cell: 'a', hourOfWeek: 5, calls: 1 }, { cell: 'c', hourOfWeek: 0, calls: 3 }])).toEqual([
      { cell: 'c', calls: 3 },
      { cell: 'a', calls: 2 },
      { cell: 'b', calls: 2 },
    ]);
  });
});

describe('supervisor roster', () => {
  it('counts units and officers on duty per type and district, leaving out replayed units', () => {
    const u = (id: string, type: string, district: string, onDuty: boolean, crewSize: number, replay = false) =>
      ({ id, callSign: id, type, district, homeStation: 'x', lat: null, lon: null, status: 'available', onDuty: true, crewSize, replay, dutyNow: { onDuty, reason: '' } }) as RosterUnit;
    const r = rosterOf([u('A', 'station-car', 'P1', true, 2), u('B', 'station-car', 'P1', true, 3), u('C', 'night-assistance', 'P4', false, 7), u('D', 'station-car', 'P9', true, 2, true)]);
    expect(r.types).toEqual(['night-assistance', 'station-car']);
    expect(r.districts).toEqual(['P1', 'P4']);
    expect(r.cell('station-car', 'P1')).toEqual({ units: 2, officers: 5 });
    expect(r.cell('night-assistance', 'P4')).toEqual({ units: 0, officers: 0 });
    expect(r.total).toEqual({ units: 2, officers: 5 });
  });
});

describe('messages', () => {
  it('has every message in both languages, none empty', () => {
    expect(Object.keys(MESSAGES.en).sort()).toEqual(Object.keys(MESSAGES.zh).sort());
    for (const lang of ['zh', 'en'] as const) for (const [k, v] of Object.entries(MESSAGES[lang])) expect([k, v.trim().length > 0]).toEqual([k, true]);
  });
});
