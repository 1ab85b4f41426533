import { randomUUID } from 'node:crypto';
import { callStreamId, maskPhone, type ActingUser, type EventEnvelope, type EventRegistry, type Taxonomy } from '@cad110/contracts';
import { groupCommit, handleCommand, readStream, runBatch, runCommand, type BatchItemOutcome } from '@cad110/eventstore';
import { inOwnTrace } from '@cad110/telemetry';
import { isUniqueViolation, type RunInTransaction, type Sql } from '@cad110/db';
import { answerUnclaimed, claimKey, keyIdOf, saveResponse, type HttpOutcome, type IdempotencyRequest } from '../http/idempotency';
import { beginPass, claimInPass, endPass, passOf } from './create-pass';
import type { DuplicateFinder, FindResult } from '../duplicates/finder';
import { normaliseNumber } from '../duplicates/score';
import { decide, foldCall, initialCallState, CallRejected, type CallCommand, type CallEvent, type CallState, type CreateCall } from './call';
import { callStream } from './stream';

export interface CallServiceDeps {
  transaction: RunInTransaction<Sql>;
  registry: EventRegistry;
  taxonomy: Taxonomy;
  /** called after a commit that wrote outbox rows */
  published: () => void;
  /** the duplicate lookup run on every live create (not on replays with `externalRef`) */
  finder?: DuplicateFinder;
  /** a candidate scoring at least this (0..1) at creation is recorded as CallDuplicateSuspected; default {@link DEFAULT_FLAG_SCORE} */
  flagScore?: number;
  /** the double-submit window of POST /calls without an Idempotency-Key, seconds (0 = off); default {@link DEFAULT_DOUBLE_SUBMIT_SECONDS} */
  doubleSubmitSeconds?: number;
}

/** Default `DUPLICATE_FLAG_SCORE`: 0.8 is reached only near (≲ 40 m), close in time and of the same or a compatible type, or by the same caller. */
export const DEFAULT_FLAG_SCORE = 0.8;
/** Default `DOUBLE_SUBMIT_SECONDS`: a resubmit of the same form by the same user within 10 s answers the first call. */
export const DEFAULT_DOUBLE_SUBMIT_SECONDS = 10;

export type { ActingUser };

/** What a create takes from the request (the body of `POST /calls`, parsed). */
export type CreateInput = Omit<CreateCall, 'type' | 'callId' | 'now' | 'by'>;

/** A create whose input passed the checks outside the transaction. */
interface PreparedCreate {
  callId: string;
  now: string;
  by: ActingUser;
  input: CreateInput;
}

/** A create's error as the route answers it: a unique violation on the externalRef index is the `duplicate-external-ref` rejection. */
function createError(err: unknown, input: CreateInput): unknown {
  if (isUniqueViolation(err) && input.externalRef) {
    return new CallRejected('duplicate-external-ref', `a call with externalRef ${input.externalRef.source}/${input.externalRef.id} already exists`);
  }
  return err;
}

/** What a command appended. */
export interface CommandResult {
  callId: string;
  /** stream version after the append (the new ETag) */
  version: number;
  status: CallState['status'];
  /** types of the events appended, in order */
  events: string[];
  /** create only: what the duplicate lookup found for the new call */
  duplicateCandidates?: FindResult;
}

/**
 * Turns the result of a command into the HTTP response (computed inside the transaction, so it can
 * be stored for idempotent replay). It may read other rows in the transaction; in a create, the new
 * call's own `calls` row and Idempotency-Key row may still be queued (calls/create-pass.ts), so a
 * create's respond must not read them.
 */
export type Respond = (r: CommandResult, tx: Sql, state: CallState) => Promise<HttpOutcome> | HttpOutcome;

export interface ExecuteOptions {
  callId: string;
  /** the version from `If-Match`; undefined = no precondition */
  expectedVersion?: number;
  by: ActingUser;
  idempotency?: IdempotencyRequest;
  /** builds the command from the current state (may read other rows in the same transaction) */
  command: (state: CallState, tx: Sql) => Promise<CallCommand> | CallCommand;
  respond: Respond;
}

