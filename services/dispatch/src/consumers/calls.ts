import { topicName, type CallCancelled, type EventEnvelope } from '@cad110/contracts';
import { withDeferredRows, type DeferringTx, type Sql } from '@cad110/db';
import { runIdempotentConsumer } from '@cad110/kafka';
import { consumerSettings, exitOnFatal, groupId } from '@cad110/runtime';
import type { z } from 'zod';
import type { DispatchContext, DispatchRuntime } from '../context';
import { cancelForCall } from '../incidents/cancel';
import { callsWithIncident, openIncident, type Handed } from '../incidents/open';
import { freeCandidates } from '../recommend/candidates';

/**
 * Starts dispatch's consumer of intake's call events (idempotent: the effect and the processed
 * marker commit together, in one plain `pg` transaction per chunk of messages; other call events
 * are acknowledged without touching the database):
 * - CallHandedToDispatch opens exactly one incident per call with its recommendation
 *   (incidents/open.ts);
 * - CallCancelled cancels the call's open incident, its units cleared (incidents/cancel.ts).
 * See {@link callEventsChunk}.
 */
export async function startConsumers(rt: DispatchRuntime, ctx: DispatchContext): Promise<void> {
  const chunk = callEventsChunk(ctx);
  rt.consumers.push(
    await runIdempotentConsumer({
      kafka: rt.kafka,
      groupId: groupId('dispatch'),
      consumerName: 'dispatch.calls',
      topics: [topicName('calls')],
      registry: rt.registry,
      // opens the sealed address and narrative (a message that does not open is dead-lettered)
      keyring: rt.keyring,
      // each chunk's new incidents rows are queued and inserted with one statement at its end
      transaction: withDeferredRows(rt.db.transaction),
      // other call events cost no database work here (no processed marker either)
      accepts: (type) => type === 'CallHandedToDispatch' || type === 'CallCancelled',
      prepare: (items, tx) => chunk.prepare(items.map((i) => i.event), tx),
      producer: rt.producer,
      logger: rt.logger,
      metrics: rt.metrics,
      handle: (event, tx) => chunk.handle(event, tx),
      afterCommit: () => rt.relay.nudge(),
      onFatal: exitOnFatal(rt.logger),
      ...consumerSettings(rt.env),
    }),
  );
}

/**
 * What dispatch does with a chunk of call events in one transaction (exported for the tests that
 * run it on a counting transaction):
 * - `prepare`: reads which of the chunk's handed-over calls already have an incident (one
 *   statement for the chunk; was one per hand-over), kept current by the chunk's own openings;
 * - `handle`: CallHandedToDispatch opens the call's incident, CallCancelled cancels it.
 *
 * The free units are read once per chunk transaction, not once per hand-over (one statement and
 * its rows per incident in the profile); a cancellation frees units, so it drops them. Within one
 * chunk the recommendations then see the units as of the chunk's first hand-over — milliseconds
 * apart, and a recommendation is advice stamped with its `asOf`, not an assignment.
 *
 * In a transaction with deferred rows (libs/db `withDeferredRows`, as the consumer runs) the new
 * incidents' rows are queued (incidents/stream.ts) and inserted together before the commit; a
 * cancellation writes the queued rows first, so it finds an incident opened earlier in its chunk.
 */
export function callEventsChunk(ctx: DispatchContext): {
  prepare: (events: readonly EventEnvelope[], tx: Sql) => Promise<void>;
  handle: (event: EventEnvelope, tx: Sql) => Promise<void>;
} {
  const chunkCandidates = new WeakMap<Sql, ReturnType<typeof freeCandidates>>();
  const candidatesOf = (tx: Sql) => chunkCandidates.get(tx) ?? chunkCandidates.set(tx, freeCandidates(tx)).get(tx)!;
  const chunkOpened = new WeakMap<Sql, Set<string>>();
  return {
    prepare: async (events, tx) => {
      const callIds = events.filter((e) => e.type === 'CallHandedToDispatch').map((e) => (e.data as Handed).callId);
      chunkOpened.set(tx, callIds.length ? await callsWithIncident(tx, callIds) : new Set());
    },
    handle: async (event, tx) => {
      if (event.type === 'CallHandedToDispatch') await openIncident(ctx, tx, event.data as Handed, event, { candidates: () => candidatesOf(tx), ...(chunkOpened.has(tx) ? { opened: chunkOpened.get(tx)! } : {}) });
      else if (event.type === 'CallCancelled') {
        const d = event.data as z.infer<typeof CallCancelled.schema>;
        chunkCandidates.delete(tx);
        const queued = (tx as Partial<DeferringTx>).deferred;
        if (queued?.size) await queued.flush(tx);
        await cancelForCall(ctx, tx, d.callId, `call cancelled: ${d.reason}${d.note ? ` (${d.note})` : ''}`, event.occurredAt, event);
      }
    },
  };
}
