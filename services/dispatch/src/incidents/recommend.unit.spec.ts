import { recommendUnits, type UnitCandidate } from './recommend';

const unit = (id: string, lat: number | null, lon: number | null, extra: Partial<UnitCandidate> = {}): UnitCandidate => ({
  id, callSign: id, type: 'station-car', district: 'D1', lat, lon, status: 'available', onDuty: true, capabilities: [], ...extra,
});

describe('recommendUnits (skeleton: straight-line ETA)', () => {
  const incident = { lat: 44.97, lon: -93.26, district: 'D1' };

  it('ranks the nearest available unit first and gives ETA, distance and circles', () => {
    const recs = recommendUnits(incident, [unit('far', 44.99, -93.26), unit('near', 44.971, -93.26)]);
    expect(recs.map((r) => r.unitId)).toEqual(['near', 'far']);
    expect(recs[0]).toMatchObject({ rank: 1, distanceMetres: 111, etaSeconds: 14, circles: { oneMinute: true, threeMinute: true, fiveMinute: true } });
    expect(recs[1]!.circles).toEqual({ oneMinute: false, threeMinute: false, fiveMinute: true }); // ≈2224 m → 289 s
  });

  it('skips busy and off-duty units', () => {
    const recs = recommendUnits(incident, [unit('busy', 44.97, -93.26, { status: 'dispatched' }), unit('off', 44.97, -93.26, { onDuty: false }), unit('ok', 45, -93.3)]);
    expect(recs.map((r) => r.unitId)).toEqual(['ok']);
  });

  it('without incident coordinates, prefers units of the same district and gives no ETA', () => {
    const recs = recommendUnits({ district: 'D2' }, [unit('a', 44.9, -93.2), unit('b', 44.9, -93.2, { district: 'D2' })]);
    expect(recs.map((r) => [r.unitId, r.etaSeconds])).toEqual([['b', null], ['a', null]]);
  });
});