/** The call taker's use cases on the call aggregate. */
export class CallService {
  /**
   * Group commit of `POST /calls` (issue 17): creates that arrive while two create transactions
   * are running wait and then share one transaction (up to 32), each answered exactly as if it
   * had run alone (libs/eventstore `groupCommit`: a failing one is rolled back and run alone; each
   * runs in its own request's trace context). At low load a create starts at once, alone.
   */
  private readonly commitCreate: (w: { prepared: PreparedCreate; respond: Respond; idempotency: IdempotencyRequest | undefined }) => Promise<HttpOutcome>;

  constructor(private readonly deps: CallServiceDeps) {
    this.commitCreate = groupCommit(deps.transaction, (tx, w) => this.createIn(tx, w.prepared, w.respond, w.idempotency), {
      maxBatch: 32,
      maxInFlight: 2,
      prepare: (tx, ws) => beginPass(tx, ws.map((w) => w.idempotency)),
      beforeCommit: endPass,
    });
  }

  /**
   * Creates a call (CallReceived and, when given, CallerRecorded / CallLocated / CallClassified /
   * CallNarrativeAppended / CallDuplicateSuspected / CallHandedToDispatch) in one transaction with
   * its outbox rows and, when an Idempotency-Key (or the implicit double-submit key) is given, the
   * stored response. The duplicate lookup runs in the same transaction; its candidates are in the
   * result (`duplicateCandidates`) and the best one, when it scores at least `flagScore`, is
   * recorded (CallDuplicateSuspected) before the hand-over. Creates arriving at the same moment
   * share a transaction (group commit, {@link commitCreate}), each still all-or-nothing.
   * @returns the HTTP outcome (`respond`'s, or the stored one on an idempotent replay)
   * @throws CallRejected (409) when the decider refuses, e.g. a duplicate externalRef
   * @throws ProblemError 422 when the Idempotency-Key was used for another request
   */
  async create(input: CreateInput, by: ActingUser, respond: Respond, idempotency?: IdempotencyRequest): Promise<HttpOutcome> {
    const prepared = this.prepareCreate(input, by); // refuse bad input before the transaction
    try {
      const out = await this.commitCreate({ prepared, respond, idempotency });
      if (!out.replayed) this.deps.published();
      return out;
    } catch (err) {
      throw createError(err, input);
    }
  }

  /**
   * Many creates of one request (`POST /calls/batch`), each exactly {@link create} with its own
   * Idempotency-Key (same checks, events, duplicate lookup, idempotency), in one transaction with
   * libs/eventstore's `runBatch`: an item that fails is rerun alone and its error becomes its
   * outcome (nothing of it written); the others are committed. Each item runs in its own root
   * span (`POST /calls (batch item)`, linked to the batch request's span), so the events of each
   * call carry that call's own trace context: one trace per call, as with `POST /calls`.
   * @param items each item's input (already parsed) and idempotency identity, or the error it was
   *   refused with before it got here (a 400: passed through as its outcome, never run)
   * @returns one outcome per item, in order: the HTTP outcome (201, or the stored one on a replay), or its error
   */
  async createMany(items: readonly ({ input: CreateInput; idempotency: IdempotencyRequest } | { error: unknown })[], by: ActingUser, respond: Respond): Promise<BatchItemOutcome<HttpOutcome>[]> {
    const out: BatchItemOutcome<HttpOutcome>[] = new Array(items.length);
    const runnable: { index: number; input: CreateInput; prepared: PreparedCreate; idempotency: IdempotencyRequest }[] = [];
    items.forEach((item, index) => {
      if ('error' in item) {
        out[index] = { ok: false, error: item.error };
        return;
      }
      try {
        runnable.push({ index, input: item.input, prepared: this.prepareCreate(item.input, by), idempotency: item.idempotency });
      } catch (error) {
        out[index] = { ok: false, error }; // refused before the transaction, as the single route refuses it
      }
    });
    const outcomes = await runBatch(
      this.deps.transaction,
      runnable,
      (tx, item) => inOwnTrace('POST /calls (batch item)', { 'cad110.call_id': item.prepared.callId }, () => this.createIn(tx, item.prepared, respond, item.idempotency)),
      () => this.deps.published(),
      { prepare: (tx, ws) => beginPass(tx, ws.map((w) => w.idempotency)), beforeCommit: endPass },
    );
    outcomes.forEach((o, k) => {
      const item = runnable[k]!;
      out[item.index] = o.ok ? o : { ok: false, error: createError(o.error, item.input) };
    });
    return out;
  }

