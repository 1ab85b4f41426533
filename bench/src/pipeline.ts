import { Client } from 'pg';
import type { MappedCall } from '@cad110/importer';
import { postCalls } from '@cad110/importer';
import { SERVICES, type Stack } from '@cad110/devstack';
import { benchQueries } from './costs';
import { summary } from './stats';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rows<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const db = SERVICES.find((s) => new URL(url).pathname.endsWith(`_${s}`)) ?? url;
  benchQueries.set(db, (benchQueries.get(db) ?? 0) + 1);
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Stage times of one call, milliseconds since the epoch, all read from the services' stores. */
export interface CallTimes {
  callId: string;
  accepted: number;
  recommended?: number;
  caseOpened?: number;
  counted?: number;
}

/**
 * Reads each call's stage times from the four databases:
 * accepted = intake's CallReceived `recorded_at`; recommended = dispatch's UnitsRecommended
 * `recorded_at`; case opened = records' CaseOpened `recorded_at`; counted = statistics'
 * `processed_messages.processed_at` (clock time) of that CallReceived. Event times are stamped
 * inside the writing transaction, just before its commit.
 */
export async function stageTimes(stack: Stack, callIds: string[]): Promise<CallTimes[]> {
  const received = await rows<{ id: string; event_id: string; at: Date }>(
    stack.databaseUrl('intake'),
    `SELECT substr(stream_id, 6) AS id, event_id::text, recorded_at AS at FROM events WHERE version = 1 AND stream_id = ANY($1::text[])`,
    [callIds.map((id) => `call-${id}`)],
  );
  const byEvent = new Map(received.map((r) => [r.event_id, r.id]));
  const rec = await rows<{ id: string; at: Date }>(stack.databaseUrl('dispatch'), `SELECT data->>'callId' AS id, recorded_at AS at FROM events WHERE type = 'UnitsRecommended'`);
  const cases = await rows<{ id: string; at: Date }>(stack.databaseUrl('records'), `SELECT data->>'callId' AS id, recorded_at AS at FROM events WHERE type = 'CaseOpened'`);
  const counted = await rows<{ event_id: string; at: Date }>(
    stack.databaseUrl('statistics'),
    `SELECT event_id::text, processed_at AS at FROM processed_messages WHERE event_id = ANY($1::uuid[])`,
    [received.map((r) => r.event_id)],
  );
  const times = new Map<string, CallTimes>(received.map((r) => [r.id, { callId: r.id, accepted: r.at.getTime() }]));
  for (const r of rec) {
    const t = times.get(r.id);
    if (t) t.recommended = r.at.getTime();
  }
  for (const r of cases) {
    const t = times.get(r.id);
    if (t) t.caseOpened = r.at.getTime();
  }
  for (const r of counted) {
    const t = times.get(byEvent.get(r.event_id) ?? '');
    if (t) t.counted = r.at.getTime();
  }
  return [...times.values()];
}

/** Waits until every call has all four stage times (polling counts), or the timeout. */
export async function waitComplete(stack: Stack, n: number, timeoutMs: number, onProgress?: (done: number) => void): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [[r], [c], [s]] = await Promise.all([
      rows<{ n: number }>(stack.databaseUrl('dispatch'), `SELECT count(*)::int AS n FROM events WHERE type = 'UnitsRecommended'`),
      rows<{ n: number }>(stack.databaseUrl('records'), `SELECT count(*)::int AS n FROM cases`),
      rows<{ n: number }>(stack.databaseUrl('statistics'), `SELECT count(*)::int AS n FROM call_facts`),
    ]);
    const done = Math.min(r!.n, c!.n, s!.n);
    onProgress?.(done);
    if (done >= n) return true;
    await sleep(250);
  }
  return false;
}

export interface ThroughputResult {
  calls: number;
  accepted: number;
  failed: number;
  acceptedPerSecond: number;
  fullyProcessedPerSecond: number;
  clientSeconds: number;
  completed: boolean;
}

