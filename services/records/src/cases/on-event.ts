import { randomUUID } from 'node:crypto';
import { caseStreamId, IncidentOpened, type EventEnvelope, type EventRegistry } from '@cad110/contracts';
import { deferAppends, flushAppends, handleCommand } from '@cad110/eventstore';
import type { DeferringTx, Sql } from '@cad110/db';
import { activeContext, inContext } from '@cad110/telemetry';
import type { z } from 'zod';
import { decide, type CaseEvent } from './case';
import { caseStream } from './stream';
import { caseNumberYear, nextCaseNumbers } from './case-number';
import { recordOnTimeline } from './read-model';
import { caseOpenedIn, countingOfCalls, knownWithoutCase, lockCallsOf, onCallClassified, onCallLocated } from './counting';

export { callIdOf, recordOnTimeline } from './read-model';

type Opened = z.infer<typeof IncidentOpened.schema>;

/**
 * Consumer handler for call and dispatch events: every event of a call goes on the timeline; an
 * opened incident opens its case file (CaseOpened with a gapless case number, taken in this
 * transaction: a rollback returns the number). An incident that already has a case is skipped,
 * so a redelivered or replayed IncidentOpened opens nothing twice. The case counts under the
 * call's latest classification (a CallClassified, also after the hand-over, reclassifies the case),
 * under its latest location's district (a CallLocated after the hand-over relocates the case) and
 * on its answer day (counting.ts).
 *
 * In the consumer's chunk transaction (a {@link DeferringTx}) the cases of a chunk's
 * IncidentOpened events are opened together at its end ({@link openCases}): the case-number
 * counter (one row per year, locked until COMMIT) is then held for the chunk's last statements
 * instead of from its first IncidentOpened on, which queued every other partition's chunk behind
 * it (`bench/results/issue12-*-session4-*.md`). Outside one (tests, tools) a case opens at once.
 *
 * In the chunk the statements are per chunk, not per event: the consumer's `prepare` takes the
 * counting locks of the chunk's calls and reads which have a case (counting.ts `lockCallsOf`);
 * opening reads the timelines of all its calls at once (`countingOfCalls`), and the cases' appends
 * and rows are written with the chunk's deferred rows at COMMIT. So the counter row is held for
 * the flush and the commit only.
 */
export async function onEvent(event: EventEnvelope, tx: Sql, registry: EventRegistry, timeZone: string): Promise<void> {
  await recordOnTimeline(tx, registry, event);
  if (event.type === 'CallClassified') return onCallClassified(tx, event);
  if (event.type === 'CallLocated') return onCallLocated(tx, event);
  if (event.type !== 'IncidentOpened') return;
  const opening = { inc: event.data as Opened, cause: event, trace: activeContext() };
  const chunk = tx as Partial<DeferringTx>;
  if (!chunk.beforeCommit || !chunk.deferred) return openCases(tx, registry, timeZone, [opening]);
  let queued = pending.get(chunk.deferred);
  if (!queued) {
    const list: Opening[] = [];
    pending.set(chunk.deferred, list);
    chunk.beforeCommit(() => openCases(tx, registry, timeZone, list));
    queued = list;
  }
  queued.push(opening);
}

interface Opening {
  inc: Opened;
  cause: EventEnvelope;
  /** the trace context of the IncidentOpened message: CaseOpened is appended in it (one trace per call) */
  trace: ReturnType<typeof activeContext>;
}

/** The IncidentOpened events of each open chunk transaction, keyed by its DeferredRows. */
const pending = new WeakMap<object, Opening[]>();

/**
 * Opens the cases of `openings` in their order, skipping incidents that already have one (or
 * appear twice): each under its call's counting lock with its counting classification and
 * location, numbered from one counter update per local year. Statements: one look-up of the
 * incidents whose call may have a case (none when `prepare` found none), one timeline read, one
 * counter update per year; the appends are written in one statement (in a chunk transaction).
 */
async function openCases(tx: Sql, registry: EventRegistry, timeZone: string, openings: readonly Opening[]): Promise<void> {
  const fresh: Opening[] = [];
  const seen = new Set<string>();
  for (const o of openings) {
    if (seen.has(o.inc.incidentId)) continue;
    seen.add(o.inc.incidentId);
    fresh.push(o);
  }
  // the calls' counting locks (held since the chunk's `prepare` in a chunk, taken here otherwise)
  await lockCallsOf(tx, fresh.map((o) => o.cause));
  // an incident whose call has no case has none either: only the others are looked up
  const unsure = fresh.filter((o) => !knownWithoutCase(tx, o.inc.callId)).map((o) => o.inc.incidentId);
  const opened = new Set(
    unsure.length ? (await tx.query<{ incident_id: string }>('SELECT incident_id FROM cases WHERE incident_id = ANY($1::uuid[])', [unsure])).map((r) => r.incident_id) : [],
  );
  const toOpen = fresh.filter((o) => !opened.has(o.inc.incidentId));
  if (toOpen.length === 0) return;
  const countings = await countingOfCalls(tx, toOpen.map((o) => ({ callId: o.inc.callId, handedOver: o.inc })));
  const numbers = new Map<number, string[]>();
  for (const o of toOpen) {
    const year = caseNumberYear(o.inc.openedAt, timeZone);
    numbers.set(year, [...(numbers.get(year) ?? []), '']);
  }
  // the years' counter rows in ascending order: two chunks that straddle New Year queue, not deadlock
  for (const [year, slots] of [...numbers].sort(([a], [b]) => a - b)) numbers.set(year, await nextCaseNumbers(tx, year, slots.length));
  // the cases' appends and rows are written together when the transaction commits (one statement
  // per table), so the case-number counter locked just above is held for those few statements only
  const chunk = (tx as Partial<DeferringTx>).deferred !== undefined;
  if (chunk) deferAppends(tx);
  for (const [i, { inc, cause, trace }] of toOpen.entries()) {
    const { counting, located } = countings[i]!;
    const caseId = randomUUID();
    const caseNumber = numbers.get(caseNumberYear(inc.openedAt, timeZone))!.shift()!;
    await inContext(trace, () =>
      handleCommand(
        tx,
        registry,
        caseStream(registry, { kind: inc.kind, priority: inc.priority, ...(located.beat ? { beat: located.beat } : {}), answeredAt: inc.answeredAt, counting }),
        caseStreamId(caseId),
        (state) =>
          decide(
            {
              type: 'OpenCase',
              caseId,
              caseNumber,
              incidentId: inc.incidentId,
              callId: inc.callId,
              openedAt: inc.openedAt,
              category: inc.category,
              subtype: inc.subtype,
              ...(located.district ? { district: located.district } : {}),
            },
            state,
            { now: new Date().toISOString() },
          ) as unknown as CaseEvent[],
        { by: { actor: { id: 'system:records' } }, causationId: cause.eventId, isNew: true },
      ),
    );
    caseOpenedIn(tx, inc.callId);
  }
  if (chunk) await flushAppends(tx);
}
