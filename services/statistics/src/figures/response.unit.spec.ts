import { percentilesOfBuckets } from './response';

/** Nearest rank over the expanded values (the definition percentile_disc implements). */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1]!;
}

describe('percentilesOfBuckets', () => {
  it('equals the nearest rank over the expanded values, buckets in any order and a value in several rows', () => {
    let seed = 7;
    const rand = (k: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % k);
    const buckets: { key: number | null; measure: 'processing' | 'travel'; v: number; n: number }[] = [];
    for (let i = 0; i < 400; i++) buckets.push({ key: rand(3) === 0 ? null : 1 + rand(2), measure: rand(2) ? 'processing' : 'travel', v: 1000 * rand(90), n: 1 + rand(4) });
    const got = percentilesOfBuckets(buckets);
    const groups = new Set(buckets.map((b) => `${b.key}/${b.measure}`));
    expect(got).toHaveLength(groups.size);
    for (const g of got) {
      const values = buckets.filter((b) => b.key === g.key && b.measure === g.measure).flatMap((b) => Array<number>(b.n).fill(b.v));
      expect(g).toEqual({ key: g.key, measure: g.measure, n: values.length, p50: nearestRank(values, 0.5), p90: nearestRank(values, 0.9), p95: nearestRank(values, 0.95) });
    }
  });

  it('takes the rank ⌈p × n⌉: of 20 calls p95 is the 19th value, of one call every percentile is it', () => {
    const twenty = Array.from({ length: 20 }, (_, i) => ({ key: 'P1', measure: 'total' as const, v: (20 - i) * 1000, n: 1 }));
    expect(percentilesOfBuckets(twenty)).toEqual([{ key: 'P1', measure: 'total', n: 20, p50: 10_000, p90: 18_000, p95: 19_000 }]);
    expect(percentilesOfBuckets([{ key: null, measure: 'answer', v: 4000, n: 1 }])).toEqual([{ key: null, measure: 'answer', n: 1, p50: 4000, p90: 4000, p95: 4000 }]);
    // a district named "null" is not the overall key
    expect(percentilesOfBuckets([{ key: null, measure: 'answer', v: 1000, n: 1 }, { key: 'null', measure: 'answer', v: 2000, n: 1 }]).map((r) => r.p50)).toEqual([1000, 2000]);
  });
});
