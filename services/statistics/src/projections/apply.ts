import type { EventEnvelope, UnitStatusChanged } from '@cad110/contracts';
import type { z } from 'zod';
import {
  applyCallEvent,
  applyCaseEvent,
  applyIncidentEvent,
  CALL_ROW_EVENTS,
  CASE_ROW_EVENTS,
  deriveIntervals,
  incidentIdOf,
  minInstant,
  minuteOf,
  ms,
  withIncident,
  type CallFactRow,
  type CaseFactRow,
  type IncidentFactRow,
  type ProjectionConfig,
} from './fold';

/**
 * Where the projection rows live: the database (live consumer) or memory (rebuild). Both
 * implementations get exactly the same calls from {@link applyEvent}.
 */
export interface ProjectionTarget {
  /** changes one call row (created as a placeholder when missing) */
  updateCall(callId: string, fn: (f: CallFactRow) => CallFactRow): Promise<void>;
  /** changes one incident row (created when missing); returns the new row */
  updateIncident(incidentId: string, fn: (i: IncidentFactRow) => IncidentFactRow): Promise<IncidentFactRow>;
  updateCase(caseId: string, fn: (c: CaseFactRow) => CaseFactRow): Promise<void>;
  /** UnitStatusChanged: latest status per unit */
  unitStatus(event: EventEnvelope): Promise<void>;
  /** DutyLevelChanged: latest level per district */
  dutyLevel(event: EventEnvelope): Promise<void>;
  /** one more event on `topic` in the UTC minute `minute` */
  countEvent(topic: string, minute: string): Promise<void>;
}

/**
 * Applies one event to the projections. `topic` is the event's topic key (calls, dispatch, cases).
 * Every readable event counts for throughput; the rest depends on its type (see fold.ts).
 */
export async function applyEvent(target: ProjectionTarget, event: EventEnvelope, topic: string, cfg: ProjectionConfig): Promise<void> {
  await target.countEvent(topic, minuteOf(event));
  const data = event.data as { callId?: string; caseId?: string };
  if (CALL_ROW_EVENTS.has(event.type) && data.callId) {
    await target.updateCall(data.callId, (f) => applyCallEvent(f, event, cfg));
    return;
  }
  const incidentId = incidentIdOf(event);
  if (incidentId) {
    const inc = await target.updateIncident(incidentId, (i) => applyIncidentEvent(i, event));
    if (inc.callId) await target.updateCall(inc.callId, (f) => withIncident(f, inc));
  } else if (event.type === 'UnitStatusChanged') {
    // an arrival reported against the call only
    const d = event.data as z.infer<typeof UnitStatusChanged.schema>;
    if (d.to === 'on-scene' && d.callId) await target.updateCall(d.callId, (f) => deriveIntervals({ ...f, onSceneAt: minInstant(f.onSceneAt, ms(d.at)) }));
  }
  if (event.type === 'UnitStatusChanged') await target.unitStatus(event);
  if (event.type === 'DutyLevelChanged') await target.dutyLevel(event);
  if (CASE_ROW_EVENTS.has(event.type) && data.caseId) await target.updateCase(data.caseId, (c) => applyCaseEvent(c, event, cfg));
}
