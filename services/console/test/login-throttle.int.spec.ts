/**
 * The sign-in limit is shared by every console instance (issue 19.5): two LoginThrottles, each
 * with its own pool on one console database (as two console processes behind a load balancer),
 * count the same failures in `login_failures`.
 */
import { join } from 'node:path';
import { Pool } from 'pg';
import { sqlOf } from '@cad110/db';
import { tempDatabase } from '@cad110/testkit';
import { LoginThrottle, PgLoginFailures } from '../src/auth/login-throttle';

describe('LoginThrottle on PostgreSQL, two console instances', () => {
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  const pools: Pool[] = [];
  let now = Date.parse('2026-12-05T21:00:00Z');
  const clock = () => now;
  /** a console instance's throttle: its own pool on the shared database */
  const instance = () => {
    const pool = new Pool({ connectionString: db.url, max: 2 });
    pools.push(pool);
    return new LoginThrottle(new PgLoginFailures(sqlOf(pool)), 5, 20, 300, clock);
  };

  beforeAll(async () => {
    db = await tempDatabase(join(__dirname, '..', 'prisma', 'migrations'));
  });

  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await db?.drop();
  });

  it('counts failures made on either instance: 3 on one and 2 on the other stop the pair on both', async () => {
    const [a, b] = [instance(), instance()];
    for (let i = 0; i < 3; i++) await a.failed('Wang', '10.0.0.1');
    now += 10_000;
    expect(await b.retryAfter('wang', '10.0.0.1')).toBe(0);
    for (let i = 0; i < 2; i++) await b.failed('wang', '10.0.0.1');
    // the oldest counted failure is 10 s old: 290 s left, on both instances
    expect(await a.retryAfter('WANG', '10.0.0.1')).toBe(290);
    expect(await b.retryAfter('wang', '10.0.0.1')).toBe(290);
    // a stranger cannot lock the owner out: the same username from another address is free
    expect(await a.retryAfter('wang', '10.0.0.2')).toBe(0);
    now += 290_000;
    expect(await b.retryAfter('wang', '10.0.0.1')).toBe(0);
  });

  it('a success on one instance clears the pair on the other; the failures still count for the address', async () => {
    const [a, b] = [instance(), instance()];
    for (let i = 0; i < 5; i++) await a.failed('li', '10.0.1.1');
    expect(await b.retryAfter('li', '10.0.1.1')).toBeGreaterThan(0);
    await b.succeeded('li', '10.0.1.1');
    expect(await a.retryAfter('li', '10.0.1.1')).toBe(0);
    for (let i = 0; i < 15; i++) await (i % 2 ? a : b).failed(`user${i}`, '10.0.1.1');
    // 5 + 15 = 20 failures from the address on the two instances
    expect(await a.retryAfter('someone', '10.0.1.1')).toBeGreaterThan(0);
    expect(await b.retryAfter('someone', '10.0.1.2')).toBe(0);
  });

  it('caps a username guessed from many addresses across instances (100 per window), and forgets old failures', async () => {
    const [a, b] = [instance(), instance()];
    for (let i = 0; i < 100; i++) await (i % 2 ? a : b).failed('admin', `10.2.${i >> 4}.${i & 15}`);
    expect(await a.retryAfter('admin', '10.3.0.1')).toBeGreaterThan(0);
    expect(await b.retryAfter('someone-else', '10.3.0.1')).toBe(0);
    now += 301_000;
    await a.failed('x', '10.9.0.1'); // prunes what is older than the window
    const [row] = await sqlOf(pools[0]!).query<{ n: number }>('SELECT count(*)::int AS n FROM login_failures');
    expect(row?.n).toBe(1);
  });
});
