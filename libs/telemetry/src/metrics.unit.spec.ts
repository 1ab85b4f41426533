import perfHooks from 'node:perf_hooks';
import { createMetrics, EVENT_LOOP_RESOLUTION_MS } from './metrics';

/**
 * The event-loop delay histogram of /metrics samples every 100 ms unless configured: prom-client's
 * own 10 ms is a timer that woke every idle service 100 times a second (issue 17, bench/idle.ts).
 */
describe('createMetrics: the event-loop delay histogram', () => {
  afterEach(() => jest.restoreAllMocks());

  it('samples every 100 ms by default and at the configured interval otherwise', async () => {
    const monitor = jest.spyOn(perfHooks, 'monitorEventLoopDelay');
    createMetrics('metrics-test');
    expect(EVENT_LOOP_RESOLUTION_MS).toBe(100);
    expect(monitor).toHaveBeenLastCalledWith(expect.objectContaining({ resolution: 100 }));
    const m = createMetrics('metrics-test', { eventLoopResolutionMs: 20 });
    expect(monitor).toHaveBeenLastCalledWith(expect.objectContaining({ resolution: 20 }));
    // the histogram is still published
    expect(await m.registry.metrics()).toMatch(/^nodejs_eventloop_lag_p99_seconds\{service="metrics-test"\} /m);
  });
});
