import { Pool, type PoolConfig } from 'pg';

export interface ResilientPoolOptions extends PoolConfig {
  /**
   * Called for every connection error the pool absorbs (a PostgreSQL restart or failover
   * terminates every connection with 57P01 admin_shutdown): `where` is `idle` for a pooled
   * client, `checked-out` for one a caller holds. Log it; nothing else is needed.
   */
  onConnectionError?: (err: Error, where: 'idle' | 'checked-out') => void;
}

/**
 * A `pg` pool that survives a database restart: every client gets an `error` listener for its
 * whole life, not only while idle (`pg` emits `error` on a checked-out client whose connection
 * dies between queries; with no listener Node ends the process — issue 14: 57P01 ended records
 * and statistics). The broken client fails its next query, is dropped when released, and the
 * pool opens fresh connections on demand: callers retry, the process lives on.
 */
export function createResilientPool(opts: ResilientPoolOptions): Pool {
  const { onConnectionError, ...config } = opts;
  const report = onConnectionError ?? (() => undefined);
  const pool = new Pool(config);
  pool.on('error', (err) => report(err, 'idle'));
  pool.on('connect', (client) => {
    client.on('error', (err) => report(err, 'checked-out'));
  });
  return pool;
}
