import { localParts, localToUtc, daysBetween, bureauTimeZone } from './time';

describe('time zones', () => {
  it('puts an instant on the local day of the bureau (Asia/Shanghai, UTC+8)', () => {
    expect(localParts('2026-11-29T16:30:00Z', 'Asia/Shanghai')).toMatchObject({ day: '2026-11-30', hour: 0, weekday: 1, hourOfWeek: 0 });
  });

  it('converts local wall-clock text to UTC in summer and winter (America/Chicago)', () => {
    expect(localToUtc('2020-07-13 23:55:47', 'America/Chicago')).toBe('2020-07-14T04:55:47.000Z');
    expect(localToUtc('2023-01-01 00:00:05', 'America/Los_Angeles')).toBe('2023-01-01T08:00:05.000Z');
  });

  it('takes the standard-time instant in the repeated hour of a DST fall-back', () => {
    // 2020-11-01 01:30 happens twice in Chicago: 06:30Z (CDT) and 07:30Z (CST)
    expect(localToUtc('2020-11-01 01:30:00', 'America/Chicago')).toBe('2020-11-01T07:30:00.000Z');
    expect(localToUtc('2020-11-01 00:30:00', 'America/Chicago')).toBe('2020-11-01T05:30:00.000Z');
  });

  it('a DST day keeps local midnight boundaries (23-hour day)', () => {
    expect(localParts('2020-03-08T05:59:59Z', 'America/Chicago').day).toBe('2020-03-07');
    expect(localParts('2020-03-08T06:00:00Z', 'America/Chicago').day).toBe('2020-03-08');
    expect(localParts('2020-03-09T04:59:59Z', 'America/Chicago').day).toBe('2020-03-08');
  });

  it('lists days inclusively', () => {
    expect(daysBetween('2020-02-28', '2020-03-01')).toEqual(['2020-02-28', '2020-02-29', '2020-03-01']);
  });

  it('defaults to Asia/Shanghai and refuses unknown zones', () => {
    expect(bureauTimeZone({})).toBe('Asia/Shanghai');
    expect(() => bureauTimeZone({ BUREAU_TIME_ZONE: 'Mars/Olympus' })).toThrow(/unknown IANA time zone/);
  });

  it('rejects unparseable local times', () => {
    expect(() => localToUtc('13/07/2020', 'America/Chicago')).toThrow(/invalid local time/);
  });
});
