import type { IHeaders } from 'kafkajs';
import { context, propagation, type Context } from '@opentelemetry/api';

/** Reads Kafka headers (Buffers) as strings. */
export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}

/** Context carrying the producer span found in the message's W3C `traceparent` header. */
export function extractContext(headers: IHeaders | undefined): Context {
  return propagation.extract(context.active(), headersToStrings(headers));
}

