import type { Sql } from '@cad110/db';

/** Which failures a limit counts: this username from this address, any username from this address, this username from anywhere. */
export type ThrottleKey = 'pair' | 'address' | 'user';

/** Where failed sign-ins are kept. {@link PgLoginFailures} in the console; {@link MemoryLoginFailures} for unit tests. */
export interface LoginFailureStore {
  add(username: string, address: string, atMs: number): Promise<void>;
  /** a success: the pair's failures stop counting for the pair (they still count for the address and the username) */
  clearPair(username: string, address: string): Promise<void>;
  /**
   * Times (ms) of the `n`-th newest failure since `sinceMs` for each key, undefined where there are
   * fewer than `n`: `n` is per key (the key's limit).
   */
  nthNewest(username: string, address: string, n: Record<ThrottleKey, number>, sinceMs: number): Promise<Record<ThrottleKey, number | undefined>>;
  /** forgets failures older than `beforeMs` */
  prune(beforeMs: number): Promise<void>;
}

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
 * spoofed to reset the count. The failures are kept in the console's PostgreSQL
 * ({@link PgLoginFailures}, table `login_failures`), so every console instance behind a load
 * balancer counts the same failures (issue 19.5): a guesser gains nothing from being spread over them.
 * Limits follow OWASP's Authentication Cheat Sheet advice to throttle by account and by source
 * (its "account lockout" section warns that hard locks allow denial of service), not a standard number.
 */
export class LoginThrottle {
  private lastPrune = 0;

  constructor(
    private readonly store: LoginFailureStore,
    private readonly maxPerUserAndAddress = 5,
    private readonly maxPerAddress = 20,
    private readonly windowSeconds = 300,
    private readonly now: () => number = Date.now,
    private readonly maxPerUser = 100,
  ) {}

  /** Seconds until `username` from `address` may try again, or 0 when it may try now. */
  async retryAfter(username: string, address: string): Promise<number> {
    const now = this.now();
    const window = this.windowSeconds * 1000;
    const nth = await this.store.nthNewest(username.toLowerCase(), address, { pair: this.maxPerUserAndAddress, address: this.maxPerAddress, user: this.maxPerUser }, now - window);
    const waits = Object.values(nth).map((t) => (t === undefined ? 0 : Math.max(0, Math.ceil((t + window - now) / 1000))));
    return Math.max(0, ...waits);
  }

  async failed(username: string, address: string): Promise<void> {
    const now = this.now();
    await this.store.add(username.toLowerCase(), address, now);
    if (now - this.lastPrune > 60_000) {
      this.lastPrune = now;
      await this.store.prune(now - this.windowSeconds * 1000);
    }
  }

  /** A successful sign-in: clears the failures of this username from this address. */
  async succeeded(username: string, address: string): Promise<void> {
    await this.store.clearPair(username.toLowerCase(), address);
  }
}

/** Failed sign-ins in the console's database (table `login_failures`), shared by all console instances. */
export class PgLoginFailures implements LoginFailureStore {
  constructor(private readonly db: Sql) {}

  async add(username: string, address: string, atMs: number): Promise<void> {
    await this.db.exec('INSERT INTO login_failures (username, address, at) VALUES ($1, $2, $3)', [username, address, new Date(atMs)]);
  }

  async clearPair(username: string, address: string): Promise<void> {
    await this.db.exec('UPDATE login_failures SET pair_cleared = true WHERE username = $1 AND address = $2 AND NOT pair_cleared', [username, address]);
  }

  async nthNewest(username: string, address: string, n: Record<ThrottleKey, number>, sinceMs: number): Promise<Record<ThrottleKey, number | undefined>> {
    const nth = (where: string, offset: string) => `(SELECT at FROM login_failures WHERE ${where} AND at > $3 ORDER BY at DESC OFFSET ${offset} - 1 LIMIT 1)`;
    const [row] = await this.db.query<{ pair: Date | null; address: Date | null; user: Date | null }>(
      `SELECT ${nth('username = $1 AND address = $2 AND NOT pair_cleared', '$4::int')} AS pair,
              ${nth('address = $2', '$5::int')} AS address,
              ${nth('username = $1', '$6::int')} AS "user"`,
      [username, address, new Date(sinceMs), n.pair, n.address, n.user],
    );
    const ms = (d: Date | null | undefined) => (d ? d.getTime() : undefined);
    return { pair: ms(row?.pair), address: ms(row?.address), user: ms(row?.user) };
  }

  async prune(beforeMs: number): Promise<void> {
    await this.db.exec('DELETE FROM login_failures WHERE at <= $1', [new Date(beforeMs)]);
  }
}

/** Failed sign-ins in memory (one process): for unit tests of the limit's rules. */
export class MemoryLoginFailures implements LoginFailureStore {
  private rows: { username: string; address: string; at: number; pairCleared: boolean }[] = [];

  async add(username: string, address: string, atMs: number): Promise<void> {
    this.rows.push({ username, address, at: atMs, pairCleared: false });
  }

  async clearPair(username: string, address: string): Promise<void> {
    for (const r of this.rows) if (r.username === username && r.address === address) r.pairCleared = true;
  }

  async nthNewest(username: string, address: string, n: Record<ThrottleKey, number>, sinceMs: number): Promise<Record<ThrottleKey, number | undefined>> {
    const recent = this.rows.filter((r) => r.at > sinceMs);
    const nth = (rows: typeof recent, k: number) => rows.map((r) => r.at).sort((a, b) => b - a)[k - 1];
    return {
      pair: nth(recent.filter((r) => r.username === username && r.address === address && !r.pairCleared), n.pair),
      address: nth(recent.filter((r) => r.address === address), n.address),
      user: nth(recent.filter((r) => r.username === username), n.user),
    };
  }

  async prune(beforeMs: number): Promise<void> {
    this.rows = this.rows.filter((r) => r.at > beforeMs);
  }
}
