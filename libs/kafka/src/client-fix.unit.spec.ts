/**
 * Loading libs/kafka's client (as every service does through libs/runtime) installs the fix of
 * kafkajs' request-queue timer loop (request-queue.ts) — this spec imports only `./client`.
 */
import { createRequire } from 'node:module';
import { createKafka } from './client';

describe('libs/kafka client', () => {
  it('loads with kafkajs’ RequestQueue setting no timer when nothing waits and no throttle lasts', () => {
    expect(typeof createKafka).toBe('function');
    const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue') as { prototype: { scheduleCheckPendingRequests(this: object): void } };
    const idle = { throttledUntil: -1, throttleCheckTimeoutId: null as unknown, pending: [] as unknown[], checkPendingRequests: () => undefined };
    RequestQueue.prototype.scheduleCheckPendingRequests.call(idle);
    // kafkajs 2.2.4's own method sets a 1 ms timer here (and Node 24 warns: TimeoutNegativeWarning)
    expect(idle.throttleCheckTimeoutId).toBeNull();
    const waiting = { ...idle, pending: [{}] };
    RequestQueue.prototype.scheduleCheckPendingRequests.call(waiting);
    expect(waiting.throttleCheckTimeoutId).not.toBeNull();
    clearTimeout(waiting.throttleCheckTimeoutId as ReturnType<typeof setTimeout>);
  });
});
