import { circleRadii, localMinute, parseCommand, reasonCodes, resolveIncident, resolveUnit, splitSop, unitTimeLevel, type EtaModelLike } from './dispatch-logic';
import { districtsOf } from './districts';
import { MESSAGES } from './i18n';
import { fill } from './i18n-dispatch';
import { fromWgs84, parseCrs, toWgs84 } from './map-crs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..', '..');

describe('dispatcher command line', () => {
  it('parses D, S, C, X, G, R and help, case-insensitive, with short status names', () => {
    expect(parseCommand('d 一分钟1 2')).toEqual({ kind: 'dispatch', unit: '一分钟1', incident: '2' });
    expect(parseCommand('D OMP-1')).toEqual({ kind: 'dispatch', unit: 'OMP-1' });
    expect(parseCommand('s omp-1 er')).toEqual({ kind: 'status', unit: 'omp-1', status: 'en-route' });
    expect(parseCommand('S OMP-1 on-scene')).toEqual({ kind: 'status', unit: 'OMP-1', status: 'on-scene' });
    expect(parseCommand('X')).toEqual({ kind: 'close', disposition: 'resolved-by-phone' });
    expect(parseCommand('x 3 referred')).toEqual({ kind: 'close', incident: '3', disposition: 'referred' });
    expect(parseCommand('X referred')).toEqual({ kind: 'close', disposition: 'referred' });
    expect(parseCommand('C 1a2b false-report')).toEqual({ kind: 'cancel', incident: '1a2b', reason: 'false-report' });
    expect(parseCommand('g #2')).toEqual({ kind: 'select', incident: '#2' });
    expect(parseCommand('R')).toEqual({ kind: 'recompute' });
    expect(parseCommand('?')).toEqual({ kind: 'help' });
    expect(parseCommand('n 报警人称嫌疑人穿蓝色外套')).toEqual({ kind: 'note', text: '报警人称嫌疑人穿蓝色外套' });
    expect(parseCommand('P 1 持刀')).toEqual({ kind: 'priority', priority: 1, reason: '持刀' });
    expect(parseCommand('l 3')).toEqual({ kind: 'link', incident: '3' });
    expect(parseCommand('A')).toEqual({ kind: 'ack' });
    expect(parseCommand('a 2')).toEqual({ kind: 'ack', alert: '2' });
    expect(parseCommand('F')).toEqual({ kind: 'send' });
    expect(parseCommand('m')).toEqual({ kind: 'mute' });
  });

  it('refuses what it does not know: unknown verbs, a status without a known name, D without a unit', () => {
    expect(parseCommand('Q 1').kind).toBe('error');
    expect(parseCommand('S OMP-1 flying').kind).toBe('error');
    expect(parseCommand('D').kind).toBe('error');
    expect(parseCommand('').kind).toBe('error');
    expect(parseCommand('P 5').kind).toBe('error');
    expect(parseCommand('N').kind).toBe('error');
  });

  it('resolves incidents by queue number or unique id prefix, units by id or call sign', () => {
    const q = [{ id: 'aaaa-1' }, { id: 'abcd-2' }];
    const all = [...q, { id: 'abce-3' }];
    expect(resolveIncident('2', q, all)?.id).toBe('abcd-2');
    expect(resolveIncident('#1', q, all)?.id).toBe('aaaa-1');
    expect(resolveIncident('#9', q, all)).toBeUndefined();
    expect(resolveIncident('abce', q, all)?.id).toBe('abce-3');
    expect(resolveIncident('abc', q, all)).toBeUndefined(); // ambiguous
    const units = [{ id: 'OMP-1', callSign: '一分钟1' }, { id: 'SC-2', callSign: '城南2' }];
    expect(resolveUnit('omp-1', units)?.id).toBe('OMP-1');
    expect(resolveUnit('城南2', units)?.id).toBe('SC-2');
    expect(resolveUnit('X', units)).toBeUndefined();
  });
});

describe('SOP answers out of the narrative', () => {
  const sop = [
    { zh: '被抢物品及价值？', en: 'What was taken, worth how much?' },
    { zh: '嫌疑人逃跑方向？', en: 'Which way did they flee?' },
  ];
  it('splits lines starting with a question (either language) into Q/A pairs in the UI language', () => {
    const r = splitSop(['一男子抢夺手机\n被抢物品及价值？ 手机一部，约5000元', 'Which way did they flee? north'], sop, 'zh');
    expect(r.text).toEqual(['一男子抢夺手机']);
    expect(r.answers).toEqual([
      { question: '被抢物品及价值？', answer: '手机一部，约5000元' },
      { question: '嫌疑人逃跑方向？', answer: 'north' },
    ]);
  });
});

