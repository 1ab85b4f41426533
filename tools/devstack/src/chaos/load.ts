import { randomUUID } from 'node:crypto';
import type { MappedCall } from '@cad110/importer';

export interface ReplayOptions {
  /** base URLs of the intake instances, read at every attempt (round-robin over those given) */
  urls: () => string[];
  /** offered rate, calls per second */
  rate: number;
  /** Authorization header value */
  authorization: string;
  /** most requests in flight (default 64) */
  concurrency?: number;
  /** give up on a call after this many seconds of retrying (default 120) */
  giveUpSeconds?: number;
  /** one request's timeout, ms (default 5000) */
  requestTimeoutMs?: number;
  /** called at each 201 */
  onAccepted?: (externalId: string, callId: string) => void;
}

export interface ReplayResult {
  offered: number;
  /** externalId → callId of every call answered 201 */
  accepted: Map<string, { callId: string; acceptedAt: number }>;
  /** calls finally refused (4xx) or given up (no 201 within `giveUpSeconds`) */
  failed: { externalId: string; status: number; detail: string }[];
  /** requests that got no 201 (connection error, timeout, 5xx, 429), each retried */
  requestsFailed: number;
  requests: number;
  /** calls whose 201 came within 2 s of their first attempt */
  within2s: number;
  startedAt: number;
  endedAt: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Replays calls to intake at `rate` calls/s the way a careful client does: each call keeps one
 * `Idempotency-Key` for all its attempts; a connection error, timeout, 5xx or 429 is retried
 * (backoff 0.1 s doubling to 2 s) on the next intake instance, so a dead instance costs one
 * attempt; a 4xx other than 429 is final. Intake answers a retry of a committed call with the first
 * response, so a 201 lost on the way neither loses nor duplicates the call.
 */
export async function replayCalls(calls: readonly MappedCall[], opts: ReplayOptions): Promise<ReplayResult> {
  const res: ReplayResult = { offered: calls.length, accepted: new Map(), failed: [], requestsFailed: 0, requests: 0, within2s: 0, startedAt: Date.now(), endedAt: 0 };
  const concurrency = opts.concurrency ?? 64;
  const giveUp = (opts.giveUpSeconds ?? 120) * 1000;
  let rr = 0;
  let next = 0;
  const one = async (call: MappedCall) => {
    const key = randomUUID();
    const first = Date.now();
    const externalId = call.body.externalRef.id;
    let last = { status: 0, detail: '' };
    for (let attempt = 0; Date.now() - first < giveUp; attempt++) {
      const urls = opts.urls();
      const url = urls[rr++ % Math.max(1, urls.length)];
      res.requests++;
      try {
        const r = await fetch(`${url}/calls`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: opts.authorization, 'idempotency-key': key },
          body: JSON.stringify(call.body),
          signal: AbortSignal.timeout(opts.requestTimeoutMs ?? 5000),
        });
        const body = (await r.json().catch(() => ({}))) as { callId?: string; detail?: string };
        if (r.status === 201 && body.callId) {
          res.accepted.set(externalId, { callId: body.callId, acceptedAt: Date.now() });
          opts.onAccepted?.(externalId, body.callId);
          if (Date.now() - first <= 2000) res.within2s++;
          return;
        }
        last = { status: r.status, detail: body.detail ?? '' };
        if (r.status < 500 && r.status !== 429) {
          res.failed.push({ externalId, ...last });
          return;
        }
      } catch (e) {
        last = { status: 0, detail: (e as Error).message };
      }
      res.requestsFailed++;
      await sleep(Math.min(2000, 100 * 2 ** attempt));
    }
    res.failed.push({ externalId, ...last });
  };
  const inFlight = new Set<Promise<void>>();
  while (next < calls.length) {
    const due = res.startedAt + (next * 1000) / opts.rate;
    if (due > Date.now()) await sleep(due - Date.now());
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const p = one(calls[next++]!).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  res.endedAt = Date.now();
  return res;
}
