/**
 * kafkajs 2.2.4's request queue without its 1 ms timer loop (request-queue.ts): the replacement
 * schedules exactly when a request waits or a throttle lasts (unit cases), and on the real broker
 * an idle producer's connections stop calling `checkPendingRequests` between requests while
 * sending still works.
 */
import { logLevel, Partitioners } from 'kafkajs';
import { uniqueId } from '@cad110/testkit';
import { createKafka, ensureTopics } from './client';
import { fixKafkajsRequestQueue, kafkajsRequestQueue, scheduleCheckPendingRequests, type RequestQueueLike } from './request-queue';

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

describe('kafkajs with the fix, on the real broker', () => {
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
