import { localParts } from '@cad110/contracts';
import { localMinute } from './context';

/** The reference: local hour and minute as libs/contracts' luxon-based `localParts` gives them. */
const reference = (iso: string, zone: string) => {
  const p = localParts(iso, zone);
  return p.hour * 60 + Number(p.iso.slice(14, 16));
};

describe('localMinute', () => {
  it('gives the local minute of day in the bureau zone', () => {
    expect(localMinute('2026-11-29T13:00:00.000Z', 'Asia/Shanghai')).toBe(21 * 60);
    expect(localMinute('2026-11-29T16:00:00.000Z', 'Asia/Shanghai')).toBe(0); // local midnight is 0, never 24:00
    expect(localMinute('2026-11-29T15:59:59.999Z', 'Asia/Shanghai')).toBe(1439);
  });

  it('agrees with localParts every ~3 hours (odd step, so every minute of day is hit eventually) over a year, across DST changes and odd offsets', () => {
    const zones = ['Asia/Shanghai', 'America/Chicago', 'America/Los_Angeles', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe', 'UTC'];
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    const mismatches: string[] = [];
    for (let t = start; t < start + 366 * 86_400_000; t += 11_234_567) {
      const iso = new Date(t).toISOString();
      for (const z of zones) if (localMinute(iso, z) !== reference(iso, z)) mismatches.push(`${z} ${iso}`);
    }
    expect(mismatches).toEqual([]);
  });

  it('agrees with localParts minute by minute around the 2026 US DST changes', () => {
    const mismatches: string[] = [];
    for (const around of ['2026-03-08T08:00:00.000Z', '2026-11-01T07:00:00.000Z']) {
      for (let t = Date.parse(around) - 2 * 3_600_000; t <= Date.parse(around) + 2 * 3_600_000; t += 60_000) {
        const iso = new Date(t).toISOString();
        if (localMinute(iso, 'America/Chicago') !== reference(iso, 'America/Chicago')) mismatches.push(iso);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('refuses what is not an instant', () => {
    expect(() => localMinute('yesterday', 'Asia/Shanghai')).toThrow(/invalid instant/);
    expect(() => localMinute('2026-11-29T13:00:00.000Z', 'Mars/Olympus')).toThrow(RangeError);
  });
});
