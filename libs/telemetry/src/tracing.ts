import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { RedactTokensSpanProcessor } from './redact';

/** Keeps spans recording (real trace ids for traceparent) when no exporter is configured. */
class DiscardSpanProcessor implements SpanProcessor {
  onStart(): void {}
  onEnd(_span: ReadableSpan): void {}
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

/** Paths never traced: probes and scrapes would otherwise flood the trace store. */
/** Probes, scrapes and the console's live event stream (an hours-long request whose URL carries the token) are not traced. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/api/live']);

export interface TelemetryHandle {
  shutdown(): Promise<void>;
}

let started: TelemetryHandle | undefined;

/**
 * Starts the OpenTelemetry Node SDK for a service. Call it before express, pg or kafkajs are
 * imported (each service's `src/instrument.ts` is its first import).
 *
 * - HTTP server spans (root of a call's trace), express and pg spans (pg only under a parent,
 *   so polling loops do not create stray root traces).
 * - Export over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set;
 *   `extraExporter` adds another exporter (tests use an in-memory one).
 * - Sampling follows `OTEL_TRACES_SAMPLER`/`OTEL_TRACES_SAMPLER_ARG` (default parent-based always-on).
 */
export function startTelemetry(serviceName: string, opts: { extraExporter?: SpanExporter } = {}): TelemetryHandle {
  if (started) return started;
  process.env.OTEL_METRICS_EXPORTER ??= 'none';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  // first: no exporter may see a token in a span attribute
  const spanProcessors: SpanProcessor[] = [new RedactTokensSpanProcessor()];
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    spanProcessors.push(new BatchSpanProcessor(new OTLPTraceExporter(), { scheduledDelayMillis: 500, maxQueueSize: 65536, maxExportBatchSize: 2048 }));
  }
  if (opts.extraExporter) spanProcessors.push(new BatchSpanProcessor(opts.extraExporter, { scheduledDelayMillis: 100 }));
  if (spanProcessors.length === 1) spanProcessors.push(new DiscardSpanProcessor());

  const sdk = new NodeSDK({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName, 'service.namespace': 'cad110' }),
    spanProcessors,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
        ignoreOutgoingRequestHook: () => true,
      }),
      // route handlers only: one span per middleware would dwarf the useful ones
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true, enhancedDatabaseReporting: false }),
    ],
  });
  sdk.start();
  started = { shutdown: () => sdk.shutdown() };
  return started;
}

/** The cad110 tracer. */
export function tracer(): Tracer {
  return trace.getTracer('cad110');
}

/**
 * The active trace context, for work run later in the trace of what caused it (see
 * {@link inContext}): records opens a chunk's cases at the chunk's end, each in the trace of its
 * IncidentOpened message, so CaseOpened stays in the call's trace.
 */
export function activeContext(): Context {
  return context.active();
}

/** Runs `fn` with `ctx` (from {@link activeContext}) as the active trace context. */
export function inContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** W3C trace context of the active span as carrier fields (`traceparent`, `tracestate`). */
export function currentTraceCarrier(ctx: Context = context.active()): { traceparent?: string; tracestate?: string } {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  const out: { traceparent?: string; tracestate?: string } = {};
  if (carrier.traceparent) out.traceparent = carrier.traceparent;
  if (carrier.tracestate) out.tracestate = carrier.tracestate;
  return out;
}

/** Trace id (32 hex) from a traceparent header, or undefined. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent?.split('-')[1];
}

/**
 * Runs `fn` in a new root span `name`: a trace of its own, linked to the span active when it is
 * called. For one request that carries many independent things, each of which must have its own
 * trace (intake's `POST /calls/batch`: one trace per call, as with `POST /calls`); spans and
 * appended events inside `fn` belong to the new trace. The span ends when `fn` settles (status
 * ERROR when it throws).
 */
export function inOwnTrace<T>(name: string, attributes: Record<string, string | number | boolean>, fn: () => Promise<T>): Promise<T> {
  const parent = trace.getActiveSpan();
  return tracer().startActiveSpan(name, { root: true, kind: SpanKind.INTERNAL, attributes, ...(parent ? { links: [{ context: parent.spanContext() }] } : {}) }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}
