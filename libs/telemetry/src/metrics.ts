import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** prom-client's Gauge and Registry, for a service's own scrape-time gauges (dispatch's ops gauges). */
export { Gauge, Registry };

/**
 * Prometheus metrics of one service (text format at `GET /metrics`).
 * - `cad110_messages_consumed_total{topic,outcome}` outcome = processed | duplicate | ignored | dead-lettered | failed (the console's live feed: forwarded | skipped | unwatched)
 * - `cad110_messages_produced_total{topic}`
 * - `cad110_message_handling_seconds{topic}` histogram of per-message handling time (seconds)
 * - `cad110_outbox_backlog` rows waiting in the outbox (read at scrape time)
 * - `cad110_consumer_lag{topic,partition}` messages behind the partition's high watermark
 * - `cad110_http_request_seconds{method,route,status}` histogram
 */
export interface ServiceMetrics {
  registry: Registry;
  consumed: Counter<'topic' | 'outcome'>;
  produced: Counter<'topic'>;
  handlingSeconds: Histogram<'topic'>;
  outboxBacklog: Gauge;
  consumerLag: Gauge<'topic' | 'partition'>;
  httpSeconds: Histogram<'method' | 'route' | 'status'>;
  /** sets the function used to read the outbox backlog at scrape time */
  setOutboxBacklogReader(fn: () => Promise<number>): void;
}

export function createMetrics(service: string): ServiceMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
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
