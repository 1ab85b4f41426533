import { randomUUID } from 'node:crypto';
import { SingleBar, Presets } from 'cli-progress';
import type { MappedCall } from './map-row';

export interface PostOptions {
  /** intake base URL, e.g. http://127.0.0.1:8081 */
  intakeUrl: string;
  /** offered rate in calls per second; 0 = as fast as intake accepts */
  rate?: number;
  /**
   * requests in flight at once (default 16). With batches (`batchSize` > 1) at most
   * {@link BATCHES_IN_FLIGHT} batches are in flight whatever this says (a batch is a transaction
   * of up to 100 calls; more at once only queue on intake's two cores).
   */
  concurrency?: number;
  /**
   * most calls per request (default {@link BATCH_MAX_CALLS}): calls go in `POST /calls/batch`
   * requests of up to this many calls and under {@link BATCH_MAX_BYTES} bytes; 1 = one
   * `POST /calls` per call (the live path, as the benchmark measures it)
   */
  batchSize?: number;
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
  /** requests (a whole batch, or one item of a batch answered 5xx / 429) that failed and were retried */
  retried: number;
  seconds: number;
  callsPerSecond: number;
}

/** Most calls in one `POST /calls/batch` (intake's limit). */
export const BATCH_MAX_CALLS = 100;
/** A batch's body stays under this many bytes (intake's JSON body limit is 64 kB). */
export const BATCH_MAX_BYTES = 60_000;
/** Most batches in flight at once. */
export const BATCHES_IN_FLIGHT = 4;
/** Time allowed for one batch request (a hundred creates on a loaded machine), ms. */
const BATCH_TIMEOUT_MS = 60_000;

/**
 * Posts mapped calls to intake and, when `rate` > 0, sends call i no earlier than i / rate
 * seconds after the first.
 *
 * By default the calls go in batches (`POST /calls/batch`, one transaction per batch in intake):
 * a batch takes the next calls — with `rate`, only those already due, so at a low rate a batch is
 * one or a few calls and none waits for a batch to fill — up to `batchSize` calls and
 * {@link BATCH_MAX_BYTES} bytes, with up to {@link BATCHES_IN_FLIGHT} batches in flight. With
 * `batchSize: 1` every call is its own `POST /calls`, `concurrency` in flight.
 *
 * Every call has its own `Idempotency-Key` (a UUID, the item's key in a batch), kept for every
 * retry: a request is retried on a connection error, a 5xx or a 429 (a batch as a whole; then
 * any item of it answered 5xx or 429 again in a later batch), up to `attempts`, backoff 0.2 s
 * doubling to 5 s. Intake answers a retry of a call it already committed with the first response,
 * so a call whose answer was lost on the way is neither lost nor created twice. A 409 for an
 * externalRef that already exists counts as failed with its detail; other 4xx are not retried.
 */