describe('recommendation reasons as codes (no server sentence in the UI)', () => {
  const rec = { unitId: 'U1', callSign: 'c', unitType: 'station-car', etaSeconds: 120, distanceMetres: 900, rank: 1, role: 'primary' as const, need: 0, scoreSeconds: 60 };
  it('derives district, position source, run card role and bonus', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const codes = reasonCodes(rec, { district: 'Precinct 1', avlAt: '2026-01-01T00:09:00Z' }, { district: 'Precinct 1', lat: 1, lon: 1 }, now, 900);
    expect(codes.map((c) => c.code)).toEqual(['run-card-primary', 'same-district', 'avl-fix', 'run-card-bonus']);
    expect(codes.find((c) => c.code === 'avl-fix')!.params).toEqual({ age: 60 });
    expect(codes.find((c) => c.code === 'run-card-bonus')!.params).toEqual({ seconds: 60 });
    const far = reasonCodes({ ...rec, role: undefined, etaSeconds: null, scoreSeconds: null }, { district: 'Rural West', avlAt: null }, { district: 'Precinct 1', lat: null, lon: null }, now);
    expect(far.map((c) => c.code)).toEqual(['from-district', 'no-incident-location', 'at-post']);
  });
  it('prefers the codes dispatch sends', () => {
    expect(reasonCodes({ ...rec, reasonCodes: [{ code: 'x' }] }, undefined, { district: null, lat: null, lon: null }, 0)).toEqual([{ code: 'x' }]);
  });
  it('has a zh-CN and an English text for every reason, disposition and problem code it uses', () => {
    for (const lang of ['zh', 'en'] as const) {
      const m = MESSAGES[lang] as Record<string, string>;
      for (const code of ['same-district', 'from-district', 'avl-fix', 'at-post', 'run-card-primary', 'run-card-bonus', 'no-incident-location', 'no-unit-position', 'alternate', 'unit-not-free', 'unit-off-duty']) expect(m[`reason.${code}`]).toBeTruthy();
    }
    expect(fill(MESSAGES.zh['reason.unit-not-free'], { unit: '城南2', status: '已派' })).toBe('城南2 已不空闲（已派）');
  });
});

describe('unit board thresholds and response circles', () => {
  it('turns a unit amber and red by seconds in its status', () => {
    const th = { dispatched: { amber: 60, red: 120 } };
    expect(unitTimeLevel('dispatched', 59, th)).toBe('ok');
    expect(unitTimeLevel('dispatched', 60, th)).toBe('amber');
    expect(unitTimeLevel('dispatched', 120, th)).toBe('red');
    expect(unitTimeLevel('available', 99999, th)).toBe('ok');
  });
  it('inverts the ETA model for the 1/3/5-minute radii (metres = seconds × speed ÷ circuity)', () => {
    const model = JSON.parse(readFileSync(join(ROOT, 'services', 'dispatch', 'config', 'eta.json'), 'utf8')) as EtaModelLike;
    const day = model.modes['car-urban']!.metresPerSecond.day!;
    const night = model.modes['car-urban']!.metresPerSecond.night!;
    expect(circleRadii(model, 10 * 60)).toEqual([60, 180, 300].map((s) => Math.round((s * day) / model.circuity.value)));
    expect(circleRadii(model, 2 * 60)).toEqual([60, 180, 300].map((s) => Math.round((s * night) / model.circuity.value))); // 23:00–07:00 wraps midnight
    expect(circleRadii(undefined, 0)).toEqual([]);
    expect(localMinute(Date.parse('2026-01-01T00:30:00Z'), 'Asia/Shanghai')).toBe(8 * 60 + 30);
  });
});

describe('map datums (gcoord) and district names', () => {
  it('converts WGS84 to GCJ-02 as the published reference does, and back within a metre', () => {
    // coordtransform's README example: wgs84togcj02(116.404, 39.915) = [116.41024449916938, 39.91640428150164]
    const g = fromWgs84({ lon: 116.404, lat: 39.915 }, 'GCJ02');
    expect(g.lon).toBeCloseTo(116.41024449916938, 9);
    expect(g.lat).toBeCloseTo(39.91640428150164, 9);
    const back = toWgs84(g, 'GCJ02');
    expect(Math.abs(back.lon - 116.404) * 85_000).toBeLessThan(1);
    expect(Math.abs(back.lat - 39.915) * 111_000).toBeLessThan(1);
    const b = toWgs84(fromWgs84({ lon: 116.404, lat: 39.915 }, 'BD09'), 'BD09');
    expect(Math.abs(b.lon - 116.404) * 85_000).toBeLessThan(1);
    expect(toWgs84({ lon: -93.27, lat: 44.97 }, 'GCJ02')).toEqual({ lon: -93.27, lat: 44.97 }); // outside China GCJ-02 = WGS84
    expect(parseCrs('gcj-02')).toBe('GCJ02');
    expect(parseCrs('bd09')).toBe('BD09');
    expect(parseCrs(undefined)).toBe('WGS84');
  });
  it('names every district of the shipped county map in Chinese', () => {
    const geo = JSON.parse(readFileSync(join(ROOT, 'services', 'dispatch', 'seed', 'county-map.geojson'), 'utf8')) as unknown;
    const d = districtsOf(geo);
    expect(d.length).toBeGreaterThanOrEqual(8);
    expect(d.find((x) => x.key === 'Precinct 4 North PSA')?.zh).toBe('城北北片');
    for (const x of d) expect(x.zh).toMatch(/[\u4e00-\u9fff]/);
    const units = JSON.parse(readFileSync(join(ROOT, 'services', 'dispatch', 'seed', 'units.json'), 'utf8')) as { units: { district: string }[] };
    for (const u of units.units) expect(d.map((x) => x.key)).toContain(u.district);
  });
});
