import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A span as received over OTLP/HTTP JSON, reduced to what the checks need. */
export interface TappedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  service: string;
}

interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value?: { stringValue?: string } }[] };
    scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number }[] }[];
  }[];
}

/**
 * A minimal OTLP/HTTP (JSON) trace receiver for demos and tests: the services export their
 * spans to it, it keeps them by trace id so a call's trace can be checked, and it forwards every
 * request unchanged to `upstream` (e.g. a Jaeger collector) when one is configured.
 */
export class TraceTap {
  private server?: Server;
  private readonly traces = new Map<string, TappedSpan[]>();
  received = 0;
  /** spans received per service, and of those the `pg.*` client spans (one per SQL statement) */
  readonly perService = new Map<string, { spans: number; pg: number }>();

  /** @param opts.keep false: only count spans (benchmarks), do not keep them by trace id */
  constructor(
    private readonly upstream?: string,
    private readonly opts: { keep?: boolean } = {},
  ) {}

  /** Starts listening on 127.0.0.1 (random port unless given). @returns the base URL */
  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.method === 'POST' && req.url === '/v1/traces') {
          try {
            this.ingest(JSON.parse(body.toString('utf8')) as OtlpJson);
          } catch {
            // protobuf or broken payloads are forwarded but not indexed
          }
          if (this.upstream) void this.forward(body, req.headers['content-type'] ?? 'application/json');
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private ingest(doc: OtlpJson): void {
    for (const rs of doc.resourceSpans ?? []) {
      const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue ?? 'unknown';
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.received++;
          const c = this.perService.get(service) ?? { spans: 0, pg: 0 };
          c.spans++;
          if (s.name.startsWith('pg.')) c.pg++;
          this.perService.set(service, c);
          if (this.opts.keep === false) continue;
          const list = this.traces.get(s.traceId) ?? [];
          list.push({ traceId: s.traceId, spanId: s.spanId, ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}), name: s.name, kind: s.kind, service });
          this.traces.set(s.traceId, list);
        }
      }
    }
  }

  private async forward(body: Buffer, contentType: string | string[]): Promise<void> {
    try {
      await fetch(`${this.upstream!.replace(/\/$/, '')}/v1/traces`, { method: 'POST', headers: { 'content-type': String(contentType) }, body });
    } catch {
      // the upstream viewer is optional
    }
  }

  spans(traceId: string): TappedSpan[] {
    return this.traces.get(traceId) ?? [];
  }

  /**
   * Checks one call's trace: a single tree (exactly one root span, every other span's parent
   * in the same trace) holding spans of every service in `services`.
   */
  checkTrace(traceId: string, services: readonly string[]): { complete: boolean; roots: number; orphans: number; services: string[]; spans: number; rootName?: string } {
    const spans = this.spans(traceId);
    const ids = new Set(spans.map((s) => s.spanId));
    const roots = spans.filter((s) => !s.parentSpanId);
    const orphans = spans.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId)).length;
    const present = [...new Set(spans.map((s) => s.service))].sort();
    const complete = roots.length === 1 && orphans === 0 && services.every((s) => present.includes(s));
    return { complete, roots: roots.length, orphans, services: present, spans: spans.length, ...(roots[0] ? { rootName: roots[0].name } : {}) };
  }
}
