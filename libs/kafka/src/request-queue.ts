/**
 * Two fixes of kafkajs 2.2.4's request queue, applied when libs/kafka is loaded (every cad110
 * process that talks to Kafka loads it before it creates a client): the 1 ms loop below, and the
 * request-timeout check's 100 ms interval ({@link scheduleRequestTimeoutCheck}).
 *
 * kafkajs' `RequestQueue.checkPendingRequests` runs after every response and ends by calling
 * `scheduleCheckPendingRequests`, which sets a timer for `throttledUntil − now` even when no
 * request is waiting and the broker throttles nothing. `throttledUntil` starts at −1, so the delay
 * is about −1.8 × 10¹² ms: Node runs the timer after 1 ms (printing `TimeoutNegativeWarning` from
 * Node 24 on), the timer calls `checkPendingRequests` again, and so on — a 1 ms loop on every broker
 * connection for the life of the process, busy or idle (kafkajs issues #1556, #1604, #1704, #1751;
 * unmerged PRs #1667, #1768). The replacement below schedules a check only when a request waits
 * (as before: at the end of the throttle, else after 10 ms) or while a throttle lasts; with nothing
 * waiting and no throttle there is nothing to check, so it sets no timer. Requests pushed later
 * schedule their own check (`push`), so none is left waiting.
 */
import { createRequire } from 'node:module';

/** kafkajs' `CHECK_PENDING_REQUESTS_INTERVAL` (src/network/requestQueue/index.js), ms. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

/** The fields of kafkajs' RequestQueue the fix reads and writes. */
export interface RequestQueueLike {
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

/**
 * kafkajs' `scheduleCheckPendingRequests` without the 1 ms loop: sets no timer when no request
 * waits and no throttle lasts; otherwise as kafkajs (a waiting request is checked at the end of the
 * throttle, or after 10 ms without one).
 */
export function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId) return;
  let scheduleAt = this.throttledUntil - Date.now();
  if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  else if (scheduleAt <= 0) return;
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, scheduleAt);
}

/** How often a connection looks for requests past their timeout, ms (kafkajs: every 100 ms). */
export const REQUEST_TIMEOUT_CHECK_MS = 1000;

/** The fields of kafkajs' RequestQueue {@link scheduleRequestTimeoutCheck} reads and writes. */
export interface TimeoutCheckQueueLike {
  enforceRequestTimeout: boolean;
  /** the client's `requestTimeout`, ms (kafkajs default 30,000) */
  requestTimeout: number;
  inflight: Map<unknown, { sentAt: number; requestTimeout: number; timeoutRequest(): void }>;
  requestTimeoutIntervalId?: ReturnType<typeof setInterval>;
  isConnected(): boolean;
  destroy(): void;
}

/**
 * kafkajs' `scheduleRequestTimeoutCheck` (called when a connection connects) with a coarser
 * interval: every connection ran a 100 ms interval for its whole life to find requests past their
 * timeout (30 s by default) and to notice a lost socket — ten wake-ups a second per connection of
 * an idle service (issue 17, bench/idle.ts). Now every {@link REQUEST_TIMEOUT_CHECK_MS} (or the
 * request timeout, if shorter): a request still times out, at most that much after its deadline;
 * the socket's own close and error events, not this check, are what reconnect a lost connection.
 */
export function scheduleRequestTimeoutCheck(this: TimeoutCheckQueueLike): void {
  if (!this.enforceRequestTimeout) return;
  this.destroy();
  this.requestTimeoutIntervalId = setInterval(
    () => {
      this.inflight.forEach((request) => {
        if (Date.now() - request.sentAt > request.requestTimeout) request.timeoutRequest();
      });
      if (!this.isConnected()) this.destroy();
    },
    Math.min(this.requestTimeout, REQUEST_TIMEOUT_CHECK_MS),
  );
}

/** The kafkajs version whose RequestQueue this replacement was written against (package-lock pins it). */
export const FIXED_KAFKAJS_VERSION = '2.2.4';

/** kafkajs' RequestQueue class (the module every kafkajs connection requires). */
export function kafkajsRequestQueue(): { prototype: RequestQueueLike & { scheduleCheckPendingRequests: () => void; scheduleRequestTimeoutCheck: () => void } } {
  return createRequire(__filename)('kafkajs/src/network/requestQueue') as never;
}

/**
 * Installs the fix (idempotent) when the installed kafkajs is {@link FIXED_KAFKAJS_VERSION}; another
 * version is left as it is (its internals may differ: libs/kafka's client-fix.unit.spec then fails,
 * so an upgrade is checked against this file).
 * @returns whether kafkajs' RequestQueue now uses it
 */
export function fixKafkajsRequestQueue(): boolean {
  try {
    const require = createRequire(__filename);
    if ((require('kafkajs/package.json') as { version?: string }).version !== FIXED_KAFKAJS_VERSION) return false;
    const RequestQueue = kafkajsRequestQueue();
    if (typeof RequestQueue?.prototype?.scheduleCheckPendingRequests !== 'function' || typeof RequestQueue.prototype.scheduleRequestTimeoutCheck !== 'function') return false;
    RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
    RequestQueue.prototype.scheduleRequestTimeoutCheck = scheduleRequestTimeoutCheck as unknown as () => void;
    return true;
  } catch {
    return false; // kafkajs' internal layout moved: nothing replaced
  }
}

fixKafkajsRequestQueue();
