import { caseStreamId, type ActingUser, type EventEnvelope, type EventRegistry } from '@cad110/contracts';
import { handleCommand, readStream, runCommand } from '@cad110/eventstore';
import type { RunInTransaction } from '@cad110/db';
import type { Logger } from '@cad110/logging';
import { CaseRejected, decide, foldCase, type CaseCommand, type CaseEvent, type CaseState } from './case';
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
  async execute(caseId: string, command: Exclude<CaseCommand, { type: 'OpenCase' }>, by: ActingUser, ifMatch?: number): Promise<CommandResult> {
    try {
      const r = await runCommand(this.deps.transaction, (tx) =>
        handleCommand(tx, this.deps.registry, caseStream(this.deps.registry), caseStreamId(caseId), (state) => decide(command, state, { now: new Date().toISOString() }) as unknown as CaseEvent[], {
          by,
          what: `case ${caseId}`,
          mustExist: true,
          ...(ifMatch !== undefined ? { expectedVersion: ifMatch } : {}),
        }),
      );
      this.deps.published();
      this.deps.logger.info({ caseId, command: command.type, version: r.version, actor: by.actor.id }, 'case command applied');
      return { caseId, version: r.version, events: r.envelopes.map((e) => e.type) };
    } catch (err) {
      if (err instanceof CaseRejected) this.deps.logger.info({ caseId, command: command.type, code: err.code }, 'case command rejected');
      throw err;
    }
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
