/**
 * Slows down password guessing without letting a stranger lock someone else out: failures are
 * counted per username *and source address* (5 per 5 minutes), per source address for any
 * username (20), and per username from all addresses (100, a cap on guessing spread over many
 * addresses). A key over its limit is refused with 429 until the window has passed since the
 * oldest counted failure. So 5 wrong passwords typed for `dispatcher` from a stranger's desk
 * stop that desk, and the dispatcher signs in from their own workstation as before (issue 13.9;
 * the per-username-only lock before this let anyone lock any known user out). A successful
 * sign-in clears its username-and-address failures. The address is express's `req.ip`, which
 * believes X-Forwarded-For only from `CAD110_TRUSTED_PROXIES` (libs/http), so it cannot be
 * spoofed to reset the count. In memory, per console process.
 * Limits follow OWASP's Authentication Cheat Sheet advice to throttle by account and by source
 * (its "account lockout" section warns that hard locks allow denial of service), not a standard number.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxPerUserAndAddress = 5,
    private readonly maxPerAddress = 20,
    private readonly windowSeconds = 300,
    private readonly now: () => number = Date.now,
    private readonly maxPerUser = 100,
  ) {}

  private keys(username: string, address: string): [string, string, string] {
    const u = username.toLowerCase();
    return [`p:${u}\u0000${address}`, `a:${address}`, `u:${u}`];
  }

  /** Seconds until `username` from `address` may try again, or 0 when it may try now. */
  retryAfter(username: string, address: string): number {
    const [pair, addr, user] = this.keys(username, address);
    return Math.max(this.wait(pair, this.maxPerUserAndAddress), this.wait(addr, this.maxPerAddress), this.wait(user, this.maxPerUser));
  }

  failed(username: string, address: string): void {
    for (const k of this.keys(username, address)) this.failures.set(k, [...this.recent(k), this.now()]);
    if (this.failures.size > 10_000) this.prune();
  }

  /** A successful sign-in: clears the failures of this username from this address. */
  succeeded(username: string, address: string): void {
    this.failures.delete(this.keys(username, address)[0]);
  }

  private recent(key: string): number[] {
    const since = this.now() - this.windowSeconds * 1000;
    return (this.failures.get(key) ?? []).filter((t) => t > since);
  }

  private wait(key: string, max: number): number {
    const r = this.recent(key);
    if (r.length < max) return 0;
    return Math.ceil((r[r.length - max]! + this.windowSeconds * 1000 - this.now()) / 1000);
  }

  private prune(): void {
    for (const k of [...this.failures.keys()]) if (this.recent(k).length === 0) this.failures.delete(k);
  }
}
