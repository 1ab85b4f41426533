import { loadTaxonomy } from '@cad110/contracts';
import { haversineMetres } from '@cad110/geo';
import { cellsCovering, geoCell, CELL_DEG } from './geo-cell';
import { CategoryCompatibility, duplicateConfig, loadCategoryCompatibility } from './rules';
import { normaliseNumber, scoreCandidate, type CandidateRow, type DuplicateSubject } from './score';

const taxonomy = loadTaxonomy();
const compat = loadCategoryCompatibility(taxonomy);

describe('geo cells', () => {
  it('every point within the radius falls in one of the covering cells (random points around several latitudes)', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const lat0 of [0, 29.08, 44.98, 60, -33.9]) {
      const center = { lat: lat0, lon: 119.65 };
      const cells = new Set(cellsCovering(center, 200).cells);
      for (let i = 0; i < 2000; i++) {
        const p = { lat: lat0 + (rnd() - 0.5) * 0.008, lon: 119.65 + (rnd() - 0.5) * 0.012 };
        if (haversineMetres(center, p) <= 200) expect(cells.has(geoCell(p.lat, p.lon))).toBe(true);
      }
    }
  });
  it('a 200 m radius needs at most 2 × 3 cells at 0.005°; a huge radius falls back to the box', () => {
    expect(CELL_DEG).toBe(0.005);
    expect(cellsCovering({ lat: 45, lon: -93.26 }, 200).cells!.length).toBeLessThanOrEqual(6);
    expect(cellsCovering({ lat: 45, lon: -93.26 }, 50_000).cells).toBeNull();
  });
  it('neighbouring points in different cells get different ids; the antimeridian wraps', () => {
    expect(geoCell(29.0, 119.6549)).not.toBe(geoCell(29.0, 119.6551));
    expect(geoCell(10, 180)).toBe(geoCell(10, -180));
  });
});

describe('category compatibility (taxonomy duplicateRules)', () => {
  it('relates classifications', () => {
    expect(compat.relate({ category: 'criminal', subtype: 'robbery' }, { category: 'criminal', subtype: 'robbery' })).toBe('same-subtype');
    expect(compat.relate({ category: 'criminal', subtype: 'robbery' }, { category: 'criminal', subtype: 'theft' })).toBe('same-category');
    expect(compat.relate({ category: 'criminal', subtype: 'assault' }, { category: 'public-order', subtype: 'fighting' })).toBe('compatible-category');
    expect(compat.relate({ category: 'traffic', subtype: 'illegal-parking' }, { category: 'public-order', subtype: 'noise' })).toBe('incompatible');
    expect(compat.relate({ category: 'traffic', subtype: 'illegal-parking' }, { category: 'other', subtype: 'unknown-trouble' })).toBe('compatible-category');
    expect(compat.relate({}, { category: 'fire', subtype: 'building-fire' })).toBe('unclassified');
  });
  it('refuses rules that name unknown categories', () => {
    expect(() => new CategoryCompatibility([['a', 'b']], [])).not.toThrow();
    const { writeFileSync, mkdtempSync } = require('node:fs') as typeof import('node:fs');
    const dir = mkdtempSync(require('node:os').tmpdir() + '/tax-');
    writeFileSync(`${dir}/t.json`, JSON.stringify({ duplicateRules: { compatibleCategories: [['criminal', 'martian']] } }));
    expect(() => loadCategoryCompatibility(taxonomy, `${dir}/t.json`)).toThrow(/unknown category martian/);
  });
});

describe('duplicate config', () => {
  it('defaults to 200 m and 15 min and reads the environment', () => {
    expect(duplicateConfig({})).toMatchObject({ radiusMetres: 200, windowSeconds: 900 });
    expect(duplicateConfig({ DUPLICATE_RADIUS_METRES: '350', DUPLICATE_WINDOW_SECONDS: '600' })).toMatchObject({ radiusMetres: 350, windowSeconds: 600 });
    expect(() => duplicateConfig({ DUPLICATE_RADIUS_METRES: 'far' })).toThrow(/DUPLICATE_RADIUS_METRES/);
  });
});

describe('scoring', () => {
  const subject: DuplicateSubject = { callId: 'self', at: '2026-11-29T08:00:00.000Z', lat: 29.08, lon: 119.65, callerNumber: '13812341234', category: 'criminal', subtype: 'snatching' };
  const row = (o: Partial<CandidateRow>): CandidateRow => ({
    id: 'c1', status: 'open', answeredAt: new Date('2026-11-29T07:55:00.000Z'), category: 'criminal', subtype: 'snatching', priority: 1, lat: 29.0805, lon: 119.6505, district: null, beat: null, address: null, sameCaller: false, ...o,
  });
  it('proposes a near, recent call of the same subtype with distance, time apart, score and reasons', () => {
    const c = scoreCandidate(subject, row({}), 200, 900, compat)!;
    expect(c.distanceMetres).toBe(Math.round(haversineMetres({ lat: 29.08, lon: 119.65 }, { lat: 29.0805, lon: 119.6505 })));
    expect(c.secondsApart).toBe(300);
    expect(c.reasons).toEqual(['near', 'close-in-time', 'same-subtype']);
    const expected = 0.4 * (1 - c.distanceMetres! / 200) + 0.25 * (1 - 300 / 900) + 0.15;
    expect(c.score).toBeCloseTo(expected, 2);
  });
  it('does not propose calls outside the radius, outside the window, of an incompatible category, or itself', () => {
    expect(scoreCandidate(subject, row({ lat: 29.1 }), 200, 900, compat)).toBeNull();
    expect(scoreCandidate(subject, row({ answeredAt: new Date('2026-11-29T07:44:59.000Z') }), 200, 900, compat)).toBeNull();
    expect(scoreCandidate({ ...subject, category: 'traffic', subtype: 'illegal-parking' }, row({ category: 'public-order', subtype: 'noise' }), 200, 900, compat)).toBeNull();
    expect(scoreCandidate(subject, row({ id: 'self' }), 200, 900, compat)).toBeNull();
  });
  it('proposes the same caller number within the window wherever and whatever it was, and ranks it higher', () => {
    const far = scoreCandidate(subject, row({ lat: 30, lon: 120, sameCaller: true, category: 'traffic', subtype: 'illegal-parking' }), 200, 900, compat)!;
    expect(far.reasons).toEqual(['same-caller-number', 'close-in-time']);
    const nearSame = scoreCandidate(subject, row({ sameCaller: true }), 200, 900, compat)!;
    const near = scoreCandidate(subject, row({}), 200, 900, compat)!;
    expect(nearSame.score).toBeGreaterThan(near.score);
  });
  it('normalises phone numbers', () => {
    expect(normaliseNumber('138 1234-1234')).toBe('13812341234');
    expect(normaliseNumber('+86 138 1234 1234')).toBe('+8613812341234');
    expect(normaliseNumber(' ')).toBeNull();
  });
});
