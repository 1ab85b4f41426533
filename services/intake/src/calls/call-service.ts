import { randomUUID } from 'node:crypto';
import { callStreamId, maskPhone, type EventEnvelope, type EventMetadata, type EventRegistry, type Taxonomy } from '@cad110/contracts';
import { appendToStream, ConcurrencyError, readStream, type RunInTransaction, type SqlTx } from '@cad110/eventstore';
import { isUniqueViolation } from '@cad110/db';
import { ProblemError } from '@cad110/http';
import { claimKey, saveResponse, type HttpOutcome, type IdempotencyRequest } from '../http/idempotency';
import { decide, evolve, foldCall, initialCallState, CallRejected, type CallCommand, type CallEvent, type CallState, type CreateCall } from './call';
import { projectCall } from './read-model';

export interface CallServiceDeps {
  transaction: RunInTransaction<SqlTx>;
  registry: EventRegistry;
  taxonomy: Taxonomy;
  /** called after a commit that wrote outbox rows */
  published: () => void;
}

export type ActingUser = Pick<EventMetadata, 'actor' | 'workstation'> & { requestId?: string };

/** What a command appended. */
export interface CommandResult {
  callId: string;
  /** stream version after the append (the new ETag) */
  version: number;
  status: CallState['status'];
  /** types of the events appended, in order */
  events: string[];
}

/** Turns the result of a command into the HTTP response (computed inside the transaction, so it can be stored for idempotent replay). */
export type Respond = (r: CommandResult, tx: SqlTx, state: CallState) => Promise<HttpOutcome> | HttpOutcome;

export interface ExecuteOptions {
  callId: string;
  /** the version from `If-Match`; undefined = no precondition */
  expectedVersion?: number;
  by: ActingUser;
  idempotency?: IdempotencyRequest;
  /** builds the command from the current state (may read other rows in the same transaction) */
  command: (state: CallState, tx: SqlTx) => Promise<CallCommand> | CallCommand;
  respond: Respond;
}

/** The call taker's use cases on the call aggregate. */
export class CallService {
  constructor(private readonly deps: CallServiceDeps) {}

  private metadata(callId: string, by: ActingUser) {
    return { actor: by.actor, ...(by.workstation ? { workstation: by.workstation } : {}), correlationId: callId, causationId: by.requestId ?? null };
  }

  /**
   * Creates a call (CallReceived and, when given, CallerRecorded / CallLocated / CallClassified /
   * CallNarrativeAppended / CallHandedToDispatch) in one transaction with its outbox rows and,
   * when an Idempotency-Key is given, the stored response.
   * @returns the HTTP outcome (`respond`'s, or the stored one on an idempotent replay)
   * @throws CallRejected (409) when the decider refuses, e.g. a duplicate externalRef
   * @throws ProblemError 422 when the Idempotency-Key was used for another request
   */
  async create(input: Omit<CreateCall, 'type' | 'callId' | 'now' | 'by'>, by: ActingUser, respond: Respond, idempotency?: IdempotencyRequest): Promise<HttpOutcome> {
    const callId = randomUUID();
    const command: CreateCall = { type: 'CreateCall', callId, now: new Date().toISOString(), by: by.actor.id, ...input };
    const newEvents = decide(command, initialCallState, { taxonomy: this.deps.taxonomy });
    try {
      const out = await this.deps.transaction(async (tx) => {
        if (idempotency) {
          const replay = await claimKey(tx, idempotency);
          if (replay) return replay;
        }
        const envs = await appendToStream(tx, this.deps.registry, {
          streamId: callStreamId(callId),
          streamType: 'call',
          expectedVersion: 0,
          events: newEvents,
          source: 'intake',
          partitionKey: callId,
          metadata: this.metadata(callId, by),
        });
        await projectCall(tx, envs);
        const state = foldCall(envs);
        const res = await respond({ callId, version: envs.at(-1)!.streamVersion, status: state.status, events: envs.map((e) => e.type) }, tx, state);
        if (idempotency) await saveResponse(tx, idempotency, res);
        return res;
      });
      if (!out.replayed) this.deps.published();
      return out;
    } catch (err) {
      if (isUniqueViolation(err) && input.externalRef) {
        throw new CallRejected('duplicate-external-ref', `a call with externalRef ${input.externalRef.source}/${input.externalRef.id} already exists`);
      }
      throw err;
    }
  }

  /**
   * Runs a command on an existing call in one transaction: claim the Idempotency-Key (replay →
   * stored response, nothing appended), read and fold the stream, check the expected version,
   * decide, append with that version (the database rejects a concurrent append), project, and
   * store the response.
   * @throws ProblemError 404 when the call does not exist
   * @throws ProblemError 412 when `expectedVersion` is not the current version (also on a lost race)
   * @throws CallRejected (409) when the decider refuses
   */
  async execute(opts: ExecuteOptions): Promise<HttpOutcome> {
    const streamId = callStreamId(opts.callId);
    try {
      const out = await this.deps.transaction(async (tx) => {
        if (opts.idempotency) {
          const replay = await claimKey(tx, opts.idempotency);
          if (replay) return replay;
        }
        const { version, events } = await readStream(tx, this.deps.registry, streamId, 'intake');
        if (version === 0) throw ProblemError.notFound(`call ${opts.callId}`);
        if (opts.expectedVersion !== undefined && opts.expectedVersion !== version) {
          throw ProblemError.preconditionFailed(`call ${opts.callId} is at version ${version}, not ${opts.expectedVersion}: reload it and retry`, version);
        }
        const state = foldCall(events);
        const command = await opts.command(state, tx);
        const newEvents = decide(command, state, { taxonomy: this.deps.taxonomy });
        const envs = await appendToStream(tx, this.deps.registry, {
          streamId,
          streamType: 'call',
          expectedVersion: version,
          events: newEvents,
          source: 'intake',
          partitionKey: opts.callId,
          metadata: this.metadata(opts.callId, opts.by),
        });
        await projectCall(tx, envs);
        const after = envs.reduce((s, e) => evolve(s, e as unknown as CallEvent), state);
        const res = await opts.respond({ callId: opts.callId, version: envs.at(-1)!.streamVersion, status: after.status, events: envs.map((e) => e.type) }, tx, after);
        if (opts.idempotency) await saveResponse(tx, opts.idempotency, res);
        return res;
      });
      if (!out.replayed) this.deps.published();
      return out;
    } catch (err) {
      if (err instanceof ConcurrencyError) {
        throw ProblemError.preconditionFailed(`call ${opts.callId} was changed by someone else since version ${err.expectedVersion}: reload it and retry`);
      }
      throw err;
    }
  }

  /**
   * A call with its state (timings included) and full event history. The caller number is
   * masked (`138****1234`) and the caller's name left out unless `revealCaller`.
   * @returns null when the call does not exist
   */
  async get(callId: string, revealCaller = false): Promise<{ callId: string; version: number; state: CallState; callerNumber?: string; events: EventEnvelope[] } | null> {
    const { version, events } = await this.deps.transaction((tx) => readStream(tx, this.deps.registry, callStreamId(callId), 'intake'));
    if (version === 0) return null;
    const state = foldCall(events);
    const caller = [...events].reverse().find((e) => e.type === 'CallerRecorded' && (e.data as { callerNumber?: string }).callerNumber)?.data as { callerNumber?: string } | undefined;
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
