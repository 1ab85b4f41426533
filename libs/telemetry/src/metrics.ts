import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** prom-client's Gauge and Registry, for a service's own scrape-time gauges (dispatch's ops gauges). */
export { Gauge, Registry };

/**
 * Prometheus metrics of one service (text format at `GET /metrics`).
 * - `cad110_messages_consumed_total{topic,outcome}` outcome = processed | duplicate | ignored | dead-lettered | failed (the console's live feed: forwarded | skipped | unwatched)
 * - `cad110_messages_produced_total{topic}`
 * - `cad110_message_handling_seconds{topic}` histogram of per-message handling time (seconds)
 * - `cad110_outbox_backlog` rows waiting in the outbox (read at scrape time)
 * - `cad110_outbox_idle_poll_rows_total` outbox rows a relay found only on its idle poll: nobody
 *   nudged it for them (`OUTBOX_IDLE_INTERVAL_MS`). It stays 0 (or nearly: a row committed in the
 *   instant a poll runs) unless a writer died between its commit and its nudge, its instance's
 *   relay had stopped, a round gave up on a relay lock another instance held over 2 s, or an
 *   append path does not nudge — then its rows wait up to that interval
 * - `cad110_consumer_lag{topic,partition}` messages behind the partition's high watermark
 * - `cad110_http_request_seconds{method,route,status}` histogram
 */
export interface ServiceMetrics {
  registry: Registry;
  consumed: Counter<'topic' | 'outcome'>;
  produced: Counter<'topic'>;
  handlingSeconds: Histogram<'topic'>;
  outboxBacklog: Gauge;
  outboxIdlePollRows: Counter;
  consumerLag: Gauge<'topic' | 'partition'>;
  httpSeconds: Histogram<'method' | 'route' | 'status'>;
  /** sets the function used to read the outbox backlog at scrape time */
  setOutboxBacklogReader(fn: () => Promise<number>): void;
}

/**
 * The default sampling interval of the event-loop delay histogram (`nodejs_eventloop_lag_*`),
 * milliseconds. prom-client's default is 10 ms: a timer that wakes an otherwise idle service 100
 * times a second, which was about a third of each idle service's CPU (bench/idle.ts, issue 17).
 * At 100 ms the histogram still records every delay that holds up one of its ticks (a blocked loop
 * of 100 ms or more always does; a shorter block does when it overlaps a tick).
 *
 * Reading the gauges: Node's histogram records the time from one tick to the next, interval
 * included, so `nodejs_eventloop_lag_{min,mean,p50,p90,p99,max}_seconds` sit at about the interval
 * on an idle loop (0.100 s now, 0.010 s with prom-client's default): the loop's delay is the value
 * minus the interval. `nodejs_eventloop_lag_seconds` (measured at scrape time) has no such floor.
 */
export const EVENT_LOOP_RESOLUTION_MS = 100;

/**
 * Creates a service's registry with Node's default metrics and the cad110 metrics above.
 * @param service the `service` label of every metric
 * @param opts.eventLoopResolutionMs sampling interval of the event-loop delay histogram,
 *   milliseconds (`METRICS_EVENT_LOOP_RESOLUTION_MS`; default {@link EVENT_LOOP_RESOLUTION_MS})
 */
export function createMetrics(service: string, opts: { eventLoopResolutionMs?: number } = {}): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: opts.eventLoopResolutionMs ?? EVENT_LOOP_RESOLUTION_MS });
  let backlogReader: (() => Promise<number>) | undefined;
  const outboxBacklog = new Gauge({
    name: 'cad110_outbox_backlog',
    help: 'Outbox rows not yet published to Kafka',
    registers: [registry],
    async collect() {
      if (backlogReader) this.set(await backlogReader().catch(() => -1));
    },
  });
  return {
    registry,
    consumed: new Counter({ name: 'cad110_messages_consumed_total', help: 'Kafka messages consumed', labelNames: ['topic', 'outcome'], registers: [registry] }),
    produced: new Counter({ name: 'cad110_messages_produced_total', help: 'Kafka messages produced', labelNames: ['topic'], registers: [registry] }),
    handlingSeconds: new Histogram({
      name: 'cad110_message_handling_seconds',
      help: 'Time to handle one consumed message, seconds',
      labelNames: ['topic'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    outboxBacklog,
    outboxIdlePollRows: new Counter({
      name: 'cad110_outbox_idle_poll_rows_total',
      help: 'Outbox rows a relay found only on its idle poll (no nudge came for them)',
      registers: [registry],
    }),
    consumerLag: new Gauge({ name: 'cad110_consumer_lag', help: 'Messages behind the high watermark', labelNames: ['topic', 'partition'], registers: [registry] }),
    httpSeconds: new Histogram({
      name: 'cad110_http_request_seconds',
      help: 'HTTP request duration, seconds',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    setOutboxBacklogReader(fn) {
      backlogReader = fn;
    },
  };
}
