/**
 * History replay for statistics: drives dispatch's API with the source's own dispatch times so
 * that dispatch's events carry them (UnitDispatched at the first-assigned time, UnitStatusChanged
 * to on-scene at the first-arrived time), and response times computed from the events equal the
 * source's.
 *
 * How units are chosen without breaking the status lifecycle
 * ----------------------------------------------------------
 * Real data overlaps far more incidents than the example roster has units, and a unit's status
 * times may never run backwards. So the replay
 * 1. puts every step of every call (assign, en route, on scene, cleared) on ONE timeline sorted
 *    by source time (at equal times clears go first, so units free up before new assignments;
 *    a call's own steps always run in order);
 * 2. at each assignment asks dispatch for the recommendation at the source time
 *    (`GET /incidents/{id}/recommendations?at=`) and dispatches the best recommended unit that
 *    accepts (`POST /incidents/{id}/assignments {unitId, at}`); roster units busy on an earlier
 *    replayed call, off duty at that hour, or whose last status is later than that time are
 *    refused by dispatch (409) and the next one is tried;
 * 3. when no roster unit can take it, uses a mutual-aid unit of the replay: a unit registered
 *    with `type: "mutual-aid"` and `replay: true` (id `MA-<n>`, call sign `互助<n>`), reused once
 *    it has cleared, created when none is free. Dispatch never recommends replay units live;
 * 4. drives that unit with the source times: en route (when it lies between assignment and
 *    arrival), on scene (arrival), cleared (the first-cleared time, else the call's closing
 *    time, else the last known step: the source's first clear may belong to another unit and
 *    come before this unit's arrival). The last clear closes the incident.
 *
 * Calls whose incident already has units (an earlier replay) are skipped, so a replay can be
 * re-run. Incidents are found by call id for calls intake accepted in this run, else by the
 * source's external id (so calls posted by an earlier run, which intake now answers 409, are
 * replayed too). Needs a token with the supervisor role (registers mutual-aid units).
 */
import type { MappedCall } from './map-row';
import { replayPlanned } from './replay-planned';
import { planSteps, type ReplayDispatchOptions, type ReplayDispatchResult, type StepKind } from './replay-steps';

export { planSteps, type ReplayDispatchOptions, type ReplayDispatchResult };

/** Order of steps at equal times: clears first, so units free up before new assignments. */
const KIND_RANK: Record<StepKind, number> = { cleared: 0, dispatched: 1, 'en-route': 2, 'on-scene': 3 };

interface Step {
  kind: StepKind;
  at: string;
  plan: Plan;
  index: number;
  popped: boolean;
}

interface Plan {
  externalSource: string;
  externalId: string;
  callId?: string;
  incidentId?: string;
  district?: string | null;
  steps: Step[];
  next: number;
  unitId?: string;
  failed: boolean;
}

