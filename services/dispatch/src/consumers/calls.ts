import { topicName, type CallCancelled } from '@cad110/contracts';
import type { Sql } from '@cad110/db';
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
 */
export async function startConsumers(rt: DispatchRuntime, ctx: DispatchContext): Promise<void> {
  // the free units are read once per chunk transaction, not once per hand-over (one statement
  // and its rows per incident in the profile); a cancellation frees units, so it drops them.
  // Within one chunk the recommendations then see the units as of the chunk's first hand-over —
  // milliseconds apart, and a recommendation is advice stamped with its `asOf`, not an assignment.
  const chunkCandidates = new WeakMap<Sql, ReturnType<typeof freeCandidates>>();
  const candidatesOf = (tx: Sql) => chunkCandidates.get(tx) ?? chunkCandidates.set(tx, freeCandidates(tx)).get(tx)!;
  // the calls of a chunk that already have an incident, read with one statement for the chunk
  // (was one per hand-over); kept current by the chunk's own openings
  const chunkOpened = new WeakMap<Sql, Set<string>>();
  rt.consumers.push(
    await runIdempotentConsumer({
      kafka: rt.kafka,
      groupId: groupId('dispatch'),
      consumerName: 'dispatch.calls',
      topics: [topicName('calls')],
      registry: rt.registry,
      // opens the sealed address and narrative (a message that does not open is dead-lettered)
      keyring: rt.keyring,
      transaction: rt.db.transaction,
      // other call events cost no database work here (no processed marker either)
      accepts: (type) => type === 'CallHandedToDispatch' || type === 'CallCancelled',
      prepare: async (items, tx) => {
        const callIds = items.filter((i) => i.event.type === 'CallHandedToDispatch').map((i) => (i.event.data as Handed).callId);
        chunkOpened.set(tx, callIds.length ? await callsWithIncident(tx, callIds) : new Set());
      },
      producer: rt.producer,
      logger: rt.logger,
      metrics: rt.metrics,
      handle: async (event, tx) => {
        if (event.type === 'CallHandedToDispatch') await openIncident(ctx, tx, event.data as Handed, event, { candidates: () => candidatesOf(tx), ...(chunkOpened.has(tx) ? { opened: chunkOpened.get(tx)! } : {}) });
        else if (event.type === 'CallCancelled') {
          const d = event.data as z.infer<typeof CallCancelled.schema>;
          chunkCandidates.delete(tx);
          await cancelForCall(ctx, tx, d.callId, `call cancelled: ${d.reason}${d.note ? ` (${d.note})` : ''}`, event.occurredAt, event);
        }
      },
      afterCommit: () => rt.relay.nudge(),
      onFatal: exitOnFatal(rt.logger),
      ...consumerSettings(rt.env),
    }),
  );
}
