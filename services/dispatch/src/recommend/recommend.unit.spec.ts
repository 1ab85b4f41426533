import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { haversineMetres } from '@cad110/geo';
import { anchorOf, loadCountyMap } from '../map/county-map';
import { loadSeed } from '../units/seed';
import { loadEtaModel } from './eta';
import { recommend, type IncidentForRecommendation, type RecommendContext, type UnitCandidate } from './recommend';
import { loadRunCards } from './run-cards';
import type { DutyLevel } from '@cad110/contracts';

const map = loadCountyMap();
const eta = loadEtaModel();
const runCards = loadRunCards();
const AT = Date.parse('2026-11-29T04:00:00.000Z');

/** The seed roster as the recommender sees it: everybody free, at their post / patrol anchor. */
function seedUnits(): UnitCandidate[] {
  return loadSeed().map((u) => ({
    id: u.unitId,
    callSign: u.callSign,
    type: u.type,
    district: u.district,
    status: 'available',
    capabilities: u.capabilities,
    minDutyLevel: u.minDutyLevel,
    shift: u.shift,
    anchor: anchorOf(u.geometry as never),
    avl: null,
  }));
}

const ctx = (hhmm: string, levels: Record<string, DutyLevel> = {}, extra: Partial<RecommendContext> = {}): RecommendContext => {
  const [h, m] = hhmm.split(':').map(Number);
  return { eta, runCards, dutyLevels: new Map(Object.entries(levels)), atMs: AT, minute: h! * 60 + m!, areaOf: (d) => map.areaOf(d), ...extra };
};
const incident = (over: Partial<IncidentForRecommendation>): IncidentForRecommendation => ({ category: 'public-order', subtype: 'noise', flags: [], priority: 3, ...over });
const unit = (id: string) => seedUnits().find((u) => u.id === id)!;

