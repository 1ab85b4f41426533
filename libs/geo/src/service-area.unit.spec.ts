/** Issue 13 item 3: the service area (the county map's outline) checked on every location. */
import { checkServiceArea, COUNTY_OUTLINE, haversineMetres, metresToRing, pointInRing, withServiceArea } from './index';

const westBy = (metres: number) => ({ lat: 44.95, lon: -93.4 - metres / (111_195 * Math.cos((44.95 * Math.PI) / 180)) });

describe('service area', () => {
  it('holds the county (downtown, the rural south) and not another city, 0,0 or a point 60 km out', () => {
    expect(checkServiceArea({ lat: 44.978, lon: -93.265 })).toEqual({ inside: true, metresOutside: 0 });
    expect(checkServiceArea({ lat: 44.86, lon: -93.3 }).inside).toBe(true);
    expect(checkServiceArea({ lat: 39.9042, lon: 116.4074 }).inside).toBe(false); // Beijing
    const zero = checkServiceArea({ lat: 0, lon: 0 });
    expect(zero.inside).toBe(false);
    expect(zero.metresOutside).toBeGreaterThan(5_000_000);
    const out = checkServiceArea(westBy(60_000));
    expect(out.inside).toBe(false);
    expect(Math.abs(out.metresOutside - 60_000)).toBeLessThan(600); // within 1 %
  });

  it('measures metres to the outline like the haversine distance to its nearest edge point', () => {
    const p = westBy(5_000);
    expect(Math.abs(metresToRing(p, COUNTY_OUTLINE) - haversineMetres(p, { lat: 44.95, lon: -93.4 }))).toBeLessThan(10);
    expect(pointInRing({ lat: 44.95, lon: -93.3 }, COUNTY_OUTLINE)).toBe(true);
  });

  it('flags a location outside and only then; a location without coordinates is not flagged', () => {
    expect(withServiceArea({ lat: 0, lon: 0, district: 'x' })).toEqual({ lat: 0, lon: 0, district: 'x', outsideServiceArea: true });
    expect(withServiceArea({ lat: 44.978, lon: -93.265, outsideServiceArea: true })).toEqual({ lat: 44.978, lon: -93.265 });
    expect(withServiceArea({ address: 'somewhere' } as { address: string; lat?: number })).toEqual({ address: 'somewhere' });
  });
});
