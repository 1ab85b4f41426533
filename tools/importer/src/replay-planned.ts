import type { MappedCall, UnitHistory } from './map-row';
import { planSteps, type ReplayDispatchOptions, type ReplayDispatchResult, type StepKind } from './replay-steps';

/**
 * The `planned` dispatch-history replay (the default): fast, and still every step through
 * dispatch's commands (assignUnit and changeUnitStatus, in batches: `POST /commands/batch`), so the
 * events are those of live dispatching.
 *
 * 1. Each responding unit of a call becomes a *response* with its own steps (dispatched, en route
 *    when between dispatch and arrival, on scene, cleared at the available time else the call's
 *    close else the last step — `planSteps`). Call-per-row sources have one response per call
 *    (the first unit's times); unit-per-row sources one per unit row.
 * 2. Units are chosen before replaying: a unit-per-row source's own unit (registered as a replay
 *    unit with its source id, e.g. `E01`) when its responses do not overlap in time; an
 *    overlapping response (source data where a unit is sent before it cleared) and every response
 *    of a call-per-row source go to replay units `MA-<n>` by interval scheduling (a free unit
 *    whose last response cleared at or before the new dispatch, else a new one).
 * 3. Every step goes on one timeline by source time (clears first at equal times); a step waits
 *    only for the earlier steps of the same unit and of the same incident, so the outcome equals
 *    the one-step-at-a-time replay. A dispatch after every earlier unit of the incident cleared
 *    reopens it (dispatch records IncidentReopened).
 * 4. Steps go to dispatch in batches (`POST /commands/batch`, up to `batchSize` commands run in
 *    order, one transaction when none is refused), up to 4 batches in flight: a step joins a batch
 *    when every step it waits for is done or earlier in the same batch, so batches in flight at
 *    the same time never share a unit or an incident. The incidents are looked up 200 calls a
 *    request (`GET /incidents?callIds=…&view=brief`). Each step is still one dispatch command with its events.
 */

/** call ids per incident look-up (`GET /incidents?callIds=` takes up to 200) */
const LOOKUP_CHUNK = 200;

const KIND_RANK: Record<StepKind, number> = { cleared: 0, dispatched: 1, 'en-route': 2, 'on-scene': 3 };

interface Response {
  call: CallPlan;
  unitId: string;
  source: 'source' | 'mutual-aid';
  steps: Step[];
  failed: boolean;
}
interface CallPlan {
  externalSource: string;
  externalId: string;
  callId?: string;
  incidentId?: string;
  district?: string | null;
  responses: Response[];
  skip: boolean;
}
interface Step {
  kind: StepKind;
  at: string;
  response: Response;
  /** earlier steps (of its unit or incident) not yet done */
  waits: number;
  next: Step[];
  /** put in a batch (sent or skipped) */
  sent?: boolean;
}

