import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { RedactTokensSpanProcessor, redactTokens } from './redact';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsaS53ZWkiLCJyb2xlIjoiZGlzcGF0Y2hlciJ9.c2lnbmF0dXJl';

/** The attributes @opentelemetry/instrumentation-http gives a server span for `GET /incidents?access_token=…&status=pending`. */
const HTTP_ATTRIBUTES = {
  'url.query': `access_token=${TOKEN}&status=pending`,
  'url.full': `http://127.0.0.1:8082/incidents?access_token=${TOKEN}&status=pending`,
  'http.target': `/incidents?status=pending&access_token=${TOKEN}`,
  'http.request.header.authorization': `Bearer ${TOKEN}`,
  'http.request.method': 'GET',
};

function spanThrough(processors: SpanProcessor[], later: Record<string, string> = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [...processors, new SimpleSpanProcessor(exporter)] });
  const span = provider.getTracer('t').startSpan('GET', { attributes: HTTP_ATTRIBUTES });
  for (const [k, v] of Object.entries(later)) span.setAttribute(k, v);
  span.end();
  return JSON.stringify(exporter.getFinishedSpans().map((s) => s.attributes));
}

describe('no token in any span attribute (13.9)', () => {
  it('without the redacting processor the token reaches the exporter (what happened before)', () => {
    expect(spanThrough([])).toContain(TOKEN);
  });

  it('with it, no attribute set at start or later holds the token, and the rest is kept', () => {
    const out = spanThrough([new RedactTokensSpanProcessor()], { 'url.path': `/x?token=${TOKEN}` });
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain('c2lnbmF0dXJl');
    expect(out).toContain('access_token=REDACTED&status=pending');
    expect(out).toContain('Bearer REDACTED');
    expect(out).toContain('"http.request.method":"GET"');
  });

  it('redacts the query parameter names that carry tokens and nothing else', () => {
    expect(redactTokens('a=1&refresh_token=xyz&tokens=keep')).toBe('a=1&refresh_token=REDACTED&tokens=keep');
    expect(redactTokens('/p?id_token=abc#frag')).toBe('/p?id_token=REDACTED#frag');
    expect(redactTokens('mytoken=keep')).toBe('mytoken=keep');
  });
});
