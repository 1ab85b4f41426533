import { topicName, type CallCancelled, type CallHandedToDispatch } from '@cad110/contracts';
import { runIdempotentConsumer } from '@cad110/kafka';
import { exitOnFatal, groupId } from '@cad110/runtime';
import type { z } from 'zod';
import type { DispatchContext, DispatchRuntime } from '../context';
import { cancelForCall } from '../incidents/cancel';
import { openIncident } from '../incidents/open';

/**
 * Starts dispatch's consumer of intake's call events (idempotent: the effect and the processed
 * marker commit together, in one plain `pg` transaction per chunk of messages; other call events
 * are acknowledged without touching the database):
 * - CallHandedToDispatch opens exactly one incident per call with its recommendation
 *   (incidents/open.ts);
 * - CallCancelled cancels the call's open incident, its units cleared (incidents/cancel.ts).
 */
export async function startConsumers(rt: DispatchRuntime, ctx: DispatchContext): Promise<void> {
  rt.consumers.push(
    await runIdempotentConsumer({
      kafka: rt.kafka,
      groupId: groupId('dispatch'),
      consumerName: 'dispatch.calls',
      topics: [topicName('calls')],
      registry: rt.registry,
      transaction: rt.sql,
      // other call events cost no database work here (no processed marker either)
      accepts: (type) => type === 'CallHandedToDispatch' || type === 'CallCancelled',
      producer: rt.producer,
      logger: rt.logger,
      metrics: rt.metrics,
      handle: async (event, tx) => {
        if (event.type === 'CallHandedToDispatch') await openIncident(ctx, tx, event.data as z.infer<typeof CallHandedToDispatch.schema>, event);
        else if (event.type === 'CallCancelled') {
          const d = event.data as z.infer<typeof CallCancelled.schema>;
          await cancelForCall(ctx, tx, d.callId, `call cancelled: ${d.reason}${d.note ? ` (${d.note})` : ''}`, event.occurredAt, event);
        }
      },
      afterCommit: () => rt.relay.nudge(),
      onFatal: exitOnFatal(rt.logger),
    }),
  );
}
