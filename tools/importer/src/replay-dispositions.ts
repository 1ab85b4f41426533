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
  /** cases handled at once (default 8) */
  concurrency?: number;
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

/**
 * Records each replayed call's disposition through the records API and closes its case:
 * waits (polling `GET /cases?callId=`) until the pipeline has opened the call's case, then
 * `POST /cases/{id}/disposition` and `POST /cases/{id}/close` with `If-Match` and the source's
 * close time as `at` (UTC). A close time in the future is refused (never sent); one earlier than
 * the case's opening (source clocks disagree by seconds) is recorded at the opening time.
 * Cases already closed are left alone, so running the replay twice records nothing twice.
 */
export async function replayDispositions(items: readonly DispositionItem[], opts: DispositionReplayOptions): Promise<DispositionReplayResult> {
  const started = performance.now();
  const base = opts.recordsUrl.replace(/\/$/, '');
  const headers = { 'content-type': 'application/json', ...opts.headers };
  const now = opts.now ?? (() => new Date());
  const timeoutMs = opts.caseTimeoutMs ?? 60_000;
  const result: DispositionReplayResult = { recorded: 0, closed: 0, alreadyClosed: 0, skipped: 0, unmapped: [], clampedToOpening: 0, failed: [], seconds: 0 };

  const findCase = async (callId: string): Promise<{ id: string; version: number; status: string; openedAt: string } | undefined> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const res = await fetch(`${base}/cases?callId=${encodeURIComponent(callId)}`, { headers });
      if (res.ok) {
        const body = (await res.json()) as { items: { id: string; version: number; status: string; openedAt: string }[] };
        if (body.items[0]) return body.items[0];
      } else if (res.status !== 404) {
        throw Object.assign(new Error(`GET /cases answered ${res.status}: ${await res.text()}`), { status: res.status });
      }
      await sleep(250);
    }
    return undefined;
  };

  const post = async (path: string, version: number, body: object): Promise<number> => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { ...headers, 'if-match': `"${version}"` }, body: JSON.stringify(body) });
    const json = (await res.json().catch(() => ({}))) as { version?: number; detail?: string; errors?: unknown };
    if (!res.ok) throw Object.assign(new Error(json.detail ?? JSON.stringify(json.errors ?? json)), { status: res.status });
    return json.version!;
  };

  const one = async (item: DispositionItem) => {
    const d = item.disposition;
    if (!d || d.kind === 'none' || !item.handedToDispatch) return void result.skipped++;
    if (d.kind === 'unmapped') return void result.unmapped.push({ externalId: item.externalId, sourceCode: d.sourceCode });
    if (d.at && Date.parse(d.at) > now().getTime()) {
      return void result.failed.push({ externalId: item.externalId, status: 0, detail: `close time ${d.at} is in the future: refused` });
    }
    try {
      const c = await findCase(item.callId);
      if (!c) return void result.failed.push({ externalId: item.externalId, status: 0, detail: `no case for call ${item.callId} after ${timeoutMs} ms` });
      if (c.status === 'closed') return void result.alreadyClosed++;
      let at = d.at;
      if (at && Date.parse(at) < Date.parse(c.openedAt)) {
        at = new Date(c.openedAt).toISOString();
        result.clampedToOpening++;
      }
      const v1 = await post(`/cases/${c.id}/disposition`, c.version, { ...d.outcome, sourceCode: d.sourceCode || undefined, ...(at ? { at } : {}) });
      result.recorded++;
      await post(`/cases/${c.id}/close`, v1, at ? { at } : {});
      result.closed++;
    } catch (e) {
      result.failed.push({ externalId: item.externalId, status: (e as { status?: number }).status ?? 0, detail: (e as Error).message });
    }
  };

  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      await one(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 8) }, worker));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