describe('recommendations on the seed roster and the example county map', () => {
  it('ranks by ETA, not by distance: a car 800 m away beats a foot squad 300 m away', () => {
    const omp1 = unit('OMP-1').anchor!;
    const fps1 = unit('FPS-1').anchor!;
    // a point on the far side of the foot squad's square, away from the one-minute point
    const p = { lat: fps1.lat + (fps1.lat - omp1.lat) * 0.6, lon: fps1.lon + (fps1.lon - omp1.lon) * 0.6 };
    expect(haversineMetres(p, fps1)).toBeLessThan(haversineMetres(p, omp1));
    const recs = recommend(incident({ ...p, district: 'Precinct 1' }), seedUnits(), ctx('10:30')).recommendations;
    const fpsRank = recs.find((r) => r.unitId === 'FPS-1');
    expect(recs[0]!.unitId).toBe('OMP-1');
    expect(fpsRank).toBeDefined();
    expect(recs[0]!.distanceMetres!).toBeGreaterThan(fpsRank!.distanceMetres!);
    expect(recs[0]!.etaSeconds!).toBeLessThan(fpsRank!.etaSeconds!);
    // the ranking is by ETA ascending throughout
    const etas = recs.map((r) => r.etaSeconds!);
    expect(etas.slice(1)).toEqual([...etas.slice(1)].sort((a, b) => a - b));
    expect(recs[0]!.reasons.join(' | ')).toMatch(/ETA \d+ s: \d+ m great-circle × 1.3 circuity ÷ 8.3 m\/s \(car-urban, day\)/);
  });

  it('gives the nearest unit ETA 0 and all three response circles at its own post', () => {
    const p = unit('OMP-3').anchor!;
    const [first] = recommend(incident({ ...p, district: 'Precinct 3' }), seedUnits(), ctx('10:00')).recommendations;
    expect(first).toMatchObject({ unitId: 'OMP-3', etaSeconds: 0, distanceMetres: 0, rank: 1, role: 'primary', circles: { oneMinute: true, threeMinute: true, fiveMinute: true } });
    expect(first!.reasons).toEqual(expect.arrayContaining(["in the incident's district Precinct 3"]));
  });

  it('computes circles from the ETA: ≤60 s, ≤180 s, ≤300 s', () => {
    const o = unit('OMP-3').anchor!;
    // 2 km north of the post: 2000 × 1.3 ÷ 8.3 ≈ 313 s (day)
    const p = { lat: o.lat + 2000 / 111_195, lon: o.lon };
    const rec = recommend(incident({ ...p, district: 'Precinct 3' }), [unit('OMP-3')], ctx('10:00')).recommendations[0]!;
    expect(rec.etaSeconds).toBe(Math.round((rec.distanceMetres! * 1.3) / 8.3));
    expect(rec.circles).toEqual({ oneMinute: false, threeMinute: false, fiveMinute: false });
    const night = recommend(incident({ ...p, district: 'Precinct 3' }), [unit('OMP-3')], ctx('23:30')).recommendations[0]!;
    expect(night.etaSeconds).toBe(Math.round((night.distanceMetres! * 1.3) / 12.5)); // faster at night
    expect(night.circles).toEqual({ oneMinute: false, threeMinute: false, fiveMinute: true });
  });

  it('filters by capability: a person in water gets rescue gear first', () => {
    const lake = unit('FPS-2').anchor!;
    const day = recommend(incident({ category: 'assistance', subtype: 'water-rescue', priority: 1, ...lake, district: 'Precinct 5' }), seedUnits(), ctx('14:00'));
    expect(day.runCard.id).toBe('water-rescue');
    expect(day.recommendations.filter((r) => r.role === 'primary')).toHaveLength(2);
    const rescue = day.recommendations.find((r) => r.need === 0)!;
    expect(rescue.unitId).toBe('FPS-2');
    // at night the foot squad is off shift: the rescue need goes to a unit with the gear, not to the nearest unit
    const night = recommend(incident({ category: 'assistance', subtype: 'water-rescue', priority: 1, ...lake, district: 'Precinct 5' }), seedUnits(), ctx('23:30'));
    const nightRescue = night.recommendations.find((r) => r.need === 0)!;
    expect(['AVP-2', 'RAP-S']).toContain(nightRescue.unitId);
    expect(unit(nightRescue.unitId).capabilities).toContain('water-rescue');
    expect(night.recommendations[0]!.etaSeconds! <= nightRescue.etaSeconds!).toBe(true);
    expect(night.recommendations.map((r) => r.unitId)).not.toContain('FPS-2');
  });

  it('changes the answer with the duty level: reinforced puts the night squad of Precinct 2 on duty', () => {
    const post = unit('NAT-3').anchor!;
    const inc = incident({ ...post, district: 'Precinct 2' });
    const normal = recommend(inc, seedUnits(), ctx('21:00'));
    expect(normal.recommendations.map((r) => r.unitId)).not.toContain('NAT-3');
    const reinforced = recommend(inc, seedUnits(), ctx('21:00', { 'Precinct 2': 'reinforced' }));
    expect(reinforced.recommendations[0]).toMatchObject({ unitId: 'NAT-3', etaSeconds: 0 });
    expect(reinforced.recommendations[0]!.reasons.join(' ')).toMatch(/reinforced \(加强\)/);
    // at 10:00 the night squad is off shift even at reinforced; at wartime every unit is on duty around the clock
    expect(recommend(inc, seedUnits(), ctx('10:00', { 'Precinct 2': 'reinforced' })).recommendations.map((r) => r.unitId)).not.toContain('NAT-3');
    expect(recommend(inc, seedUnits(), ctx('10:00', { 'Precinct 2': 'wartime' })).recommendations[0]!.unitId).toBe('NAT-3');
  });

  it('fills a run card asking for two armed units with two armed units', () => {
    const p = unit('OMP-1').anchor!;
    const rec = recommend(incident({ category: 'criminal', subtype: 'robbery', flags: ['two-robberies-one-theft'], priority: 1, ...p, district: 'Precinct 1' }), seedUnits(), ctx('10:00'));
    expect(rec.runCard).toMatchObject({ id: 'crime-in-progress', unmet: [] });
    const primaries = rec.recommendations.filter((r) => r.role === 'primary');
    expect(primaries).toHaveLength(2);
    for (const r of primaries) expect(unit(r.unitId).capabilities).toContain('armed');
    expect(new Set(primaries.map((r) => r.need))).toEqual(new Set([0, 1]));
    // the one-minute point is nearest but not armed: it may only be an alternate
    expect(rec.recommendations.find((r) => r.unitId === 'OMP-1')?.role).toBe('alternate');
    expect(rec.recommendations.filter((r) => r.role === 'alternate')).toHaveLength(3);
  });

  it('reports an unmet need when not enough units qualify', () => {
    const armed = seedUnits().filter((u) => u.capabilities.includes('armed'));
    const busy = seedUnits().map((u) => (u.capabilities.includes('armed') && u.id !== armed[0]!.id ? { ...u, status: 'on-scene' } : u));
    const rec = recommend(incident({ category: 'criminal', subtype: 'robbery', priority: 1, lat: 44.97, lon: -93.27, district: 'Precinct 1' }), busy, ctx('10:00'));
    expect(rec.runCard.unmet).toEqual([{ need: 1, missing: 1 }]);
    expect(rec.recommendations.filter((r) => r.role === 'primary').map((r) => r.unitId)).toEqual([armed[0]!.id]);
  });

  it('recommends by district without coordinates (San Diego divisions, redacted locations): no ETA', () => {
    const sd = recommend(incident({ district: 'Division 3' }), seedUnits(), ctx('10:00')).recommendations;
    expect(sd.length).toBeGreaterThan(0);
    expect(sd.every((r) => r.etaSeconds === null && r.distanceMetres === null)).toBe(true);
    expect(sd[0]!.reasons.join(' ')).toMatch(/no coordinates/);
    const p3 = recommend(incident({ district: 'Precinct 3' }), seedUnits(), ctx('10:00')).recommendations;
    expect(unit(p3[0]!.unitId).district).toBe('Precinct 3');
  });

  // issue 13 item 3: implausible locations are not ranked by an ETA of days
  it.each([
    ['another city (Beijing)', { lat: 39.9042, lon: 116.4074 }],
    ['0,0', { lat: 0, lon: 0 }],
    ['60 km west of the county', { lat: 44.95, lon: -93.4 - 60_000 / (111_195 * Math.cos((44.95 * Math.PI) / 180)) }],
  ])('outside the service area (%s): no ETA, an outside-service-area reason, ranked by the nearest district', (_name, p) => {
    const rec = recommend(incident(p), seedUnits(), { ...ctx('10:00'), nearestDistrict: (q) => map.nearestDistrict(q) });
    expect(rec.recommendations.length).toBeGreaterThan(0);
    expect(rec.recommendations.every((r) => r.etaSeconds === null && r.distanceMetres === null && r.scoreSeconds === null)).toBe(true);
    const nearest = map.nearestDistrict(p)!;
    expect(rec.locationReason).toEqual({ code: 'outside-service-area', params: { metresOutside: expect.any(Number), district: nearest } });
    expect(rec.locationReason!.params!.metresOutside).toBeGreaterThan(50_000);
    expect(unit(rec.recommendations[0]!.unitId).district).toBe(nearest);
    expect(rec.recommendations[0]!.reasons.join(' | ')).toMatch(/outside the service area .* no ETA, ranked by district/);
  });

  it('ranks a point 60 km west by Rural West, the district whose boundary is nearest', () => {
    const p = { lat: 44.95, lon: -93.4 - 60_000 / (111_195 * Math.cos((44.95 * Math.PI) / 180)) };
    expect(map.nearestDistrict(p)).toBe('Rural West');
    const rec = recommend(incident(p), seedUnits(), { ...ctx('10:00'), nearestDistrict: (q) => map.nearestDistrict(q) });
    expect(rec.locationReason!.params).toMatchObject({ district: 'Rural West' });
    expect(Number(rec.locationReason!.params!.metresOutside)).toBeGreaterThan(59_000);
    expect(Number(rec.locationReason!.params!.metresOutside)).toBeLessThan(61_000);
  });

  it('says "no location" when the incident has neither coordinates nor a district, never "ranked by district"', () => {
    const rec = recommend(incident({}), seedUnits(), ctx('10:00'));
    expect(rec.locationReason).toEqual({ code: 'no-location' });
    expect(rec.recommendations.length).toBeGreaterThan(0);
    for (const r of rec.recommendations) {
      expect(r.etaSeconds).toBeNull();
      expect(r.reasons.join(' | ')).toMatch(/incident has no location/);
      expect(r.reasons.join(' | ')).not.toMatch(/ranked by district|nearest to the incident/);
    }
    expect(recommend(incident({ district: 'Precinct 3' }), seedUnits(), ctx('10:00')).locationReason).toEqual({ code: 'no-coordinates', params: { district: 'Precinct 3' } });
    expect(recommend(incident({ district: 'Precinct 3', lat: 44.93, lon: -93.25 }), seedUnits(), ctx('10:00')).locationReason).toBeUndefined();
  });

  it('skips busy, off-duty and replay units; uses a fresh AVL fix and ignores a stale one', () => {
    const p = unit('OMP-1').anchor!;
    const units = seedUnits().map((u) => (u.id === 'OMP-1' ? { ...u, status: 'en-route' } : u.id === 'STN-S' ? { ...u, avl: { ...p, atMs: AT - 60_000 } } : u));
    units.push({ ...unit('OMP-1'), id: 'REPLAY-1', callSign: 'R1', replay: true });
    const recs = recommend(incident({ ...p, district: 'Precinct 1' }), units, ctx('10:00')).recommendations;
    expect(recs.map((r) => r.unitId)).not.toContain('OMP-1');
    expect(recs.map((r) => r.unitId)).not.toContain('REPLAY-1');
    expect(recs[0]).toMatchObject({ unitId: 'STN-S', etaSeconds: 0 });
    expect(recs[0]!.reasons.join(' ')).toMatch(/AVL fix 60 s old/);
    const stale = units.map((u) => (u.id === 'STN-S' ? { ...u, avl: { ...p, atMs: AT - 3_600_000 } } : u));
    expect(recommend(incident({ ...p, district: 'Precinct 1' }), stale, ctx('10:00')).recommendations[0]!.unitId).not.toBe('STN-S');
    expect(recommend(incident({ ...p, district: 'Precinct 1' }), units, ctx('10:00', {}, { includeReplayUnits: true })).recommendations[0]!.unitId).toBe('REPLAY-1');
  });

  it('applies preferences as a weighting shown in the reasons, and excludes volunteers from crimes', () => {
    const p = unit('STN-S').anchor!;
    const rec = recommend(incident({ category: 'dispute', subtype: 'neighbour-dispute', ...p, district: 'Precinct 3' }), seedUnits(), ctx('10:00'));
    expect(rec.runCard.id).toBe('dispute');
    expect(rec.recommendations[0]).toMatchObject({ unitId: 'STN-S', scoreSeconds: -120 });
    expect(rec.recommendations[0]!.reasons.join(' ')).toMatch(/prefers station-car: ranked as if 120 s closer/);
    const village = unit('VVP-S').anchor!;
    const crime = recommend(incident({ category: 'criminal', subtype: 'theft', ...village, district: 'Rural South' }), seedUnits(), ctx('19:00'));
    expect(crime.recommendations.map((r) => r.unitId)).not.toContain('VVP-S');
    const lost = recommend(incident({ category: 'assistance', subtype: 'lost-property', ...village, district: 'Rural South' }), seedUnits(), ctx('19:00'));
    expect(lost.recommendations[0]!.unitId).toBe('VVP-S');
  });

  it('selects the most specific run card, by area and time window too', () => {
    const q = { category: 'dispute', subtype: 'domestic-violence', flags: [], priority: 1 };
    expect(runCards.select({ ...q, area: 'rural', minute: 23 * 60 }).id).toBe('domestic-violence-night-rural');
    expect(runCards.select({ ...q, area: 'rural', minute: 12 * 60 }).id).toBe('dispute');
    expect(runCards.select({ ...q, area: 'urban', minute: 23 * 60 }).id).toBe('dispute');
    expect(runCards.select({ category: 'other', subtype: 'unknown', flags: [], priority: 3, minute: 0 }).id).toBe('default');
    expect(runCards.select({ category: 'criminal', subtype: 'robbery', flags: [], priority: 2, minute: 0 }).id).toBe('crime-report');
  });
});

