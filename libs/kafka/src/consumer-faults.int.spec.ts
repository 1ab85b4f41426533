import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { isConnectivityError } from './consumer-faults';

/** The error a real `pg` client gives when it cannot reach its server. */
async function connectError(connectionString: string): Promise<unknown> {
  const c = new Client({ connectionString, connectionTimeoutMillis: 2_000 });
  try {
    await c.connect();
  } catch (err) {
    return err;
  } finally {
    await c.end().catch(() => undefined);
  }
  throw new Error('connected');
}

/**
 * A database that is down is waited for, never dead-lettered — over TCP and over a Unix socket.
 * A stopped PostgreSQL removes its socket file, so a client configured with
 * `?host=/var/run/postgresql` gets ENOENT from connect (not ECONNREFUSED); that was not counted as
 * "down", and a consumer would have crashed (its restart budget spent) instead of waiting.
 */
describe('isConnectivityError (real pg client, nothing listening)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cad110-pgsock-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('counts a missing Unix socket (server stopped) as the database being down', async () => {
    const err = await connectError(`postgresql://postgres@localhost/x?host=${encodeURIComponent(dir)}`);
    expect((err as { code?: string }).code).toBe('ENOENT');
    expect(isConnectivityError(err)).toBe(true);
  });

  it('counts a refused TCP connection as the database being down', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address() as { port: number };
    await new Promise<void>((r) => srv.close(() => r())); // the port is free again: nothing listens
    const err = await connectError(`postgresql://postgres@127.0.0.1:${port}/x`);
    expect((err as { code?: string }).code).toBe('ECONNREFUSED');
    expect(isConnectivityError(err)).toBe(true);
  });

  it('does not count a missing file that is not a connection (a bug, not an outage)', () => {
    let err: unknown;
    try {
      readFileSync(join(dir, 'absent.json'));
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).toBe('ENOENT');
    expect(isConnectivityError(err)).toBe(false);
  });
});
