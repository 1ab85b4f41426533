import { randomUUID } from 'node:crypto';
import { callStreamId, maskPhone, type ActingUser, type EventEnvelope, type EventRegistry, type Taxonomy } from '@cad110/contracts';
import { handleCommand, readStream, runCommand, type RunInTransaction, type SqlTx } from '@cad110/eventstore';
import { isUniqueViolation } from '@cad110/db';
import { claimKey, saveResponse, type HttpOutcome, type IdempotencyRequest } from '../http/idempotency';
import { decide, foldCall, initialCallState, CallRejected, type CallCommand, type CallEvent, type CallState, type CreateCall } from './call';
import { callStream } from './stream';

export interface CallServiceDeps {
  transaction: RunInTransaction<SqlTx>;
  registry: EventRegistry;
  taxonomy: Taxonomy;
  /** called after a commit that wrote outbox rows */
  published: () => void;
}

export type { ActingUser };

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
      const out = await runCommand(this.deps.transaction, async (tx) => {
        if (idempotency) {
          const replay = await claimKey(tx, idempotency);
          if (replay) return replay;
        }
        const r = await handleCommand(tx, this.deps.registry, callStream, callStreamId(callId), () => newEvents as CallEvent[], { by, isNew: true });
        const res = await respond({ callId, version: r.version, status: r.after.status, events: r.envelopes.map((e) => e.type) }, tx, r.after);
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
   * Runs a command on an existing call through the command pipeline of libs/eventstore, in one
   * transaction: claim the Idempotency-Key (replay → stored response, nothing appended), load the
   * stream, check the expected version, decide, append with the loaded version, project, and
   * store the response. The one stale-write rule (docs/architecture.md): a stale If-Match version
   * is 412 with `currentVersion`; with `If-Match: *` a lost race is retried on the new state.
   * @throws NotFoundError (404) when the call does not exist
   * @throws StaleVersionError (412) when `expectedVersion` is not the current version (also after a lost race)
   * @throws CallRejected (409) when the decider refuses
   */
  async execute(opts: ExecuteOptions): Promise<HttpOutcome> {
    const out = await runCommand(this.deps.transaction, async (tx) => {
      if (opts.idempotency) {
        const replay = await claimKey(tx, opts.idempotency);
        if (replay) return replay;
      }
      const r = await handleCommand(
        tx,
        this.deps.registry,
        callStream,
        callStreamId(opts.callId),
        async (state) => decide(await opts.command(state, tx), state, { taxonomy: this.deps.taxonomy }) as CallEvent[],
        { by: opts.by, what: `call ${opts.callId}`, mustExist: true, ...(opts.expectedVersion !== undefined ? { expectedVersion: opts.expectedVersion } : {}) },
      );
      const res = await opts.respond({ callId: opts.callId, version: r.version, status: r.after.status, events: r.envelopes.map((e) => e.type) }, tx, r.after);
      if (opts.idempotency) await saveResponse(tx, opts.idempotency, res);
      return res;
    });
    if (!out.replayed) this.deps.published();
    return out;
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
