import { sqlState } from '@cad110/db';

/**
 * SQLSTATE classes / errno codes meaning "the database or network is down" (a restart: 57P01
 * admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now; class 08 connection
 * exceptions; 53300 too many connections): retried in-process, never dead-lettered.
 */
export function isConnectivityError(err: unknown): boolean {
  const state = sqlState(err);
  if (state && (state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03' || state === '53300')) return true;
  const { code, syscall } = (err as { code?: string; syscall?: string }) ?? {};
  // over a Unix socket (POSTGRES_URL `?host=/var/run/postgresql`) a stopped server has removed its
  // socket file: connect fails with ENOENT, not ECONNREFUSED
  if (code === 'ENOENT' && syscall === 'connect') return true;
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTCONN', 'P1001', 'P1017'].includes(code ?? '') ||
    /Can't reach database|Connection terminated|terminating connection|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery)|timeout exceeded when trying to connect/i.test(String((err as Error)?.message))
  );
}

/** True for a kafkajs error the client may retry (leader moved, broker down, request timed out). */
export function isRetriableKafkaError(err: unknown): boolean {
  for (let e = err as { retriable?: boolean; cause?: unknown; name?: string } | undefined; e; e = e.cause as typeof e) {
    if (e.retriable === true) return true;
    if (e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSRequestTimeoutError' || e.name === 'KafkaJSBrokerNotFound') return true;
  }
  return false;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A restart budget: at most `max` restarts within any `windowMs` (sliding), so rare transient
 * crashes over a long life never add up to an exit, while a fault that does not heal still does.
 */
export class RestartBudget {
  private readonly times: number[] = [];
  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a restart. @returns false when it exceeds the budget */
  take(): boolean {
    const t = this.now();
    while (this.times.length && this.times[0]! <= t - this.windowMs) this.times.shift();
    this.times.push(t);
    return this.times.length <= this.max;
  }

  /** Restarts counted in the current window. */
  get used(): number {
    const t = this.now();
    return this.times.filter((x) => x > t - this.windowMs).length;
  }
}

