import { bureauTimeZone, topicName } from '@cad110/contracts';
import { withDeferredRows } from '@cad110/db';
import { runIdempotentConsumer } from '@cad110/kafka';
import { consumerSettings, exitOnFatal, groupId } from '@cad110/runtime';
import type { RecordsRuntime } from './server';
import { onEvent } from './cases/on-event';
import { lockCallsOf } from './cases/counting';

/** Starts records' consumer of call and dispatch events. */
export async function startConsumers(rt: RecordsRuntime, timeZone = bureauTimeZone()): Promise<void> {
  rt.consumers.push(
    await runIdempotentConsumer({
      kafka: rt.kafka,
      groupId: groupId('records'),
      consumerName: 'records.calls+dispatch',
      topics: [topicName('calls'), topicName('dispatch')],
      registry: rt.registry,
      // opens the sealed address and narrative (a message that does not open is dead-lettered)
      keyring: rt.keyring,
      transaction: withDeferredRows(rt.db.transaction),
      producer: rt.producer,
      logger: rt.logger,
      metrics: rt.metrics,
      // a chunk's counting locks and case look-ups in two statements, not two per event
      prepare: async (items, tx) => void (await lockCallsOf(tx, items.map((i) => i.event))),
      handle: (event, tx) => onEvent(event, tx, rt.registry, timeZone),
      afterCommit: () => rt.relay.nudge(),
      onFatal: exitOnFatal(rt.logger),
      ...consumerSettings(rt.env),
    }),
  );
}