async function call(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

/**
 * Replays the dispatch history of calls already posted to intake (see the module comment).
 * @param calls mapped rows (with `dispatchHistory`)
 * @param accepted intake's answers: external id → call id (from `postCalls`); calls missing here are looked up by external id
 * @returns counts of the steps replayed, the mutual-aid units used, skipped and failed calls
 */
export async function replayDispatchHistory(calls: readonly MappedCall[], accepted: readonly { externalId: string; callId: string }[], opts: ReplayDispatchOptions): Promise<ReplayDispatchResult> {
  if (opts.mode === 'planned' || calls.some((c) => c.units)) return replayPlanned(calls, accepted, opts);
  const started = performance.now();
  const base = opts.dispatchUrl.replace(/\/$/, '');
  const headers = opts.headers ?? {};
  const result: ReplayDispatchResult = { incidents: 0, dispatched: 0, enRoute: 0, onScene: 0, cleared: 0, rosterAssignments: 0, mutualAidAssignments: 0, mutualAidUnits: 0, sourceUnits: 0, sourceUnitAssignments: 0, reopened: 0, skipped: [], failed: [], seconds: 0 };
  const callIds = new Map(accepted.map((a) => [a.externalId, a.callId]));

  const plans: Plan[] = [];
  for (const c of calls) {
    const externalId = c.body.externalRef.id;
    const callId = callIds.get(externalId);
    if (!c.body.handToDispatch) {
      result.skipped.push({ externalId, reason: 'not handed to dispatch' });
      continue;
    }
    const steps = planSteps(c.dispatchHistory ?? {});
    if (!steps.length) {
      result.skipped.push({ externalId, reason: 'no source first-assigned time' });
      continue;
    }
    const plan: Plan = { externalSource: c.body.externalRef.source, externalId, ...(callId ? { callId } : {}), steps: [], next: 0, failed: false };
    plan.steps = steps.map((s, index) => ({ ...s, plan, index, popped: false }));
    plans.push(plan);
  }

  // wait for the incidents dispatch opens from the calls (it consumes intake's events)
  const deadline = Date.now() + (opts.incidentTimeoutMs ?? 180_000);
  let nextLookup = 0;
  const lookup = async () => {
    for (;;) {
      const plan = plans[nextLookup++];
      if (!plan) return;
      for (;;) {
        const by = plan.callId ? `callId=${plan.callId}` : `externalSource=${encodeURIComponent(plan.externalSource)}&externalId=${encodeURIComponent(plan.externalId)}`;
        const r = await call('GET', `${base}/incidents?${by}&limit=1&view=brief`, headers);
        const inc = r.status === 200 ? (r.body.items?.[0] as { id: string; activeUnits: number; firstDispatchedAt: string | null; status: string; district: string | null } | undefined) : undefined;
        if (inc) {
          if (inc.firstDispatchedAt || inc.activeUnits > 0 || inc.status === 'closed' || inc.status === 'cancelled') {
            plan.failed = true;
            result.skipped.push({ externalId: plan.externalId, reason: `incident already ${inc.firstDispatchedAt ? 'dispatched' : inc.status} (replayed before?)` });
          } else {
            plan.incidentId = inc.id;
            plan.district = inc.district;
          }
          break;
        }
        if (!plan.callId || Date.now() > deadline) {
          // a call posted by an earlier run has its incident already; only this run's calls are waited for
          plan.failed = true;
          result.skipped.push({ externalId: plan.externalId, reason: plan.callId ? 'no incident opened by dispatch before the timeout' : 'no incident for this source call (not posted to intake?)' });
          break;
        }
        await new Promise((res) => setTimeout(res, 200));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.lookupConcurrency ?? 8) }, lookup));
  const live = plans.filter((p) => !p.failed && p.incidentId);
  result.incidents = live.length;
  result.incidentWaitSeconds = (performance.now() - started) / 1000;

  // mutual-aid pool: replay units left free by earlier replays are reused
  const free: string[] = [];
  let maxMa = 0;
  const existing = await call('GET', `${base}/units?replay=true`, headers);
  if (existing.status === 200) {
    for (const u of existing.body.items as { id: string; status: string }[]) {
      const n = Number(/^MA-(\d+)$/.exec(u.id)?.[1] ?? 0);
      maxMa = Math.max(maxMa, n);
      if (u.status === 'available' || u.status === 'cleared') free.push(u.id);
    }
  }
  const usedMa = new Set<string>();
  const mutualAid = async (district: string | null): Promise<string | undefined> => {
    const reused = free.shift();
    if (reused) return reused;
    const n = ++maxMa;
    const r = await call('POST', `${base}/units`, headers, {
      id: `MA-${n}`,
      callSign: `互助${n}`,
      type: 'mutual-aid',
      district: district ?? 'mutual-aid',
      homeStation: 'mutual-aid (history replay)',
      crewSize: 2,
      capabilities: [],
      replay: true,
    });
    if (r.status !== 201) return undefined;
    result.mutualAidUnits++;
    return `MA-${n}`;
  };

  const fail = (plan: Plan, step: string, r: { status: number; body: any }) => {
    plan.failed = true;
    result.failed.push({ externalId: plan.externalId, step, status: r.status, detail: String(r.body?.detail ?? JSON.stringify(r.body)).slice(0, 300) });
  };

  const execute = async (s: Step): Promise<void> => {
    const plan = s.plan;
    if (plan.failed) return;
    if (s.kind === 'dispatched') {
      const recs = await call('GET', `${base}/incidents/${plan.incidentId}/recommendations?at=${encodeURIComponent(s.at)}&alternates=5`, headers);
      const candidates = recs.status === 200 ? (recs.body.recommendations as { unitId: string }[]).map((r) => r.unitId) : [];
      for (const unitId of candidates) {
        const r = await call('POST', `${base}/incidents/${plan.incidentId}/assignments`, headers, { unitId, at: s.at });
        if (r.status === 201) {
          plan.unitId = unitId;
          result.rosterAssignments++;
          break;
        }
        if (r.status !== 409) return fail(plan, 'dispatched', r);
      }
      if (!plan.unitId) {
        for (let attempt = 0; attempt < 3 && !plan.unitId; attempt++) {
          const unitId = await mutualAid(plan.district ?? null);
          if (!unitId) break;
          const r = await call('POST', `${base}/incidents/${plan.incidentId}/assignments`, headers, { unitId, at: s.at });
          if (r.status === 201) {
            plan.unitId = unitId;
            usedMa.add(unitId);
            result.mutualAidAssignments++;
          } else if (r.status !== 409) return fail(plan, 'dispatched', r);
        }
      }
      if (!plan.unitId) return fail(plan, 'dispatched', { status: 0, body: { detail: 'no unit could be assigned' } });
      result.dispatched++;
      return;
    }
    const r = await call('POST', `${base}/units/${encodeURIComponent(plan.unitId!)}/status`, headers, { status: s.kind, at: s.at, incidentId: plan.incidentId });
    if (r.status !== 200) return fail(plan, s.kind, r);
    if (s.kind === 'en-route') result.enRoute++;
    else if (s.kind === 'on-scene') result.onScene++;
    else {
      result.cleared++;
      if (usedMa.has(plan.unitId!)) free.push(plan.unitId!);
    }
  };

  // one timeline of every step, in source time order; a call's steps run in their own order
  const timeline = live.flatMap((p) => p.steps).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : KIND_RANK[a.kind] - KIND_RANK[b.kind] || a.plan.externalId.localeCompare(b.plan.externalId)));
  let done = 0;
  for (const s of timeline) {
    s.popped = true;
    const plan = s.plan;
    if (plan.steps[plan.next] !== s) continue; // an earlier step of the same call at the same instant comes later in the sort
    while (plan.steps[plan.next]?.popped) {
      await execute(plan.steps[plan.next]!);
      plan.next++;
      done++;
      if (opts.progressEvery && done % opts.progressEvery === 0) process.stderr.write(`[replay] ${done}/${timeline.length} dispatch steps at ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    }
  }
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
