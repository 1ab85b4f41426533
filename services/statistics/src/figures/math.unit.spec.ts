import { gridDisk, latLngToCell } from 'h3-js';
import { changeOf, getisOrdGiStar, nearestRank, nextShift, periodOnPeriodBase, studyAreaOf, suggestDeployment, yearOnYearBase } from './math';

describe('comparison periods and the zero-base rule', () => {
  it('takes the same local dates a year earlier (29 Feb → 28 Feb) and the preceding equal-length period', () => {
    expect(yearOnYearBase({ from: '2024-02-01', to: '2024-02-29' })).toEqual({ from: '2023-02-01', to: '2023-02-28' });
    expect(periodOnPeriodBase({ from: '2024-03-01', to: '2024-03-31' })).toEqual({ from: '2024-01-30', to: '2024-02-29' });
    expect(periodOnPeriodBase({ from: '2024-03-01', to: '2024-03-01' })).toEqual({ from: '2024-02-29', to: '2024-02-29' });
  });

  it('gives change and % change, and null % with baseZero when the base is 0', () => {
    expect(changeOf(12, 10)).toEqual({ base: 10, change: 2, changePct: 20, baseZero: false });
    expect(changeOf(1, 3)).toEqual({ base: 3, change: -2, changePct: -66.67, baseZero: false });
    expect(changeOf(5, 0)).toEqual({ base: 0, change: 5, changePct: null, baseZero: true });
    expect(changeOf(0, 0)).toEqual({ base: 0, change: 0, changePct: null, baseZero: true });
  });
});

describe('nearest-rank percentile', () => {
  it('takes the value at rank ceil(p/100 × n)', () => {
    const v = [15, 20, 35, 40, 50];
    expect([nearestRank(v, 5), nearestRank(v, 30), nearestRank(v, 40), nearestRank(v, 50), nearestRank(v, 100)]).toEqual([15, 20, 20, 35, 50]);
    expect(nearestRank([], 50)).toBeNull();
    expect(nearestRank([7], 95)).toBe(7);
  });
});

describe('Getis-Ord Gi*', () => {
  const centre = latLngToCell(44.98, -93.27, 8);
  const ring = gridDisk(centre, 1);
  const area = studyAreaOf(gridDisk(centre, 3), 1);

  it('matches the formula worked by hand on a 7-cell cluster in an area of zeros', () => {
    const counts = new Map(ring.map((c) => [c, c === centre ? 10 : 5]));
    const gi = new Map(getisOrdGiStar(counts, area, 1).map((g) => [g.cell, g]));
    const n = area.length;
    const xs = area.map((c) => counts.get(c) ?? 0);
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const s = Math.sqrt(xs.reduce((a, b) => a + b * b, 0) / n - mean * mean);
    // centre: all 7 neighbours in the area, Σwx = 10 + 6 × 5 = 40
    const z = (40 - mean * 7) / (s * Math.sqrt((n * 7 - 49) / (n - 1)));
    expect(gi.get(centre)!.neighbourhoodCount).toBe(40);
    expect(gi.get(centre)!.z).toBeCloseTo(z, 10);
    expect(gi.get(centre)!.z!).toBeGreaterThan(1.96);
    // a far cell of the area sees only zeros: below the mean
    const far = area.find((c) => !ring.includes(c) && gridDisk(c, 1).every((j) => !ring.includes(j)))!;
    expect(gi.get(far)!.z!).toBeLessThan(0);
  });

  it('gives null z when every cell has the same count', () => {
    const counts = new Map(area.map((c) => [c, 2]));
    expect(getisOrdGiStar(counts, area, 1).every((g) => g.z === null)).toBe(true);
  });
});

describe('next shift and deployment suggestion', () => {
  it('finds the shift band that starts after the instant, in local time across DST', () => {
    expect(nextShift(new Date('2021-11-09T12:00:00Z'), 'America/Chicago')).toMatchObject({ band: 'day', start: '2021-11-09T08:00:00.000-06:00', weekday: 2 });
    expect(nextShift(new Date('2021-03-14T09:00:00Z'), 'America/Chicago')).toMatchObject({ band: 'day', start: '2021-03-14T08:00:00.000-05:00' });
    const late = nextShift(new Date('2026-11-29T15:30:00Z'), 'Asia/Shanghai'); // 23:30 local, Sunday
    expect(late).toMatchObject({ band: 'night', start: '2026-11-30T00:00:00.000+08:00', weekday: 1, hoursOfWeek: [0, 1, 2, 3, 4, 5, 6, 7] });
  });

  it('posts ⌈units × share⌉ units at hot spots by z, in the order of the unit list, and keeps the rest in reserve', () => {
    const cells = [
      { cell: '8827526ab5fffff', count: 9, neighbourhoodCount: 20, z: 3.2, expectedCalls: 1.5 },
      { cell: '8827526ab1fffff', count: 7, neighbourhoodCount: 15, z: 2.5, expectedCalls: 1 },
      { cell: '8827526ab3fffff', count: 3, neighbourhoodCount: 9, z: 1.5, expectedCalls: 0.5 },
    ];
    const units = [
      { type: 'armed-vehicle-patrol', count: 1 },
      { type: 'station-car', count: 3 },
    ];
    const normal = suggestDeployment(cells, units, 'normal');
    expect(normal.postsPlanned).toBe(2);
    expect(normal.posts.map((p) => [p.cell, p.unitType])).toEqual([
      ['8827526ab5fffff', 'armed-vehicle-patrol'],
      ['8827526ab1fffff', 'station-car'],
    ]);
    expect(normal.reserve).toEqual([{ type: 'station-car', count: 2 }]);
    // wartime would post all 4, but only 2 cells are hot spots (z ≥ 1.96)
    expect(suggestDeployment(cells, units, 'wartime')).toMatchObject({ postsPlanned: 4, reserve: [{ type: 'station-car', count: 2 }] });
  });
});
