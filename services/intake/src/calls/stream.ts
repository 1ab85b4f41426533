/**
 * The call stream (`call-<id>`) for the command pipeline of libs/eventstore: its fold
 * ({@link evolve} of call.ts), its routing (the call id keys and correlates every event) and its
 * read-model writer (read-model.ts `projectCall`).
 */
import type { StreamType } from '@cad110/eventstore';
import { evolve, initialCallState, type CallEvent, type CallState } from './call';
import { projectCall } from './read-model';

export const callStream: StreamType<CallState, CallEvent> = {
  streamType: 'call',
  source: 'intake',
  initialState: () => initialCallState,
  evolve,
  routing: (streamId, before, after) => {
    const key = after.callId ?? before.callId ?? streamId.replace(/^call-/, '');
    return { partitionKey: key, correlationId: key };
  },
  project: (tx, change) => projectCall(tx, change.envelopes),
};
