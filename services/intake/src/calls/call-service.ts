import { randomUUID } from 'node:crypto';
import { callStreamId, maskPhone, type EventEnvelope, type EventMetadata, type EventRegistry, type Taxonomy } from '@cad110/contracts';
import { appendToStream, readStream, type RunInTransaction } from '@cad110/eventstore';
import { isUniqueViolation } from '@cad110/db';
import type { IntakeTx } from '../prisma';
import { decide, foldCall, initialCallState, CallRejected, type CreateCall } from './call';
import { projectCall } from './read-model';

export interface CallServiceDeps {
  transaction: RunInTransaction<IntakeTx>;
  registry: EventRegistry;
  taxonomy: Taxonomy;
  /** called after a commit that wrote outbox rows */
  published: () => void;
}

export type ActingUser = Pick<EventMetadata, 'actor' | 'workstation'> & { requestId?: string };

/** The call taker's use cases on the call aggregate. */
export class CallService {
  constructor(private readonly deps: CallServiceDeps) {}

  /**
   * Creates a call (CallReceived and, when given, CallerRecorded / CallLocated / CallClassified /
   * CallNarrativeAppended / CallHandedToDispatch) in one transaction with its outbox rows.
   * @returns the new call id, its stream version and the event types appended
   * @throws CallRejected (409) when the decider refuses, e.g. a duplicate externalRef
   */
  async create(input: Omit<CreateCall, 'type' | 'callId' | 'now'>, by: ActingUser): Promise<{ callId: string; version: number; events: string[] }> {
    const callId = randomUUID();
    const command: CreateCall = { type: 'CreateCall', callId, now: new Date().toISOString(), ...input };
    const newEvents = decide(command, initialCallState, { taxonomy: this.deps.taxonomy });
    try {
      const stored = await this.deps.transaction(async (tx) => {
        const envs = await appendToStream(tx, this.deps.registry, {
          streamId: callStreamId(callId),
          streamType: 'call',
          expectedVersion: 0,
          events: newEvents,
          source: 'intake',
          partitionKey: callId,
          metadata: { actor: by.actor, workstation: by.workstation, correlationId: callId, causationId: by.requestId ?? null },
        });
        await projectCall(tx, envs);
        return envs;
      });
      this.deps.published();
      return { callId, version: stored.at(-1)!.streamVersion, events: stored.map((e) => e.type) };
    } catch (err) {
      if (isUniqueViolation(err) && input.externalRef) {
        throw new CallRejected('duplicate-external-ref', `a call with externalRef ${input.externalRef.source}/${input.externalRef.id} already exists`);
      }
      throw err;
    }
  }

  /**
   * A call with its full event history (caller number masked unless `revealCaller`).
   * @returns null when the call does not exist
   */
  async get(callId: string, revealCaller = false): Promise<{ callId: string; version: number; state: ReturnType<typeof foldCall>; callerNumber?: string; events: EventEnvelope[] } | null> {
    const { version, events } = await this.deps.transaction((tx) => readStream(tx, this.deps.registry, callStreamId(callId), 'intake'));
    if (version === 0) return null;
    const state = foldCall(events);
    const caller = events.find((e) => e.type === 'CallerRecorded')?.data as { callerNumber?: string } | undefined;
    const shown = events.map((e) => (e.type === 'CallerRecorded' && !revealCaller ? { ...e, data: maskCaller(e.data as Record<string, unknown>) } : e));
    return {
      callId,
      version,
      state,
      ...(caller?.callerNumber ? { callerNumber: revealCaller ? caller.callerNumber : maskPhone(caller.callerNumber) } : {}),
      events: shown,
    };
  }
}

function maskCaller(d: Record<string, unknown>): Record<string, unknown> {
  const { callerNumber, callerName: _n, ...rest } = d;
  return { ...rest, ...(typeof callerNumber === 'string' ? { callerNumberMasked: maskPhone(callerNumber) } : {}) };
}

export { CallRejected };
