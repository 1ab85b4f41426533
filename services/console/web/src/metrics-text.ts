/** One sample of the Prometheus text exposition format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses Prometheus text format 0.0.4 (what `GET /metrics` of every service returns) into
 * samples; comments and malformed lines are skipped. Values `NaN`, `+Inf`, `-Inf` are kept.
 */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) for (const l of m[3].matchAll(LABEL)) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    const v = m[4]!;
    const value = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
    out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include `where`. */
export function sumOf(samples: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + (Number.isFinite(s.value) ? s.value : 0), 0);
}

/** The figures the ops view shows for one service, from its metrics. */
export interface PipelineFigures {
  /** messages handled by the service's consumers (processed + duplicate), total */
  consumed: number;
  /** messages dead-lettered, total */
  deadLettered: number;
  /** messages the outbox relay sent to Kafka, total */
  produced: number;
  /** outbox rows waiting (-1 when the service could not read it) */
  outboxBacklog: number;
  /** messages behind the high watermarks, summed over partitions (last batch seen) */
  consumerLag: number;
  /** HTTP requests answered, total */
  httpRequests: number;
}

export function pipelineFigures(samples: readonly Sample[]): PipelineFigures {
  return {
    consumed: sumOf(samples, 'cad110_messages_consumed_total', { outcome: 'processed' }) + sumOf(samples, 'cad110_messages_consumed_total', { outcome: 'duplicate' }) + sumOf(samples, 'cad110_messages_consumed_total', { outcome: 'forwarded' }),
    deadLettered: sumOf(samples, 'cad110_messages_consumed_total', { outcome: 'dead-lettered' }),
    produced: sumOf(samples, 'cad110_messages_produced_total'),
    outboxBacklog: sumOf(samples, 'cad110_outbox_backlog'),
    consumerLag: sumOf(samples, 'cad110_consumer_lag'),
    httpRequests: sumOf(samples, 'cad110_http_request_seconds_count'),
  };
}

/** Rate per second of a counter between two readings (0 when the counter was reset or no time passed). */
export function ratePerSecond(before: number, after: number, seconds: number): number {
  if (seconds <= 0 || after < before) return 0;
  return (after - before) / seconds;
}
