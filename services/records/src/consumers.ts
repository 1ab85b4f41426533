import { bureauTimeZone, topicName } from '@cad110/contracts';
import { withDeferredRows } from '@cad110/db';
import { BACKGROUND_FETCH_MIN_BYTES, runIdempotentConsumer } from '@cad110/kafka';
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
      // no processed_messages rows: every effect of records' handler is idempotent by itself — a
      // timeline row per event id (unique, ON CONFLICT DO NOTHING), at most one case per incident
      // (looked up under the call's counting lock before it opens), reclassification and
      // relocation to the latest by classifiedAt / stream version; events without a call id or
      // case effect (unit statuses, duty levels) change nothing. Tested by chunk-cases.int.spec
      // and redelivery.int.spec (every message delivered twice, over real Kafka).
      effectsIdempotent: true,
      producer: rt.producer,
      logger: rt.logger,
      metrics: rt.metrics,
      // a chunk's counting locks and case look-ups in two statements, not two per event
      prepare: async (items, tx) => void (await lockCallsOf(tx, items.map((i) => i.event))),
      handle: (event, tx) => onEvent(event, tx, rt.registry, timeZone),
      afterCommit: () => rt.relay.nudge(),
      // off the call → recommendation path: fetches wait for several messages (≤ 500 ms)
      fetchMinBytes: BACKGROUND_FETCH_MIN_BYTES,
      onFatal: exitOnFatal(rt.logger),
      ...consumerSettings(rt.env),
    }),
  );
}
