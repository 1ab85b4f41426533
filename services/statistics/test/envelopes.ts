import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { eventRegistry, topicName, type EventEnvelope, type SourceService } from '@cad110/contracts';

const SOURCE_OF = { calls: 'intake', dispatch: 'dispatch', cases: 'records' } as const;

/**
 * A contract-valid envelope for a test producer (validated against the registry). streamVersion
 * is taken from a per-stream counter so each stream's versions are 1, 2, 3, …
 */
export class EnvelopeFactory {
  private readonly versions = new Map<string, number>();

  /** @param firstVersion stream version of a stream's first event here (fixtures use 1000+ so they stand out) */
  constructor(
    private readonly actor = 'fixture:statistics-test',
    private readonly firstVersion = 1,
  ) {}

  make(type: string, data: Record<string, unknown>, opts: { streamId: string; occurredAt: string; recordedAt?: string; correlationId: string }): EventEnvelope {
    const def = eventRegistry.get(type);
    if (!def) throw new Error(`unknown event type ${type}`);
    const v = (this.versions.get(opts.streamId) ?? this.firstVersion - 1) + 1;
    this.versions.set(opts.streamId, v);
    const env: EventEnvelope = {
      eventId: randomUUID(),
      type,
      schemaVersion: def.version,
      streamId: opts.streamId,
      streamVersion: v,
      occurredAt: opts.occurredAt,
      recordedAt: opts.recordedAt ?? new Date().toISOString(),
      source: SOURCE_OF[def.topic as keyof typeof SOURCE_OF] as SourceService,
      metadata: { actor: { id: this.actor }, correlationId: opts.correlationId, causationId: null },
      data,
    };
    return eventRegistry.parse(JSON.stringify(env)); // throws when not contract-valid
  }
}

/** Publishes envelopes on their topics (key = call id), in order, in batches. */
export async function publish(producer: Producer, prefix: string, envs: readonly EventEnvelope[], batch = 500): Promise<void> {
  for (let i = 0; i < envs.length; i += batch) {
    const byTopic = new Map<string, { key: string; value: string }[]>();
    for (const e of envs.slice(i, i + batch)) {
      const topic = topicName(eventRegistry.get(e.type)!.topic, prefix);
      const list = byTopic.get(topic) ?? byTopic.set(topic, []).get(topic)!;
      list.push({ key: e.metadata.correlationId, value: JSON.stringify(e) });
    }
    await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  }
}
