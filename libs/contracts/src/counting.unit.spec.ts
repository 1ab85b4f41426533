import { countingClassification, countingDay, countingDayRange, countingDistrict, countingLocation, replacesClassification, replacesLocation } from './counting';

const ZONE = 'Asia/Shanghai';

describe('the counting rule (issue 13 item 2: statistics and records count a call the same way)', () => {
  it('takes the latest classification, also one made after the hand-over, whatever the order it is read in', () => {
    const first = { classifiedAt: '2026-11-20T15:50:00.000Z', category: 'dispute' };
    const handedOverAt = '2026-11-20T15:51:00.000Z';
    const after = { classifiedAt: '2026-11-20T16:20:00.000Z', category: 'criminal' };
    expect(Date.parse(after.classifiedAt)).toBeGreaterThan(Date.parse(handedOverAt));
    expect(countingClassification([first, after])?.category).toBe('criminal');
    // an older classification read late (another partition, a lagging consumer) never replaces a newer one
    expect(countingClassification([after, first])?.category).toBe('criminal');
    expect(replacesClassification(first, after)).toBe(false);
    expect(replacesClassification(after, first)).toBe(true);
    expect(replacesClassification(first, null)).toBe(true);
    expect(countingClassification([])).toBeNull();
  });

  it('breaks a tie of classifiedAt by stream order: the one read later wins', () => {
    const at = '2026-11-20T16:00:00.000Z';
    expect(countingClassification([{ classifiedAt: at, category: 'a' }, { classifiedAt: at, category: 'b' }])?.category).toBe('b');
  });

  it('counts a call under the district of its latest CallLocated, also a relocation after the hand-over, whatever the read order', () => {
    const atHandOver = { streamVersion: 3, district: 'xicheng' };
    const relocated = { streamVersion: 7, district: 'dongcheng' }; // after CallHandedToDispatch (version 5)
    expect(countingDistrict([atHandOver, relocated], 'xicheng')).toBe('dongcheng');
    // an earlier location read late never replaces a later one
    expect(countingDistrict([relocated, atHandOver])).toBe('dongcheng');
    expect(replacesLocation(atHandOver, relocated)).toBe(false);
    expect(replacesLocation(relocated, atHandOver)).toBe(true);
    expect(replacesLocation(atHandOver, atHandOver)).toBe(true);
    expect(countingLocation([atHandOver, relocated])).toBe(relocated);
    // the hand-over snapshot counts only while no CallLocated is known
    expect(countingDistrict([], 'xicheng')).toBe('xicheng');
    expect(countingDistrict([])).toBeNull();
    // relocated to a place without a district (outside the service area): no district, not the old one
    expect(countingDistrict([atHandOver, { streamVersion: 9 }], 'xicheng')).toBeNull();
  });

  it('counts a call on the local day it was answered, not the day it was handed over', () => {
    const answeredAt = '2026-11-20T15:59:50.000Z'; // 23:59:50 on 20 Nov in Shanghai
    const handedAt = '2026-11-20T16:00:10.000Z'; // 00:00:10 on 21 Nov
    expect(countingDay(answeredAt, ZONE)).toBe('2026-11-20');
    expect(countingDay(handedAt, ZONE)).toBe('2026-11-21');
    expect(countingDay(new Date(answeredAt), 'America/Chicago')).toBe('2026-11-20');
  });

  it('gives the answer-time range of a day range that holds exactly the calls counting on those days (DST too)', () => {
    expect(countingDayRange('2026-11-20', '2026-11-20', ZONE)).toEqual({ start: '2026-11-19T16:00:00.000Z', end: '2026-11-20T16:00:00.000Z' });
    expect(countingDayRange(undefined, '2026-11-20', ZONE)).toEqual({ end: '2026-11-20T16:00:00.000Z' });
    expect(countingDayRange(undefined, undefined, ZONE)).toEqual({});
    // 2021-11-07 in Chicago has 25 hours
    const { start, end } = countingDayRange('2021-11-07', '2021-11-07', 'America/Chicago');
    expect((Date.parse(end!) - Date.parse(start!)) / 3_600_000).toBe(25);
    for (const t of ['2021-11-07T05:00:00.000Z', '2021-11-08T05:59:59.999Z', '2021-11-07T04:59:59.999Z', '2021-11-08T06:00:00.000Z']) {
      const inRange = Date.parse(t) >= Date.parse(start!) && Date.parse(t) < Date.parse(end!);
      expect(inRange).toBe(countingDay(t, 'America/Chicago') === '2021-11-07');
    }
  });
});
