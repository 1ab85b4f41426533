import type { RowDisposition } from './dispositions';

/** One replayed call whose disposition should be recorded. */
export interface DispositionItem {
  externalId: string;
  /** call id intake answered with */
  callId: string;
  /** false for calls intake kept (no incident, so no case) */
  handedToDispatch: boolean;
  disposition?: RowDisposition;
}

export interface DispositionReplayOptions {
  /** records base URL, e.g. http://127.0.0.1:8083 */
  recordsUrl: string;
  /** request headers, e.g. `{authorization: 'Bearer <dispatcher token>'}` */
  headers?: Record<string, string>;
  /** batch requests in flight at once (default 3; at most 4: records commits on 2 cores, more only queue) */
  concurrency?: number;
  /** calls per batch request (default 200; at most 300, and fewer when the JSON would pass ~60 kB) */
  batchSize?: number;
  /** how long to wait for a call's case to be opened by the pipeline (default 60 s) */
  caseTimeoutMs?: number;
  /** the clock (default the real one); `at` later than this is refused */
  now?: () => Date;
}

export interface DispositionReplayResult {
  /** DispositionRecorded appended */
  recorded: number;
  /** CaseClosed appended */
  closed: number;
  /** cases already closed (a replay run twice changes nothing) */
  alreadyClosed: number;
  /** rows with no disposition to record (empty, duplicates) or calls that opened no case */
  skipped: number;
  /** rows whose source code the mapping does not know */
  unmapped: { externalId: string; sourceCode: string }[];
  /** source close times earlier than the case opening, recorded at the opening instead */
  clampedToOpening: number;
  failed: { externalId: string; status: number; detail: string }[];
  seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Most JSON bytes of one batch request (records' body limit is 64 kB). */
const MAX_BATCH_BYTES = 60_000;
/** Wait before asking again for a call whose case the pipeline has not opened yet. */
const NO_CASE_RETRY_MS = 250;

/** A call waiting to be sent: its batch item, when it may be sent, and until when a 404 is retried. */
interface Entry {
  item: DispositionItem;
  body: Record<string, unknown>;
  bytes: number;
  readyAt: number;
  deadline?: number;
}

/** One item's answer in `POST /cases/dispositions`. */
interface ItemResult {
  status: number;
  body: { events?: string[]; clamped?: boolean; code?: string; detail?: string; title?: string };
}

/**
 * Records each replayed call's disposition through the records API and closes its case, in
 * batches: `POST /cases/dispositions` with up to `batchSize` calls (`{callId, codes, …, at, close:
 * true, clampToOpening: true}`, the source's close time as `at`, UTC), `concurrency` requests in
 * flight. Records runs each item as `POST /cases/{id}/disposition` + `/close` would, all-or-nothing
 * per item. A call whose case the pipeline has not opened yet (item 404) is sent again after a
 * short wait, until `caseTimeoutMs` after its first try. A close time in the future is refused
 * (never sent); one earlier than the case's opening (source clocks disagree by seconds) is
 * recorded at the opening time (`clamped`). Cases already closed (item 409 `case-closed`) are left
 * alone, so running the replay twice records nothing twice. A batch records refuses whole (400)
 * is sent again without the items its errors name, which fail.
 */
export async function replayDispositions(items: readonly DispositionItem[], opts: DispositionReplayOptions): Promise<DispositionReplayResult> {
  const started = performance.now();
  const base = opts.recordsUrl.replace(/\/$/, '');
  const headers = { 'content-type': 'application/json', ...opts.headers };
  const now = opts.now ?? (() => new Date());
  const timeoutMs = opts.caseTimeoutMs ?? 60_000;
  const batchSize = Math.min(300, Math.max(1, opts.batchSize ?? 200));
  const inFlight = Math.min(4, Math.max(1, opts.concurrency ?? 3));
  const result: DispositionReplayResult = { recorded: 0, closed: 0, alreadyClosed: 0, skipped: 0, unmapped: [], clampedToOpening: 0, failed: [], seconds: 0 };

  const fresh: Entry[] = [];
  for (const item of items) {
    const d = item.disposition;
    if (!d || d.kind === 'none' || !item.handedToDispatch) {
      result.skipped++;
      continue;
    }
    if (d.kind === 'unmapped') {
      result.unmapped.push({ externalId: item.externalId, sourceCode: d.sourceCode });
      continue;
    }
    if (d.at && Date.parse(d.at) > now().getTime()) {
      result.failed.push({ externalId: item.externalId, status: 0, detail: `close time ${d.at} is in the future: refused` });
      continue;
    }
    const sourceCode = d.sourceCode.trim();
    const body = { callId: item.callId, ...d.outcome, ...(sourceCode ? { sourceCode } : {}), ...(d.at ? { at: d.at } : {}), close: true, clampToOpening: true };
    fresh.push({ item, body, bytes: Buffer.byteLength(JSON.stringify(body)) + 1, readyAt: 0 });
  }

  // fresh calls in order; calls answered "no case yet" wait in `later` (in the order they become ready)
  let nextFresh = 0;
  const later: Entry[] = [];
  let sending = 0;

  const take = (): Entry[] => {
    const batch: Entry[] = [];
    let bytes = 20;
    const fits = (e: Entry) => batch.length < batchSize && (batch.length === 0 || bytes + e.bytes <= MAX_BATCH_BYTES);
    const t = Date.now();
    while (later.length && later[0]!.readyAt <= t && fits(later[0]!)) {
      const e = later.shift()!;
      batch.push(e);
      bytes += e.bytes;
    }
    while (nextFresh < fresh.length && fits(fresh[nextFresh]!)) {
      const e = fresh[nextFresh++]!;
      batch.push(e);
      bytes += e.bytes;
    }
    return batch;
  };

  const fail = (e: Entry, status: number, detail: string) => result.failed.push({ externalId: e.item.externalId, status, detail });

  const settle = (e: Entry, r: ItemResult) => {
    if (r.status === 200) {
      if (r.body.events?.includes('DispositionRecorded')) result.recorded++;
      if (r.body.events?.includes('CaseClosed')) result.closed++;
      if (r.body.clamped) result.clampedToOpening++;
    } else if (r.status === 404) {
      const t = Date.now();
      e.deadline ??= t + timeoutMs;
      if (t + NO_CASE_RETRY_MS < e.deadline) later.push({ ...e, readyAt: t + NO_CASE_RETRY_MS });
      else fail(e, 0, `no case for call ${e.item.callId} after ${timeoutMs} ms`);
    } else if (r.status === 409 && r.body.code === 'case-closed') {
      result.alreadyClosed++;
    } else {
      fail(e, r.status, r.body.detail ?? r.body.title ?? JSON.stringify(r.body));
    }
  };

  const send = async (batch: Entry[]) => {
    const t = Date.now();
    for (const e of batch) e.deadline ??= t + timeoutMs;
    let res: Response;
    try {
      res = await fetch(`${base}/cases/dispositions`, { method: 'POST', headers, body: JSON.stringify({ items: batch.map((e) => e.body) }) });
    } catch (err) {
      for (const e of batch) fail(e, 0, (err as Error).message);
      return;
    }
    const json = (await res.json().catch(() => ({}))) as { results?: ItemResult[]; detail?: string; errors?: { field: string; message: string }[] };
    if (res.ok && json.results?.length === batch.length) return batch.forEach((e, i) => settle(e, json.results![i]!));
    // refused whole: the items its errors name fail, the others go again
    const named = new Map<number, string[]>();
    for (const err of res.status === 400 ? (json.errors ?? []) : []) {
      const m = /^items\.(\d+)(?:\.(.*))?$/.exec(err.field);
      if (m) named.set(Number(m[1]), [...(named.get(Number(m[1])) ?? []), `${m[2] ?? 'item'}: ${err.message}`]);
    }
    if (named.size === 0) return batch.forEach((e) => fail(e, res.status, json.detail ?? JSON.stringify(json.errors ?? json)));
    batch.forEach((e, i) => (named.has(i) ? fail(e, 400, named.get(i)!.join('; ')) : later.unshift({ ...e, readyAt: 0 })));
  };

  const worker = async () => {
    for (;;) {
      const batch = take();
      if (batch.length === 0) {
        if (nextFresh >= fresh.length && later.length === 0 && sending === 0) return;
        await sleep(later.length ? Math.max(5, Math.min(NO_CASE_RETRY_MS, later[0]!.readyAt - Date.now())) : 20);
        continue;
      }
      sending++;
      try {
        await send(batch);
      } finally {
        sending--;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