describe('the example county map and the seed roster', () => {
  it('models the bureau as the issue lists it', () => {
    const units = loadSeed();
    const by = (t: string) => units.filter((u) => u.type === t);
    expect(by('one-minute-point').map((u) => u.crewSize)).toEqual([3, 3, 3, 3, 3]);
    expect(by('armed-vehicle-patrol').reduce((s, u) => s + u.crewSize, 0)).toBe(18);
    expect(by('armed-vehicle-patrol')).toHaveLength(3);
    expect(by('foot-patrol').map((u) => u.crewSize)).toEqual([10, 10]);
    expect(by('station-car').map((u) => u.homeStation)).toEqual(['station-south', 'station-north', 'station-west']);
    for (const u of by('rural-auxiliary')) expect(u.crewSize).toBeGreaterThanOrEqual(3), expect(u.crewSize).toBeLessThanOrEqual(5);
    expect(by('night-assistance').reduce((s, u) => s + u.crewSize, 0)).toBe(42);
    expect(by('village-volunteer').length).toBeGreaterThan(0);
    expect(by('armed-vehicle-patrol').every((u) => u.geometry?.type === 'LineString')).toBe(true);
    expect(by('foot-patrol').every((u) => u.geometry?.type === 'Polygon')).toBe(true);
    for (const u of units) expect(map.districts.has(u.district)).toBe(true);
    for (const u of units) expect(u.homeStation && map.feature(u.homeStation)).toBeTruthy();
  });

  it('puts at least 90 % of the bundled real calls with coordinates inside their own precinct', () => {
    const rows = parse(readFileSync(join(__dirname, '..', '..', '..', '..', 'data', 'calls', 'minneapolis-mpd-911-cad.slice-2000.csv')), { columns: true }) as Record<string, string>[];
    const located = rows.filter((r) => Number(r.Latitude) > 40);
    const inside = located.filter((r) => map.districtAt({ lat: Number(r.Latitude), lon: Number(r.Longitude) }) === r.Division);
    expect(located.length).toBeGreaterThan(1500);
    expect(inside.length / located.length).toBeGreaterThanOrEqual(0.9);
  });

  it('keys districts by the source names with Chinese display names and a rural edge', () => {
    expect([...map.districts.keys()]).toEqual(['Precinct 1', 'Precinct 2', 'Precinct 3', 'Precinct 4', 'Precinct 4 North PSA', 'Precinct 5', 'Rural South', 'Rural West']);
    expect(map.districts.get('Precinct 3')!.nameZh).toBe('城南');
    expect(map.areaOf('Rural South')).toBe('rural');
    expect(map.areaOf('Division 3')).toBeUndefined();
    for (const u of loadSeed()) {
      const a = anchorOf(u.geometry as never)!;
      expect(map.districtAt(a)).toBeDefined();
    }
  });
});
