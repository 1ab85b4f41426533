import { LoginThrottle } from './login-throttle';

describe('LoginThrottle', () => {
  let now = 1_000_000;
  const clock = () => now;

  it('locks a username after 5 failures within 5 minutes, until the oldest one is 5 minutes old', () => {
    const t = new LoginThrottle(5, 20, 300, clock);
    for (let i = 0; i < 4; i++) {
      t.failed('Wang', '10.0.0.1');
      now += 10_000;
    }
    expect(t.retryAfter('wang', '10.0.0.2')).toBe(0);
    t.failed('wang', '10.0.0.3');
    // first failure at 1_000_000; now = 1_040_000 → 260 s left
    expect(t.retryAfter('WANG', '10.0.0.9')).toBe(260);
    now += 260_000;
    expect(t.retryAfter('wang', '10.0.0.9')).toBe(0);
  });

  it('locks an address after 20 failures for any usernames, and a success clears only the username', () => {
    const t = new LoginThrottle(5, 20, 300, clock);
    for (let i = 0; i < 20; i++) t.failed(`user${i}`, '10.0.0.7');
    expect(t.retryAfter('someone', '10.0.0.7')).toBeGreaterThan(0);
    expect(t.retryAfter('someone', '10.0.0.8')).toBe(0);
    for (let i = 0; i < 5; i++) t.failed('li', '10.0.1.1');
    expect(t.retryAfter('li', '10.0.1.2')).toBeGreaterThan(0);
    t.succeeded('li');
    expect(t.retryAfter('li', '10.0.1.2')).toBe(0);
  });
});
