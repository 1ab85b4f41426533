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
}

export interface PostResult {
  accepted: { externalId: string; callId: string; version: number }[];
  failed: { externalId: string; status: number; detail: string }[];
  seconds: number;
  callsPerSecond: number;
}

/**
 * Posts mapped calls to intake (`POST /calls`), keeping up to `concurrency` requests in flight
 * and, when `rate` > 0, starting call i no earlier than i / rate seconds after the first.
 * A 409 for an externalRef that already exists counts as failed with its detail; nothing is retried.
 */
export async function postCalls(calls: readonly MappedCall[], opts: PostOptions): Promise<PostResult> {
  const concurrency = Math.max(1, opts.concurrency ?? 16);
  const rate = opts.rate ?? 0;
  const showBar = opts.progress ?? process.stderr.isTTY;
  const bar = showBar ? new SingleBar({ format: 'replay |{bar}| {value}/{total} calls | {rate} calls/s | failed {failed}', hideCursor: true, stream: process.stderr }, Presets.shades_classic) : undefined;
  bar?.start(calls.length, 0, { rate: '0', failed: 0 });
  const result: PostResult = { accepted: [], failed: [], seconds: 0, callsPerSecond: 0 };
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
      try {
        const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(call.body) });
        const body = (await res.json().catch(() => ({}))) as { callId?: string; version?: number; detail?: string; errors?: unknown };
        if (res.status === 201 && body.callId) result.accepted.push({ externalId, callId: body.callId, version: body.version ?? 0 });
        else result.failed.push({ externalId, status: res.status, detail: body.detail ?? JSON.stringify(body.errors ?? body) });
      } catch (e) {
        result.failed.push({ externalId, status: 0, detail: (e as Error).message });
      }
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
