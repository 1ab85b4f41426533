import { bureauOffset, bureauTime } from './bureau-time';

describe('bureauTime (times in the bureau zone with its offset, issue 13 item 7)', () => {
  const tz = process.env.TZ;
  beforeAll(() => {
    process.env.TZ = 'America/Los_Angeles'; // the browser's zone differs from the bureau's
  });
  afterAll(() => {
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
  });

  it('shows a duty level change time in Asia/Shanghai with +08:00, not in the browser zone', () => {
    expect(bureauTime('2026-12-05T16:30:00.000Z', 'Asia/Shanghai')).toBe('2026-12-06 00:30:00 +08:00');
    expect(bureauTime('2026-12-05T16:30:00.000Z', 'Asia/Shanghai', { withDate: false })).toBe('00:30:00 +08:00');
    expect(bureauTime('2026-12-05T16:30:00.000Z', 'Asia/Shanghai', { withDate: false, withOffset: false })).toBe('00:30:00');
    expect(bureauOffset('Asia/Shanghai', '2026-12-05T16:30:00.000Z')).toBe('+08:00');
    expect(bureauOffset('Europe/Berlin', '2026-07-01T12:00:00.000Z')).toBe('+02:00');
    expect(bureauOffset('UTC', '2026-07-01T12:00:00.000Z')).toBe('+00:00');
  });

  it('uses the configured zone and its offset at that instant (summer time elsewhere), UTC as +00:00', () => {
    expect(bureauTime('2026-07-01T12:00:00.000Z', 'Europe/Berlin')).toBe('2026-07-01 14:00:00 +02:00');
    expect(bureauTime('2026-01-01T12:00:00.000Z', 'Europe/Berlin')).toBe('2026-01-01 13:00:00 +01:00');
    expect(bureauTime('2026-01-01T12:00:00.000Z', 'UTC')).toBe('2026-01-01 12:00:00 +00:00');
  });

  it('answers — for a missing or invalid instant', () => {
    expect(bureauTime(null, 'Asia/Shanghai')).toBe('—');
    expect(bureauTime('nope', 'Asia/Shanghai')).toBe('—');
  });
});
