/**
 * kafkajs 2.2.4's request queue without its 1 ms timer loop (request-queue.ts): the replacement
 * schedules exactly when a request waits or a throttle lasts (unit cases), and on the real broker
 * an idle producer's connections stop calling `checkPendingRequests` between requests while
 * sending still works. The request-timeout check runs every second instead of every 100 ms, and a
 * request past its timeout still times out.
 */
import { logLevel, Partitioners } from 'kafkajs';
import { uniqueId } from '@cad110/testkit';
import { createKafka, ensureTopics } from './client';
import { fixKafkajsRequestQueue, kafkajsRequestQueue, REQUEST_TIMEOUT_CHECK_MS, scheduleCheckPendingRequests, scheduleRequestTimeoutCheck, type RequestQueueLike, type TimeoutCheckQueueLike } from './request-queue';

jest.setTimeout(60_000);

const queue = (over: Partial<RequestQueueLike> = {}) => {
  const q: RequestQueueLike & { checks: number } = {
    throttledUntil: -1,
    throttleCheckTimeoutId: null,
    pending: [],
    checks: 0,
    checkPendingRequests() {
      q.checks++;
    },
    ...over,
  };
  return q;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('scheduleCheckPendingRequests (the fix)', () => {
  it('sets no timer when no request waits and no throttle lasts (kafkajs set one for −1.8e12 ms, i.e. 1 ms, forever)', () => {
    const q = queue();
    scheduleCheckPendingRequests.call(q);
    expect(q.throttleCheckTimeoutId).toBeNull();
    const past = queue({ throttledUntil: Date.now() - 5 });
    scheduleCheckPendingRequests.call(past);
    expect(past.throttleCheckTimeoutId).toBeNull();
  });

  it('checks a waiting request after 10 ms without a throttle, and at the end of a throttle with one', async () => {
    const waiting = queue({ pending: [{}] });
    scheduleCheckPendingRequests.call(waiting);
    expect(waiting.throttleCheckTimeoutId).not.toBeNull();
    await sleep(40);
    expect(waiting.checks).toBe(1);
    expect(waiting.throttleCheckTimeoutId).toBeNull();

    const throttled = queue({ throttledUntil: Date.now() + 60 });
    scheduleCheckPendingRequests.call(throttled);
    await sleep(20);
    expect(throttled.checks).toBe(0);
    await sleep(100);
    expect(throttled.checks).toBe(1);
  });

  it('keeps a timer already set', () => {
    const t = setTimeout(() => undefined, 1000);
    const q = queue({ pending: [{}], throttleCheckTimeoutId: t });
    scheduleCheckPendingRequests.call(q);
    expect(q.throttleCheckTimeoutId).toBe(t);
    clearTimeout(t);
  });
});

describe('scheduleRequestTimeoutCheck (the coarser request-timeout check)', () => {
  const timeoutQueue = (requestTimeout: number, sentAgoMs: number) => {
    const q = {
      enforceRequestTimeout: true,
      requestTimeout,
      timedOut: 0,
      connected: true,
      inflight: new Map<unknown, { sentAt: number; requestTimeout: number; timeoutRequest(): void }>(),
      requestTimeoutIntervalId: undefined as ReturnType<typeof setInterval> | undefined,
      isConnected: () => q.connected,
      destroy() {
        clearInterval(q.requestTimeoutIntervalId);
      },
    };
    q.inflight.set(1, { sentAt: Date.now() - sentAgoMs, requestTimeout, timeoutRequest: () => q.timedOut++ });
    return q;
  };

  it('times a request out within a second of its deadline, not within 100 ms (kafkajs looked ten times a second)', async () => {
    const q = timeoutQueue(30_000, 31_000); // already past its 30 s
    scheduleRequestTimeoutCheck.call(q as TimeoutCheckQueueLike);
    try {
      await sleep(300);
      expect(q.timedOut).toBe(0); // kafkajs' 100 ms interval had timed it out twice by now
      await sleep(REQUEST_TIMEOUT_CHECK_MS + 200);
      expect(q.timedOut).toBeGreaterThanOrEqual(1);
    } finally {
      q.destroy();
    }
  });

  it('checks as often as a shorter request timeout, stops when the connection is gone, and does nothing when timeouts are not enforced', async () => {
    const short = timeoutQueue(50, 60);
    scheduleRequestTimeoutCheck.call(short as TimeoutCheckQueueLike);
    await sleep(200);
    expect(short.timedOut).toBeGreaterThanOrEqual(1);
    short.connected = false;
    await sleep(120);
    const after = short.timedOut;
    await sleep(200);
    expect(short.timedOut).toBe(after); // destroyed: no more checks
    const off = { ...timeoutQueue(50, 60), enforceRequestTimeout: false };
    scheduleRequestTimeoutCheck.call(off as TimeoutCheckQueueLike);
    expect(off.requestTimeoutIntervalId).toBeUndefined();
  });
});

describe('kafkajs with the fix, on the real broker', () => {
  it("a connecting client's request-timeout check runs every second", async () => {
    expect(fixKafkajsRequestQueue()).toBe(true);
    const proto = kafkajsRequestQueue().prototype;
    expect(proto.scheduleRequestTimeoutCheck).toBe(scheduleRequestTimeoutCheck);
    const queues: TimeoutCheckQueueLike[] = [];
    const installed = proto.scheduleRequestTimeoutCheck;
    proto.scheduleRequestTimeoutCheck = function (this: TimeoutCheckQueueLike) {
      queues.push(this);
      return installed.call(this);
    };
    const kafka = createKafka(uniqueId('rqt'), undefined, { logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    try {
      await producer.connect();
      expect(queues.length).toBeGreaterThan(0);
      // a Node Timeout keeps its interval in _idleTimeout; kafkajs' own was 100
      for (const q of queues) expect((q.requestTimeoutIntervalId as unknown as { _idleTimeout: number })._idleTimeout).toBe(REQUEST_TIMEOUT_CHECK_MS);
    } finally {
      proto.scheduleRequestTimeoutCheck = installed;
      await producer.disconnect();
    }
  });


  it('is installed, and an idle producer checks its queues no more than its requests need while sending still works', async () => {
    expect(fixKafkajsRequestQueue()).toBe(true);
    const proto = kafkajsRequestQueue().prototype;
    expect(proto.scheduleCheckPendingRequests).toBe(scheduleCheckPendingRequests);

    const kafka = createKafka(uniqueId('rq'), undefined, { logLevel: logLevel.NOTHING });
    const topic = uniqueId('t.rq.');
    await ensureTopics(kafka, [{ topic, numPartitions: 1 }]);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'first' }] });

    let checks = 0;
    const original = proto.checkPendingRequests;
    proto.checkPendingRequests = function (this: RequestQueueLike) {
      checks++;
      return original.call(this);
    };
    try {
      await sleep(1000);
      // kafkajs 2.2.4 without the fix: ~890 per second for this producer (a 1 ms timer loop)
      const idle = checks;
      expect(idle).toBeLessThan(20);
      // the counter sees the queues this producer uses: a response calls checkPendingRequests
      await producer.send({ topic, messages: [{ value: 'second' }] });
      expect(checks).toBeGreaterThan(idle);
    } finally {
      proto.checkPendingRequests = original;
      await producer.disconnect();
    }
  });
});
