import { caseStreamId, type EventEnvelope, type EventMetadata, type EventRegistry } from '@cad110/contracts';
import { appendToStream, ConcurrencyError, readStream, type RunInTransaction } from '@cad110/eventstore';
import type { Logger } from '@cad110/logging';
import type { RecordsTx } from '../prisma';
import { CaseRejected, decide, foldCase, type CaseCommand, type CaseState } from './case';
import { projectCase } from './read-model';

export type ActingUser = Pick<EventMetadata, 'actor' | 'workstation'> & { requestId?: string };

/** The case does not exist (HTTP 404). */
export class CaseNotFound extends Error {
  constructor(readonly caseId: string) {
    super(`case ${caseId} does not exist`);
    this.name = 'CaseNotFound';
  }
}

/** `If-Match` named another version than the current one (HTTP 412). */
export class VersionMismatch extends Error {
  constructor(
    readonly expected: number,
    readonly current?: number,
  ) {
    super(current === undefined ? `the case changed after version ${expected}` : `the case is at version ${current}, not ${expected}`);
    this.name = 'VersionMismatch';
  }
}

export interface CaseServiceDeps {
  transaction: RunInTransaction<RecordsTx>;
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
   * Runs a command on a case: reads its stream, checks `ifMatch` (the version the client last
   * saw), decides, appends with the read version as expected version (the database refuses a
   * concurrent append), projects the read model and timeline, all in one transaction.
   * Without `ifMatch` a concurrent append is retried (up to 3 times) on the new state.
   * Personal fields of parties are never logged: only ids, types and versions are.
   * @throws CaseNotFound (404), VersionMismatch (412), CaseRejected (409)
   */
  async execute(caseId: string, command: Exclude<CaseCommand, { type: 'OpenCase' }>, by: ActingUser, ifMatch?: number): Promise<CommandResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        const stored = await this.deps.transaction(async (tx) => {
          const { version, events } = await readStream(tx, this.deps.registry, caseStreamId(caseId), 'records');
          if (version === 0) throw new CaseNotFound(caseId);
          if (ifMatch !== undefined && ifMatch !== version) throw new VersionMismatch(ifMatch, version);
          const state = foldCase(events);
          const newEvents = decide(command, state, { now: new Date().toISOString() });
          const envs = await appendToStream(tx, this.deps.registry, {
            streamId: caseStreamId(caseId),
            streamType: 'case',
            expectedVersion: version,
            events: newEvents,
            source: 'records',
            partitionKey: state.callId!,
            metadata: { actor: by.actor, ...(by.workstation ? { workstation: by.workstation } : {}), correlationId: state.callId!, causationId: by.requestId ?? null },
          });
          await projectCase(tx, this.deps.registry, state.callId!, envs);
          return envs;
        });
        this.deps.published();
        const version = stored.at(-1)!.streamVersion;
        this.deps.logger.info({ caseId, command: command.type, version, actor: by.actor.id }, 'case command applied');
        return { caseId, version, events: stored.map((e) => e.type) };
      } catch (err) {
        if (err instanceof ConcurrencyError) {
          if (ifMatch !== undefined) throw new VersionMismatch(ifMatch);
          if (attempt < 3) continue;
        }
        if (err instanceof CaseRejected) this.deps.logger.info({ caseId, command: command.type, code: err.code }, 'case command rejected');
        throw err;
      }
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
