import { randomUUID } from 'node:crypto';
import { SingleBar, Presets } from 'cli-progress';
import type { MappedCall } from './map-row';

export interface PostOptions {
  /** intake base URL, e.g. http://127.0.0.1:8081 */
  intakeUrl: string;
  /** offered rate in calls per second; 0 = as fast as intake accepts */
  rate?: number;
  /** requests in flight at once (default 16) */
  concurrency?: number;
  /** show a progress bar on stderr (default: when stderr is a TTY) */
  progress?: boolean;
  /** extra request headers (e.g. an Authorization token) */
  headers?: Record<string, string>;
  /** attempts per call on a connection error, 5xx or 429 (default 8; backoff 0.2 s doubling to 5 s) */
  attempts?: number;
}

export interface PostResult {
  accepted: { externalId: string; callId: string; version: number }[];
  failed: { externalId: string; status: number; detail: string }[];
  /** requests that failed and were retried (connection errors, 5xx, 429) */
  retried: number;
  seconds: number;
  callsPerSecond: number;
}

/**
 * Posts mapped calls to intake (`POST /calls`), keeping up to `concurrency` requests in flight
 * and, when `rate` > 0, starting call i no earlier than i / rate seconds after the first.
 * Every call is posted with its own `Idempotency-Key` (a UUID), and retried with that key on a
 * connection error, a 5xx or a 429 (up to `attempts`, backoff 0.2 s doubling to 5 s): intake
 * answers a retry of a call it already committed with the first response, so a call whose 201
 * was lost on the way is neither lost nor created twice. A 409 for an externalRef that already
 * exists counts as failed with its detail; other 4xx are not retried.
 */
export async function postCalls(calls: readonly MappedCall[], opts: PostOptions): Promise<PostResult> {
  const concurrency = Math.max(1, opts.concurrency ?? 16);
  const rate = opts.rate ?? 0;
  const showBar = opts.progress ?? process.stderr.isTTY;
  const bar = showBar ? new SingleBar({ format: 'replay |{bar}| {value}/{total} calls | {rate} calls/s | failed {failed}', hideCursor: true, stream: process.stderr }, Presets.shades_classic) : undefined;
  bar?.start(calls.length, 0, { rate: '0', failed: 0 });
  const result: PostResult = { accepted: [], failed: [], retried: 0, seconds: 0, callsPerSecond: 0 };
  const started = performance.now();
  let next = 0;
  const url = `${opts.intakeUrl.replace(/\/$/, '')}/calls`;
  const headers = { 'content-type': 'application/json', ...opts.headers };

  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= calls.length) return;
      if (rate > 0) {
        const due = started + (i * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const call = calls[i]!;
      const externalId = call.body.externalRef.id;
      const r = await postJson(url, call.body, { headers, attempts: opts.attempts, onRetry: () => void result.retried++ });
      const body = r.body as { callId?: string; version?: number; detail?: string; errors?: unknown };
      if (r.status === 201 && body.callId) result.accepted.push({ externalId, callId: body.callId, version: body.version ?? 0 });
      else result.failed.push({ externalId, status: r.status, detail: r.error ?? body.detail ?? JSON.stringify(body.errors ?? body) });
      const done = result.accepted.length + result.failed.length;
      if (bar && (done % 25 === 0 || done === calls.length)) {
        bar.update(done, { rate: (done / ((performance.now() - started) / 1000)).toFixed(0), failed: result.failed.length });
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  bar?.stop();
  result.seconds = (performance.now() - started) / 1000;
  result.callsPerSecond = result.accepted.length / Math.max(result.seconds, 1e-9);
  return result;
}

/**
 * POSTs JSON with an `Idempotency-Key` (given, else a new UUID kept for every attempt) and retries
 * on a connection error, a 5xx or a 429 with backoff (0.2 s doubling to 5 s, `attempts` default 8).
 * @returns the last answer: HTTP status (0 = no answer) and parsed body, or the connection error
 */
export async function postJson(
  url: string,
  body: unknown,
  opts: { headers?: Record<string, string>; attempts?: number; idempotencyKey?: string; timeoutMs?: number; onRetry?: (status: number) => void } = {},
): Promise<{ status: number; body: unknown; error?: string; attempts: number }> {
  const attempts = Math.max(1, opts.attempts ?? 8);
  const headers = { 'content-type': 'application/json', ...opts.headers, 'idempotency-key': opts.idempotencyKey ?? randomUUID() };
  let last: { status: number; body: unknown; error?: string; attempts: number } = { status: 0, body: {}, attempts: 0 };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
      last = { status: res.status, body: await res.json().catch(() => ({})), attempts: attempt };
      if (res.status < 500 && res.status !== 429) return last;
    } catch (e) {
      last = { status: 0, body: {}, error: (e as Error).message, attempts: attempt };
    }
    if (attempt < attempts) {
      opts.onRetry?.(last.status);
      await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** (attempt - 1))));
    }
  }
  return last;
}
