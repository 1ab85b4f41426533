import { bureauTimeZone, topicName } from '@cad110/contracts';
import { runIdempotentConsumer } from '@cad110/kafka';
import { exitOnFatal, groupId } from '@cad110/runtime';
import type { StatisticsRuntime } from './server';
import { projectCallFacts } from './facts/project';

/** Starts statistics' consumer of every topic. */
export async function startConsumers(rt: StatisticsRuntime, timeZone = bureauTimeZone()): Promise<void> {
  rt.consumers.push(
    await runIdempotentConsumer({
      kafka: rt.kafka,
      groupId: groupId('statistics'),
      consumerName: 'statistics.all',
      topics: [topicName('calls'), topicName('dispatch'), topicName('cases')],
      registry: rt.registry,
      transaction: rt.transaction,
      producer: rt.producer,
      logger: rt.logger,
      metrics: rt.metrics,
      handle: (event, tx) => projectCallFacts(event, tx, timeZone),
      onFatal: exitOnFatal(rt.logger),
    }),
  );
}
