import { caseStreamId, NotFoundError, type ActingUser, type EventEnvelope, type EventRegistry } from '@cad110/contracts';
import { handleCommand, loadStream, readStream, runBatch, runCommand, type BatchItemOutcome, type LoadedStream } from '@cad110/eventstore';
import type { RunInTransaction, Sql } from '@cad110/db';
import type { Logger } from '@cad110/logging';
import { CaseRejected, decide, foldCase, type CaseCommand, type CaseEvent, type CaseState, type RecordDisposition } from './case';
import { caseStream } from './stream';

export type { ActingUser };

export interface CaseServiceDeps {
  transaction: RunInTransaction;
  registry: EventRegistry;
  logger: Logger;
  /** called after a commit that wrote outbox rows (nudges the relay) */
  published: () => void;
}

/** Result of a command: the case's new version and the event types appended. */
export interface CommandResult {
  caseId: string;
  version: number;
  events: string[];
}

/** A command on an existing case (every command but OpenCase, which records issues itself). */
export type OfficerCommand = Exclude<CaseCommand, { type: 'OpenCase' }>;

/** One item of {@link CaseService.recordDispositions}: a call's disposition and whether to close its case. */
export interface DispositionItem {
  /** the call whose case takes the disposition (a call has at most one case) */
  callId: string;
  disposition: Omit<RecordDisposition, 'type'>;
  /** close the case after recording (CaseClosed at the disposition's `at`) */
  close: boolean;
  /**
   * when `disposition.at` is earlier than the case's opening (source clocks that disagree by
   * seconds), record and close at the opening instead of refusing (409 time-before)
   */
  clampToOpening: boolean;
}

/** The outcome of one {@link DispositionItem}: the command result, and whether `at` was moved to the opening. */
export interface DispositionItemResult extends CommandResult {
  clamped: boolean;
}

/** The officers' use cases on the case aggregate (narrative, party, disposition, close, reopen). */
export class CaseService {
  constructor(private readonly deps: CaseServiceDeps) {}

  /**
   * Runs a command on a case through the command pipeline of libs/eventstore (load, If-Match,
   * decide, append with the loaded version, project the read model and timeline, one
   * transaction) with the one stale-write rule: a stale `ifMatch` is 412 with `currentVersion`;
   * without it a lost race is retried on the new state (`runCommand`).
   * Personal fields of parties are never logged: only ids, types and versions are.
   * @throws NotFoundError (404), StaleVersionError (412), CommandRejected (409)
   */
  async execute(caseId: string, command: OfficerCommand, by: ActingUser, ifMatch?: number): Promise<CommandResult> {
    const r = await runCommand(this.deps.transaction, (tx) => this.executeIn(tx, caseId, command, by, { ...(ifMatch !== undefined ? { ifMatch } : {}) }));
    this.deps.published();
    return r;
  }

  /**
   * One command on one case inside the caller's transaction `tx` (the body of {@link execute},
   * also run by the batch routes): decide with the case's state as loaded (or `loaded`, the
   * stream already loaded and locked in `tx`, kept up to date for a next command), append,
   * project. Logs the command applied or rejected (ids, types, versions only).
   * @throws NotFoundError (404), StaleVersionError (412), CommandRejected (409), ConcurrencyError (lost race)
   */
  async executeIn(tx: Sql, caseId: string, command: OfficerCommand, by: ActingUser, opts: { ifMatch?: number; loaded?: LoadedStream<CaseState> } = {}): Promise<CommandResult> {
    try {
      const r = await handleCommand(tx, this.deps.registry, caseStream(this.deps.registry), caseStreamId(caseId), (state) => decide(command, state, { now: new Date().toISOString() }) as unknown as CaseEvent[], {
        by,
        what: `case ${caseId}`,
        mustExist: true,
        ...(opts.ifMatch !== undefined ? { expectedVersion: opts.ifMatch } : {}),
        ...(opts.loaded ? { loaded: opts.loaded } : {}),
      });
      this.deps.logger.info({ caseId, command: command.type, version: r.version, actor: by.actor.id }, 'case command applied');
      return { caseId, version: r.version, events: r.envelopes.map((e) => e.type) };
    } catch (err) {
      if (err instanceof CaseRejected) this.deps.logger.info({ caseId, command: command.type, code: err.code }, 'case command rejected');
      throw err;
    }
  }

  /**
   * Records many calls' dispositions (and closes their cases) in as few transactions as possible
   * (libs/eventstore `runBatch`): per item, the call's case is found (NotFoundError — 404 — while
   * the pipeline has not opened it yet), then RecordDisposition and, with `close`, CloseCase run
   * through {@link executeIn} exactly as `POST /cases/{id}/disposition` and `/close` would, on the
   * stream loaded and locked once. Each item is all-or-nothing: a refused close leaves no
   * disposition behind. A case already closed refuses the disposition (409 `case-closed`).
   * @returns one outcome per item, in order (the error of a failed item: NotFoundError,
   *   CommandRejected, ConcurrencyError, ...)
   */
  async recordDispositions(items: readonly DispositionItem[], by: ActingUser): Promise<BatchItemOutcome<DispositionItemResult>[]> {
    const stream = caseStream(this.deps.registry);
    return runBatch(
      this.deps.transaction,
      items,
      async (tx, item) => {
        const [row] = await tx.query<{ id: string }>('SELECT id FROM cases WHERE call_id = $1::uuid', [item.callId]);
        if (!row) throw new NotFoundError(`a case of call ${item.callId}`);
        const loaded = await loadStream(tx, this.deps.registry, stream, caseStreamId(row.id));
        let at = item.disposition.at;
        const openedAt = loaded.state.openedAt;
        const clamped = item.clampToOpening && at !== undefined && openedAt !== undefined && Date.parse(at) < Date.parse(openedAt);
        if (clamped) at = new Date(openedAt!).toISOString();
        const recorded = await this.executeIn(tx, row.id, { type: 'RecordDisposition', ...item.disposition, ...(at ? { at } : {}) }, by, { loaded });
        if (!item.close) return { ...recorded, clamped };
        const closed = await this.executeIn(tx, row.id, { type: 'CloseCase', ...(at ? { at } : {}) }, by, { loaded });
        return { caseId: row.id, version: closed.version, events: [...recorded.events, ...closed.events], clamped };
      },
      this.deps.published,
    );
  }

  /**
   * A case's events (upcast) and folded state, or null when it does not exist.
   * Events keep their full data (including parties' personal fields): callers decide what to show.
   */
  async load(caseId: string): Promise<{ version: number; state: CaseState; events: EventEnvelope[] } | null> {
    const { version, events } = await this.deps.transaction((tx) => readStream(tx, this.deps.registry, caseStreamId(caseId), 'records'));
    if (version === 0) return null;
    return { version, state: foldCase(events), events };
  }
}

export { CaseRejected };
