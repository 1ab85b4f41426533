/**
 * Slows down password guessing: after `maxFailures` failed sign-ins for one username (any
 * address) or from one address (any username) within `windowSeconds`, further attempts for that
 * key are refused with 429 until the window has passed since the oldest counted failure. A
 * successful sign-in clears the username's failures. In memory, per console process.
 * Defaults (5 failures per 5 minutes per username, 20 per address) follow OWASP's
 * Authentication Cheat Sheet advice to throttle by account and by source, not a standard number.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxPerUser = 5,
    private readonly maxPerAddress = 20,
    private readonly windowSeconds = 300,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `username` from `address` may try again, or 0 when it may try now. */
  retryAfter(username: string, address: string): number {
    return Math.max(this.wait(`u:${username.toLowerCase()}`, this.maxPerUser), this.wait(`a:${address}`, this.maxPerAddress));
  }

  failed(username: string, address: string): void {
    for (const k of [`u:${username.toLowerCase()}`, `a:${address}`]) this.failures.set(k, [...this.recent(k), this.now()]);
    if (this.failures.size > 10_000) this.prune();
  }

  succeeded(username: string): void {
    this.failures.delete(`u:${username.toLowerCase()}`);
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
