import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * Credentials in text: `access_token=` / `refresh_token=` / `token=` / `id_token=` query
 * parameters (also percent-encoded names) and `Bearer <token>`.
 */
const TOKEN_PATTERNS: [RegExp, string][] = [
  [/((?:^|[?&;])(?:access_token|refresh_token|id_token|token)=)[^&#;\s]*/gi, '$1REDACTED'],
  [/(bearer\s+)[A-Za-z0-9\-._~+/]+=*/gi, '$1REDACTED'],
];

/** Cheap gate: a string that matches none of these cannot hold a token (most attribute values, e.g. SQL text). */
const MAY_HOLD_TOKEN = /token=|bearer\s/i;

/** `value` with every token in it replaced by `REDACTED` (see {@link TOKEN_PATTERNS}). */
export function redactTokens(value: string): string {
  if (!MAY_HOLD_TOKEN.test(value)) return value;
  let out = value;
  for (const [re, by] of TOKEN_PATTERNS) out = out.replace(re, by);
  return out;
}

function redactAttributes(attributes: Record<string, unknown>, set: (k: string, v: string) => void): void {
  for (const [k, v] of Object.entries(attributes)) {
    if (typeof v === 'string') {
      const r = redactTokens(v);
      if (r !== v) set(k, r);
    }
  }
}

/**
 * Removes access tokens from every string attribute of every span (issue 13.9: a token sent as
 * `?access_token=` to a route that refuses it reached the HTTP server span's `url.query`,
 * `url.full` and `http.target`). Runs first among the span processors: attributes given at start
 * are rewritten in `onStart` (the span still records), any set later in `onEnd`, before the
 * exporters see the span.
 */
export class RedactTokensSpanProcessor implements SpanProcessor {
  onStart(span: Span, _parent: Context): void {
    redactAttributes(span.attributes, (k, v) => span.setAttribute(k, v));
  }

  onEnd(span: ReadableSpan): void {
    const attrs = span.attributes as Record<string, unknown>;
    redactAttributes(attrs, (k, v) => (attrs[k] = v));
  }

  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