  /**
   * The create's checks outside any transaction: a new call id and `now`, and the decider run
   * once on the input alone.
   * @throws CallRejected when the decider refuses the input
   */
  private prepareCreate(input: CreateInput, by: ActingUser): PreparedCreate {
    const callId = randomUUID();
    const now = new Date().toISOString();
    decide({ type: 'CreateCall', callId, now, by: by.actor.id, ...input }, initialCallState, { taxonomy: this.deps.taxonomy });
    return { callId, now, by, input };
  }

  /**
   * The create itself, in the caller's transaction `tx` (the one function behind `POST /calls`
   * and every item of `POST /calls/batch`): claim the key (a replay returns the stored response,
   * nothing appended), the duplicate lookup, decide, append with the outbox rows, respond, store
   * the response under the key.
   */
  private async createIn(tx: Sql, p: PreparedCreate, respond: Respond, idempotency: IdempotencyRequest | undefined): Promise<HttpOutcome> {
    const { callId, now, by, input } = p;
    const pass = passOf(tx);
    if (idempotency) {
      const replay = pass ? await claimInPass(pass, idempotency, () => answerUnclaimed(tx, idempotency)) : await claimKey(tx, idempotency);
      if (replay) return replay;
    }
    const found = this.deps.finder && !input.externalRef ? await this.deps.finder.find(tx, this.subjectOf(input, now), {}, pass?.calls) : undefined;
    const best = found?.candidates[0];
    const suspect = best && best.score >= (this.deps.flagScore ?? DEFAULT_FLAG_SCORE) ? best : undefined;
    const command: CreateCall = {
      type: 'CreateCall',
      callId,
      now,
      by: by.actor.id,
      ...input,
      ...(suspect ? { suspectedDuplicate: { callId: suspect.callId, score: suspect.score, matchedOn: suspect.reasons, distanceMetres: suspect.distanceMetres, secondsApart: suspect.secondsApart } } : {}),
    };
    const ctx = { taxonomy: this.deps.taxonomy };
    const r = await handleCommand(tx, this.deps.registry, callStream, callStreamId(callId), () => decide(command, initialCallState, ctx) as CallEvent[], { by, isNew: true });
    const result: CommandResult = { callId, version: r.version, status: r.after.status, events: r.envelopes.map((e) => e.type), ...(found ? { duplicateCandidates: found } : {}) };
    const res = await respond(result, tx, r.after);
    if (idempotency && pass) pass.saves.set(keyIdOf(idempotency), { r: idempotency, out: res });
    else if (idempotency) await saveResponse(tx, idempotency, res);
    return res;
  }

  /** The double-submit window in seconds (0 = off). */
  get doubleSubmitSeconds(): number {
    return this.deps.doubleSubmitSeconds ?? DEFAULT_DOUBLE_SUBMIT_SECONDS;
  }

  private subjectOf(input: CreateInput, now: string) {
    const sub = input.classification ? this.deps.taxonomy.subtype(input.classification.subtype) : undefined;
    return {
      at: input.answeredAt ?? now,
      lat: input.location?.lat ?? null,
      lon: input.location?.lon ?? null,
      callerNumber: normaliseNumber(input.caller?.number),
      category: sub?.category ?? null,
      subtype: sub?.code ?? null,
    };
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