async function call(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any }> {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(url, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      // a concurrent change of the same row (optimistic concurrency) is retried: the replay's order already holds
      if (res.status === 409 && (parsed as { code?: string })?.code === 'concurrent-change' && attempt < 5) continue;
      return { status: res.status, body: parsed };
    } catch (e) {
      if (attempt >= 2) return { status: 0, body: { detail: (e as Error).message } };
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
}

/** The steps of one unit of a unit-per-row source (see `planSteps`; available = cleared). */
export function unitSteps(u: UnitHistory, callClosedAt?: string): { kind: StepKind; at: string }[] {
  return planSteps({ assignedAt: u.dispatchedAt, ...(u.enRouteAt ? { enRouteAt: u.enRouteAt } : {}), ...(u.onSceneAt ? { arrivedAt: u.onSceneAt } : {}), ...(u.availableAt ? { clearedAt: u.availableAt } : {}), ...(callClosedAt ? { closedAt: callClosedAt } : {}) });
}

/** A source unit id as a dispatch unit id (`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`). */
export function replayUnitId(sourceUnit: string): string {
  const s = sourceUnit.trim().replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return (s || 'U').slice(0, 64);
}

/** Runs `work` over the items with at most `n` in flight. */
async function drain<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * Replays the dispatch history of calls already posted to intake in `planned` mode (see the module comment).
 * @returns counts of the steps replayed, units used, incidents reopened, skipped and failed calls
 */
export async function replayPlanned(calls: readonly MappedCall[], accepted: readonly { externalId: string; callId: string }[], opts: ReplayDispatchOptions): Promise<ReplayDispatchResult> {
  const started = performance.now();
  const base = opts.dispatchUrl.replace(/\/$/, '');
  const headers = opts.headers ?? {};
  const concurrency = Math.max(1, opts.concurrency ?? 32);
  const result: ReplayDispatchResult = { incidents: 0, dispatched: 0, enRoute: 0, onScene: 0, cleared: 0, rosterAssignments: 0, mutualAidAssignments: 0, mutualAidUnits: 0, sourceUnits: 0, sourceUnitAssignments: 0, reopened: 0, skipped: [], failed: [], seconds: 0 };
  const callIds = new Map(accepted.map((a) => [a.externalId, a.callId]));

  // 1. responses per call
  const plans: CallPlan[] = [];
  for (const c of calls) {
    const externalId = c.body.externalRef.id;
    if (!c.body.handToDispatch) {
      result.skipped.push({ externalId, reason: 'not handed to dispatch' });
      continue;
    }
    const closedAt = c.dispatchHistory?.closedAt;
    const responses: { unit?: string; steps: { kind: StepKind; at: string }[] }[] = c.units ? c.units.map((u) => ({ unit: u.unitId, steps: unitSteps(u, closedAt) })) : [{ steps: planSteps(c.dispatchHistory ?? {}) }];
    const usable = responses.filter((r) => r.steps.length);
    if (!usable.length) {
      result.skipped.push({ externalId, reason: c.units ? 'no unit with a dispatch time' : 'no source first-assigned time' });
      continue;
    }
    const callId = callIds.get(externalId);
    const plan: CallPlan = { externalSource: c.body.externalRef.source, externalId, ...(callId ? { callId } : {}), responses: [], skip: false };
    plan.responses = usable.map((r) => {
      const resp: Response = { call: plan, unitId: r.unit ? replayUnitId(r.unit) : '', source: r.unit ? 'source' : 'mutual-aid', steps: [], failed: false };
      resp.steps = r.steps.map((s): Step => ({ ...s, response: resp, waits: 0, next: [] }));
      return resp;
    });
    plans.push(plan);
  }

  // 2. the incidents dispatch opened from the calls (it consumes intake's events): 200 calls a
  //    request (`GET /incidents?callIds=`), the ones not opened yet asked again until the timeout
  const deadline = Date.now() + (opts.incidentTimeoutMs ?? 180_000);
  type Found = { id: string; callId: string; activeUnits: number; firstDispatchedAt: string | null; status: string; district: string | null };
  const settle = (plan: CallPlan, inc: Found) => {
    if (inc.firstDispatchedAt || inc.activeUnits > 0 || inc.status === 'closed' || inc.status === 'cancelled') {
      plan.skip = true;
      result.skipped.push({ externalId: plan.externalId, reason: `incident already ${inc.firstDispatchedAt ? 'dispatched' : inc.status} (replayed before?)` });
    } else {
      plan.incidentId = inc.id;
      plan.district = inc.district;
    }
  };
  let waiting = plans.filter((p) => p.callId);
  while (waiting.length) {
    const notYet: CallPlan[] = [];
    const chunks: CallPlan[][] = [];
    for (let i = 0; i < waiting.length; i += LOOKUP_CHUNK) chunks.push(waiting.slice(i, i + LOOKUP_CHUNK));
    await drain(chunks, Math.min(4, concurrency), async (chunk) => {
      const r = await call('GET', `${base}/incidents?callIds=${chunk.map((p) => p.callId).join(',')}&limit=500&view=brief`, headers);
      if (r.status !== 200 && r.status !== 0 && r.status < 500) {
        for (const plan of chunk) {
          plan.skip = true;
          result.skipped.push({ externalId: plan.externalId, reason: `incident look-up answered ${r.status}: ${String(r.body?.detail ?? '').slice(0, 200)}` });
        }
        return;
      }
      const found = new Map<string, Found>(r.status === 200 ? (r.body.items as Found[]).map((i) => [i.callId, i]) : []);
      for (const plan of chunk) {
        const inc = found.get(plan.callId!);
        if (inc) settle(plan, inc);
        else notYet.push(plan);
      }
    });
    if (notYet.length && Date.now() > deadline) {
      for (const plan of notYet) {
        plan.skip = true;
        result.skipped.push({ externalId: plan.externalId, reason: 'no incident opened by dispatch before the timeout' });
      }
      break;
    }
    if (notYet.length) await new Promise((res) => setTimeout(res, 250));
    waiting = notYet;
  }
  // calls not posted by this run (no call id): their incident by the source's reference, once
  await drain(
    plans.filter((p) => !p.callId),
    concurrency,
    async (plan) => {
      const r = await call('GET', `${base}/incidents?externalSource=${encodeURIComponent(plan.externalSource)}&externalId=${encodeURIComponent(plan.externalId)}&limit=1&view=brief`, headers);
      const inc = r.status === 200 ? (r.body.items?.[0] as Found | undefined) : undefined;
      if (inc) settle(plan, inc);
      else {
        plan.skip = true;
        result.skipped.push({ externalId: plan.externalId, reason: 'no incident for this source call (not posted to intake?)' });
      }
    },
  );
  const live = plans.filter((p) => !p.skip && p.incidentId);
  result.incidents = live.length;
  result.incidentWaitSeconds = (performance.now() - started) / 1000;
  const responses = live.flatMap((p) => p.responses);

  // 3. units: source units where their responses do not overlap, else replay units by interval scheduling
  const existing = await call('GET', `${base}/units`, headers);
  const known = new Map<string, { replay: boolean }>();
  let maxMa = 0;
  if (existing.status === 200) {
    for (const u of existing.body.items as { id: string; replay: boolean; callSign: string }[]) {
      known.set(u.id, { replay: u.replay });
      known.set(`callsign:${u.callSign}`, { replay: u.replay });
      maxMa = Math.max(maxMa, Number(/^MA-(\d+)$/.exec(u.id)?.[1] ?? 0));
    }
  }
  const byStart = [...responses].sort((a, b) => (a.steps[0]!.at < b.steps[0]!.at ? -1 : a.steps[0]!.at > b.steps[0]!.at ? 1 : 0));
  const endOf = (r: Response) => r.steps.at(-1)!.at;
  const sourceBusyUntil = new Map<string, string>();
  const pool: { id: string; freeAt: string }[] = [];
  const newMa: string[] = [];
  for (const r of byStart) {
    const start = r.steps[0]!.at;
    if (r.source === 'source') {
      const k = known.get(r.unitId);
      const busy = sourceBusyUntil.get(r.unitId);
      if ((!k || k.replay) && (busy === undefined || busy <= start)) {
        sourceBusyUntil.set(r.unitId, endOf(r));
        continue;
      }
      r.source = 'mutual-aid'; // the source unit overlaps itself (or is a roster unit's id): a replay unit takes it
    }
    let slot = pool.find((u) => u.freeAt <= start);
    if (!slot) {
      slot = { id: `MA-${++maxMa}`, freeAt: start };
      pool.push(slot);
      newMa.push(slot.id);
    }
    r.unitId = slot.id;
    slot.freeAt = endOf(r);
  }
  const register = async (id: string, callSign: string, district: string) => {
    if (known.has(id)) return true;
    const r = await call('POST', `${base}/units`, headers, { id, callSign, type: 'mutual-aid', district, homeStation: 'history replay', crewSize: 2, capabilities: [], replay: true });
    return r.status === 201 || r.status === 409;
  };
  const toRegister = [
    ...[...sourceBusyUntil.keys()].filter((id) => !known.has(id)).map((id) => ({ id, callSign: known.has(`callsign:${id}`) ? `${id}*` : id, district: 'source-units', kind: 'source' as const })),
    ...newMa.map((id) => ({ id, callSign: `互助${id.slice(3)}`, district: 'mutual-aid', kind: 'ma' as const })),
  ];
  const unregistered = new Set<string>();
  await drain([...toRegister], concurrency, async (u) => {
    if (!(await register(u.id, u.callSign, u.district))) unregistered.add(u.id);
    else if (u.kind === 'source') result.sourceUnits++;
    else result.mutualAidUnits++;
  });

  // 4. one timeline; each step waits for the previous step of its unit and of its incident
  const timeline = responses
    .flatMap((r) => r.steps)
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : KIND_RANK[a.kind] - KIND_RANK[b.kind] || (a.response.call.externalId < b.response.call.externalId ? -1 : a.response.call.externalId > b.response.call.externalId ? 1 : 0)));
  // a step whose own earlier step sorts later (equal times) runs right after it, as the one-step replay does
  const order: Step[] = [];
  const popped = new Set<Step>();
  const nextIndex = new Map<Response, number>();
  for (const s of timeline) {
    popped.add(s);
    const r = s.response;
    let i = nextIndex.get(r) ?? 0;
    while (i < r.steps.length && popped.has(r.steps[i]!)) order.push(r.steps[i++]!);
    nextIndex.set(r, i);
  }
  const lastOfUnit = new Map<string, Step>();
  const lastOfIncident = new Map<string, Step>();
  for (const s of order) {
    for (const prev of [lastOfUnit.get(s.response.unitId), lastOfIncident.get(s.response.call.incidentId!)]) {
      if (prev && !prev.next.includes(s)) {
        prev.next.push(s);
        s.waits++;
      }
    }
    lastOfUnit.set(s.response.unitId, s);
    lastOfIncident.set(s.response.call.incidentId!, s);
  }
  const fail = (r: Response, step: string, x: { status: number; body: any }) => {
    if (!r.failed) result.failed.push({ externalId: r.call.externalId, step, status: x.status, detail: `${r.unitId}: ${String(x.body?.detail ?? JSON.stringify(x.body)).slice(0, 300)}` });
    r.failed = true;
  };
  let done = 0;
  /** What dispatch answered one step: the counts of the one-step replay. */
  const record = (s: Step, x: { status: number; body: any }) => {
    const r = s.response;
    if (s.kind === 'dispatched') {
      if (x.status !== 201) fail(r, 'dispatched', x);
      else {
        result.dispatched++;
        if (r.source === 'source') result.sourceUnitAssignments++;
        else result.mutualAidAssignments++;
        if ((x.body?.events as string[] | undefined)?.includes('IncidentReopened')) result.reopened++;
      }
    } else if (x.status !== 200) fail(r, s.kind, x);
    else if (s.kind === 'en-route') result.enRoute++;
    else if (s.kind === 'on-scene') result.onScene++;
    else result.cleared++;
  };
  /**
   * Sends one batch (`POST /commands/batch`, run in order in one transaction by dispatch). A step
   * of a response that already failed is not sent; a step after its response's previous step in
   * the same batch names it in `after`, so a refused dispatch skips that unit's later reports (424).
   */
  const send = async (batch: Step[]) => {
    const commands: object[] = [];
    const sentSteps: Step[] = [];
    const indexOf = new Map<Step, number>();
    for (const s of batch) {
      const r = s.response;
      if (r.failed) continue;
      if (unregistered.has(r.unitId)) {
        fail(r, s.kind, { status: 0, body: { detail: 'the replay unit could not be registered' } });
        continue;
      }
      const prev = r.steps[r.steps.indexOf(s) - 1];
      const after = prev ? indexOf.get(prev) : undefined;
      indexOf.set(s, commands.length);
      sentSteps.push(s);
      commands.push(
        s.kind === 'dispatched'
          ? { type: 'assignUnit', incidentId: r.call.incidentId, unitId: r.unitId, at: s.at, ...(after !== undefined ? { after } : {}) }
          : { type: 'changeUnitStatus', unitId: r.unitId, status: s.kind, at: s.at, incidentId: r.call.incidentId, ...(after !== undefined ? { after } : {}) },
      );
    }
    if (commands.length) {
      const x = await call('POST', `${base}/commands/batch`, headers, { commands });
      const results = x.status === 200 ? (x.body?.results as { status: number; body: any }[] | undefined) : undefined;
      sentSteps.forEach((s, i) => record(s, results?.[i] ?? x));
    }
    done += batch.length;
    if (opts.progressEvery && Math.floor(done / opts.progressEvery) > Math.floor((done - batch.length) / opts.progressEvery)) process.stderr.write(`[replay] ${done}/${timeline.length} dispatch steps at ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  };
  // batches of up to `batchSize` steps, `inFlight` at once: a step joins a batch when every earlier
  // step it waits for is done or earlier in the same batch (dispatch runs a batch in order), so
  // batches in flight together never hold steps of the same unit or incident
  const batchSize = Math.max(1, Math.min(opts.batchSize ?? 250, 400));
  const inFlightMax = Math.max(1, Math.min(4, concurrency));
  const queue = order.filter((s) => s.waits === 0);
  await new Promise<void>((resolve, reject) => {
    let inFlight = 0;
    const pump = () => {
      while (inFlight < inFlightMax && queue.length) {
        const batch: Step[] = [];
        const inBatch = new Map<Step, number>();
        const local: Step[] = [];
        while (batch.length < batchSize && (local.length || queue.length)) {
          const s = local.length ? local.shift()! : queue.shift()!;
          s.sent = true;
          batch.push(s);
          for (const n of s.next) {
            const c = (inBatch.get(n) ?? 0) + 1;
            inBatch.set(n, c);
            if (c === n.waits) local.push(n);
          }
        }
        inFlight++;
        send(batch).then(() => {
          inFlight--;
          for (const s of batch) for (const n of s.next) if (--n.waits === 0 && !n.sent) queue.push(n);
          pump();
        }, reject);
      }
      if (inFlight === 0 && !queue.length) resolve();
    };
    pump();
  });
  if (done !== timeline.length) throw new Error(`replay scheduler ran ${done} of ${timeline.length} steps (a dependency cycle?)`);
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
