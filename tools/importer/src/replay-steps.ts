/**
 * What both dispatch-history replays share (replay-dispatch.ts: one roster timeline;
 * replay-planned.ts: units planned by the importer): their options, their result and the steps of
 * one response from its source times.
 */
import type { DispatchHistory } from './map-row';

/** Options of a dispatch-history replay (see replay-dispatch.ts). */
export interface ReplayDispatchOptions {
  /** dispatch base URL, e.g. http://127.0.0.1:8082 */
  dispatchUrl: string;
  /** request headers, e.g. `{ authorization: 'Bearer …' }` (supervisor role) */
  headers?: Record<string, string>;
  /** how long to wait for the incidents of the replayed calls to appear, ms (default 180 000) */
  incidentTimeoutMs?: number;
  /** parallel incident look-ups (default 8) */
  lookupConcurrency?: number;
  /** progress lines on stderr every n steps (0 = none, default 0) */
  progressEvery?: number;
  /**
   * `planned` (default for unit-per-row sources and the CLI): units are chosen by the importer before replaying — the source's own
   * units for unit-per-row sources, else replay units `MA-<n>` by interval scheduling — and steps
   * run concurrently, each waiting only for the earlier steps of its unit and of its incident.
   * `roster` (default for call-per-row sources): the original one-step-at-a-time replay asking dispatch's recommendation for a roster
   * unit at each assignment (call-per-row sources only; slow: one timeline).
   */
  mode?: 'planned' | 'roster';
  /** requests in flight at once in `planned` mode (default 32; batches in flight: at most 4) */
  concurrency?: number;
  /** `planned` mode: steps per `POST /commands/batch` request (default 250, at most 400) */
  batchSize?: number;
}

export interface ReplayDispatchResult {
  /** calls with a source first-assigned time whose incident was found */
  incidents: number;
  dispatched: number;
  enRoute: number;
  onScene: number;
  cleared: number;
  /** assignments that went to a roster unit / to a mutual-aid replay unit */
  rosterAssignments: number;
  mutualAidAssignments: number;
  mutualAidUnits: number;
  /** unit-per-row sources: the source's own units registered / used */
  sourceUnits: number;
  sourceUnitAssignments: number;
  /** assignments that reopened an incident whose units had all cleared (IncidentReopened) */
  reopened: number;
  /** calls not replayed: no source dispatch time, no incident, or already replayed */
  skipped: { externalId: string; reason: string }[];
  failed: { externalId: string; step: string; status: number; detail: string }[];
  seconds: number;
  /** of `seconds`, the time spent finding the calls' incidents (waiting for dispatch's consumer to open them) */
  incidentWaitSeconds?: number;
}

/** A unit status step of a replay. */
export type StepKind = 'cleared' | 'dispatched' | 'en-route' | 'on-scene';

/**
 * The steps of one call's replay from its source times (UTC ISO strings compare in time order):
 * dispatched at the first-assigned time; en route when it lies between assignment and arrival;
 * on scene at arrival when not before assignment; cleared at the first-cleared time, else the
 * closing time, else the last step, whichever is the first not before the last step.
 */
export function planSteps(h: DispatchHistory): { kind: StepKind; at: string }[] {
  if (!h.assignedAt) return [];
  const steps: { kind: StepKind; at: string }[] = [{ kind: 'dispatched', at: h.assignedAt }];
  const arrived = h.arrivedAt && h.arrivedAt >= h.assignedAt ? h.arrivedAt : undefined;
  if (h.enRouteAt && h.enRouteAt >= h.assignedAt && (!arrived || h.enRouteAt <= arrived)) steps.push({ kind: 'en-route', at: h.enRouteAt });
  if (arrived) steps.push({ kind: 'on-scene', at: arrived });
  const last = steps.at(-1)!.at;
  const clear = [h.clearedAt, h.closedAt].find((t) => t && t >= last) ?? last;
  steps.push({ kind: 'cleared', at: clear });
  return steps;
}
