import { topicName } from '@cad110/contracts';
import { runIdempotentConsumer } from '@cad110/kafka';
import { exitOnFatal, groupId } from '@cad110/runtime';
import type { DispatchRuntime } from './server';
import { onCallEvent } from './incidents/open-incident';

/** Starts dispatch's consumer of intake's call events. */
export async function startConsumers(rt: DispatchRuntime): Promise<void> {
  rt.consumers.push(
    await runIdempotentConsumer({
      kafka: rt.kafka,
      groupId: groupId('dispatch'),
      consumerName: 'dispatch.calls',
      topics: [topicName('calls')],
      registry: rt.registry,
      transaction: rt.transaction,
      producer: rt.producer,
      logger: rt.logger,
      metrics: rt.metrics,
      handle: (event, tx) => onCallEvent(event, tx, rt.registry),
      afterCommit: () => rt.relay.nudge(),
      onFatal: exitOnFatal(rt.logger),
    }),
  );
}
