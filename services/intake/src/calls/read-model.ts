import type { EventEnvelope } from '@cad110/contracts';
import type { IntakeTx } from '../prisma';
import type { CallEvent } from './call';

/**
 * Applies newly appended call events to the `calls` read model in the same transaction.
 * The row holds the latest state of each call for listing and duplicate lookup.
 */
export async function projectCall(tx: IntakeTx, events: readonly EventEnvelope[]): Promise<void> {
  const last = events.at(-1);
  if (!last) return;
  const callId = (events[0]!.data as { callId: string }).callId;
  const patch: Record<string, unknown> = { version: last.streamVersion };
  let created: Record<string, unknown> | undefined;
  for (const env of events) {
    const e = env as unknown as CallEvent;
    switch (e.type) {
      case 'CallReceived':
        created = {
          id: callId,
          status: 'open',
          channel: e.data.channel,
          answeredAt: new Date(e.data.answeredAt),
          createdAt: new Date(e.data.createdAt),
          externalSource: e.data.externalRef?.source ?? null,
          externalId: e.data.externalRef?.id ?? null,
        };
        break;
      case 'CallerRecorded':
        patch.callerNumber = e.data.callerNumber ?? null;
        break;
      case 'CallLocated':
        Object.assign(patch, { lat: e.data.lat ?? null, lon: e.data.lon ?? null, district: e.data.district ?? null, beat: e.data.beat ?? null, address: e.data.address ?? null });
        break;
      case 'CallClassified':
        Object.assign(patch, { kind: e.data.kind, category: e.data.category, subtype: e.data.subtype, priority: e.data.priority });
        break;
      case 'CallHandedToDispatch':
        Object.assign(patch, { status: 'handed-to-dispatch', handedAt: new Date(e.data.handedAt) });
        break;
      case 'CallNarrativeAppended':
        break;
    }
  }
  if (created) {
    await tx.call.create({ data: { ...created, ...patch } as never });
  } else {
    await tx.call.update({ where: { id: callId }, data: patch });
  }
}