/**
 * Replays `calls` as fast as intake accepts them (`concurrency` requests in flight) and waits
 * until dispatch, records and statistics have all handled every call.
 * Rates come from the stored times: accepted/s = accepted calls ÷ (last − first CallReceived),
 * fully processed/s = calls ÷ (last stage time of any call − first CallReceived).
 */
export async function throughput(stack: Stack, calls: MappedCall[], token: string, concurrency: number, onProgress: (stage: string, done: number) => void): Promise<ThroughputResult & { times: CallTimes[] }> {
  // batchSize 1: the live path, one POST /calls per call as call takers send them (the importer batches)
  const posted = await postCalls(calls, { intakeUrl: stack.url('intake'), concurrency, batchSize: 1, progress: false, headers: { authorization: `Bearer ${token}` } });
  onProgress('accepted', posted.accepted.length);
  const handed = posted.accepted.length; // every bench call is handed to dispatch (see sources.ts)
  const completed = await waitComplete(stack, handed, 600_000, (d) => onProgress('processed', d));
  const times = await stageTimes(stack, posted.accepted.map((a) => a.callId));
  const first = Math.min(...times.map((t) => t.accepted));
  const lastAccepted = Math.max(...times.map((t) => t.accepted));
  const lastDone = Math.max(...times.map((t) => Math.max(t.accepted, t.recommended ?? 0, t.caseOpened ?? 0, t.counted ?? 0)));
  return {
    calls: calls.length,
    accepted: posted.accepted.length,
    failed: posted.failed.length,
    acceptedPerSecond: posted.accepted.length / Math.max(0.001, (lastAccepted - first) / 1000),
    fullyProcessedPerSecond: handed / Math.max(0.001, (lastDone - first) / 1000),
    clientSeconds: posted.seconds,
    completed,
    times,
  };
}

export interface LatencyResult {
  offeredPerSecond: number;
  calls: number;
  achievedPerSecond: number;
  failed: number;
  toRecommendation: ReturnType<typeof summary>;
  toCaseOpened: ReturnType<typeof summary>;
  toCounted: ReturnType<typeof summary>;
}

/**
 * Offers `rate` calls per second (open loop: call i starts at i / rate s) for `seconds`, waits
 * for the pipeline, and reports p50/p95/p99 of accepted → recommendation, → case opened,
 * → counted, in milliseconds, from the stored times.
 */
export async function latencyAt(stack: Stack, calls: MappedCall[], rate: number, token: string): Promise<LatencyResult> {
  const posted = await postCalls(calls, { intakeUrl: stack.url('intake'), rate, concurrency: Math.max(16, Math.ceil(rate / 4)), batchSize: 1, progress: false, headers: { authorization: `Bearer ${token}` } });
  const before = posted.accepted.map((a) => a.callId);
  await waitCompleteFor(stack, before, 300_000);
  const times = await stageTimes(stack, before);
  const first = Math.min(...times.map((t) => t.accepted));
  const last = Math.max(...times.map((t) => t.accepted));
  return {
    offeredPerSecond: rate,
    calls: posted.accepted.length,
    achievedPerSecond: posted.accepted.length / Math.max(0.001, (last - first) / 1000),
    failed: posted.failed.length,
    toRecommendation: summary(times.filter((t) => t.recommended).map((t) => t.recommended! - t.accepted)),
    toCaseOpened: summary(times.filter((t) => t.caseOpened).map((t) => t.caseOpened! - t.accepted)),
    toCounted: summary(times.filter((t) => t.counted).map((t) => t.counted! - t.accepted)),
  };
}

/** Waits until these calls have all four stage times. */
async function waitCompleteFor(stack: Stack, callIds: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const t = await stageTimes(stack, callIds);
    if (t.length === callIds.length && t.every((x) => x.recommended && x.caseOpened && x.counted)) return;
    await sleep(500);
  }
}
