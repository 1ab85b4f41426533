import { Secret, TOTP } from 'otpauth';
import { recoveryHash, TOTP_PERIOD_SECONDS, totpCodeAt, verifyTotpCode } from './totp';

/** The verification window of the TOTP second factor: ±1 step of 30 s, each code once. */
describe('verifyTotpCode', () => {
  const secret = new Secret({ size: 20 }).base32;
  // the middle of a step, so ±30 s lands in the neighbouring steps
  const now = Date.parse('2026-12-06T01:00:15Z');
  const step = Math.floor(now / 1000 / TOTP_PERIOD_SECONDS);
  /** the code an authenticator app whose clock is `offsetSeconds` off shows now */
  const appCode = (offsetSeconds: number) => new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: now + offsetSeconds * 1000 });

  it('accepts the current code, and a clock 30 s behind or ahead (one step either side)', () => {
    expect(verifyTotpCode(secret, appCode(0), now)).toBe(step);
    expect(verifyTotpCode(secret, appCode(-30), now)).toBe(step - 1);
    expect(verifyTotpCode(secret, appCode(30), now)).toBe(step + 1);
  });

  it('refuses codes two steps away (60 s) and codes of another secret', () => {
    expect(verifyTotpCode(secret, appCode(-60), now)).toBeUndefined();
    expect(verifyTotpCode(secret, appCode(60), now)).toBeUndefined();
    expect(verifyTotpCode(secret, appCode(-3600), now)).toBeUndefined();
    const other = new Secret({ size: 20 }).base32;
    expect(verifyTotpCode(other, appCode(0), now)).toBeUndefined();
  });

  it('refuses a code of the last accepted step or an earlier one (no replay), and accepts a later one', () => {
    expect(verifyTotpCode(secret, appCode(0), now, step)).toBeUndefined();
    expect(verifyTotpCode(secret, appCode(-30), now, step - 1)).toBeUndefined();
    expect(verifyTotpCode(secret, appCode(-30), now, step)).toBeUndefined();
    expect(verifyTotpCode(secret, appCode(30), now, step)).toBe(step + 1);
    expect(verifyTotpCode(secret, appCode(0), now, null)).toBe(step);
  });

  it('refuses malformed codes', () => {
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456', `${appCode(0)} `]) expect(verifyTotpCode(secret, bad, now)).toBeUndefined();
  });

  it('agrees with the RFC 6238 test vector (SHA-1, 59 s → 94287082 in 8 digits; 287082 in 6)', () => {
    const rfc = Secret.fromUTF8('12345678901234567890').base32;
    expect(totpCodeAt(rfc, 59_000)).toBe('287082');
    expect(verifyTotpCode(rfc, '287082', 59_000)).toBe(1);
  });
});

describe('recoveryHash', () => {
  it('ignores case, spaces and the dash, and differs per user', () => {
    expect(recoveryHash('wang', 'ABCDE-FGHJK')).toBe(recoveryHash('wang', 'abcde fghjk'));
    expect(recoveryHash('wang', 'ABCDE-FGHJK')).not.toBe(recoveryHash('li', 'ABCDE-FGHJK'));
    expect(recoveryHash('wang', 'ABCDE-FGHJK')).toMatch(/^[0-9a-f]{64}$/);
  });
});