export async function postCalls(calls: readonly MappedCall[], opts: PostOptions): Promise<PostResult> {
  const concurrency = Math.max(1, opts.concurrency ?? 16);
  const batchSize = Math.min(BATCH_MAX_CALLS, Math.max(1, Math.floor(Number.isFinite(opts.batchSize) ? opts.batchSize! : BATCH_MAX_CALLS)));
  const rate = opts.rate ?? 0;
  const attempts = Math.max(1, opts.attempts ?? 8);
  const showBar = opts.progress ?? process.stderr.isTTY;
  const bar = showBar ? new SingleBar({ format: 'replay |{bar}| {value}/{total} calls | {rate} calls/s | failed {failed}', hideCursor: true, stream: process.stderr }, Presets.shades_classic) : undefined;
  bar?.start(calls.length, 0, { rate: '0', failed: 0 });
  const result: PostResult = { accepted: [], failed: [], retried: 0, seconds: 0, callsPerSecond: 0 };
  const started = performance.now();
  let next = 0;
  const base = opts.intakeUrl.replace(/\/$/, '');
  const headers = { 'content-type': 'application/json', ...opts.headers };
  const due = (i: number) => started + (i * 1000) / rate;

  const record = (i: number, status: number, body: { callId?: string; version?: number; detail?: string; errors?: unknown }, error?: string) => {
    const externalId = calls[i]!.body.externalRef.id;
    if (status === 201 && body.callId) result.accepted.push({ externalId, callId: body.callId, version: body.version ?? 0 });
    else result.failed.push({ externalId, status, detail: error ?? body.detail ?? JSON.stringify(body.errors ?? body) });
  };
  let shown = 0;
  const progress = () => {
    const done = result.accepted.length + result.failed.length;
    if (bar && (done - shown >= 25 || done === calls.length)) {
      shown = done;
      bar.update(done, { rate: (done / ((performance.now() - started) / 1000)).toFixed(0), failed: result.failed.length });
    }
  };
  const waitUntilDue = async (i: number) => {
    if (rate <= 0) return;
    const wait = due(i) - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };

  // one POST /calls per call
  const single = async () => {
    for (;;) {
      const i = next++;
      if (i >= calls.length) return;
      await waitUntilDue(i);
      const r = await postJson(`${base}/calls`, calls[i]!.body, { headers, attempts, onRetry: () => void result.retried++ });
      record(i, r.status, r.body as Parameters<typeof record>[2], r.error);
      progress();
    }
  };

  // POST /calls/batch: each call's item serialised once, with its key
  const items = new Array<string | undefined>(calls.length);
  const itemOf = (i: number) => (items[i] ??= JSON.stringify({ idempotencyKey: randomUUID(), call: calls[i]!.body }));
  const sendBatch = async (batch: number[]) => {
    let pending = batch;
    for (let attempt = 1; ; attempt++) {
      const r = await postText(`${base}/calls/batch`, `{"items":[${pending.map(itemOf).join(',')}]}`, { headers, attempts, timeoutMs: BATCH_TIMEOUT_MS, onRetry: () => void result.retried++ });
      const results = (r.body as { results?: { status: number; body: Parameters<typeof record>[2] }[] }).results;
      if (r.status !== 200 || !Array.isArray(results) || results.length !== pending.length) {
        const b = r.body as Parameters<typeof record>[2];
        for (const i of pending) record(i, r.status, b, r.error ?? (r.status === 200 ? 'malformed batch answer' : undefined));
        return;
      }
      const again: number[] = [];
      results.forEach((res, k) => {
        const i = pending[k]!;
        if ((res.status >= 500 || res.status === 429) && attempt < attempts) again.push(i);
        else record(i, res.status, res.body ?? {});
      });
      if (!again.length) return;
      result.retried += again.length;
      await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** (attempt - 1))));
      pending = again;
    }
  };
  const batched = async () => {
    for (;;) {
      if (next >= calls.length) return;
      await waitUntilDue(next);
      const batch: number[] = [];
      let bytes = '{"items":[]}'.length;
      while (next < calls.length && batch.length < batchSize) {
        if (rate > 0 && due(next) > performance.now()) break; // only calls already due
        const size = Buffer.byteLength(itemOf(next)) + 1;
        if (batch.length > 0 && bytes + size > BATCH_MAX_BYTES) break;
        bytes += size;
        batch.push(next++);
      }
      if (!batch.length) continue; // another sender took the due calls while this one waited: wait for the next
      await sendBatch(batch);
      progress();
    }
  };

  if (batchSize === 1) await Promise.all(Array.from({ length: concurrency }, single));
  else await Promise.all(Array.from({ length: Math.min(concurrency, BATCHES_IN_FLIGHT) }, batched));
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
  const headers = { 'content-type': 'application/json', ...opts.headers, 'idempotency-key': opts.idempotencyKey ?? randomUUID() };
  return postText(url, JSON.stringify(body), { ...opts, headers });
}

/**
 * POSTs a JSON text as it is (no Idempotency-Key added: a batch carries its items' keys) and
 * retries on a connection error, a 5xx or a 429 with backoff (0.2 s doubling to 5 s, `attempts`
 * default 8). @returns the last answer: HTTP status (0 = no answer) and parsed body, or the connection error
 */
async function postText(
  url: string,
  text: string,
  opts: { headers?: Record<string, string>; attempts?: number; timeoutMs?: number; onRetry?: (status: number) => void },
): Promise<{ status: number; body: unknown; error?: string; attempts: number }> {
  const attempts = Math.max(1, opts.attempts ?? 8);
  const headers = { 'content-type': 'application/json', ...opts.headers };
  let last: { status: number; body: unknown; error?: string; attempts: number } = { status: 0, body: {}, attempts: 0 };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const res = await fetch(url, { method: 'POST', headers, body: text, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
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
