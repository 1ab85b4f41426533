/**
 * The case stream (`case-<id>`) for the command pipeline of libs/eventstore: its fold
 * ({@link evolve} of case.ts), its routing (a case's events share its call's key and
 * correlation id) and its read-model writer (read-model.ts `projectCase`: cases, parties,
 * timeline).
 */
import type { EventRegistry } from '@cad110/contracts';
import type { StreamType } from '@cad110/eventstore';
import { evolve, initialCaseState, type CaseEvent, type CaseState } from './case';
import { projectCase, type IncidentFacts } from './read-model';

/** The case stream type; `incident` carries the facts a new case's row takes from its incident. */
export function caseStream(registry: EventRegistry, incident: IncidentFacts = {}): StreamType<CaseState, CaseEvent> {
  return {
    streamType: 'case',
    source: 'records',
    initialState: () => initialCaseState,
    evolve,
    routing: (streamId, before, after) => {
      const key = after.callId ?? before.callId ?? streamId;
      return { partitionKey: key, correlationId: key };
    },
    project: (tx, change) => projectCase(tx, registry, (change.after.callId ?? change.before.callId)!, change.envelopes, incident),
  };
}
