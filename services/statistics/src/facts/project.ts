import { localParts, type CallClassified, type CallLocated, type CallReceived, type EventEnvelope } from '@cad110/contracts';
import type { z } from 'zod';
import type { StatisticsTx } from '../prisma';

/**
 * Folds intake's events into `call_facts` (one row per call; counting unit: call).
 * - CallReceived creates the row with the local day, hour and hour-of-week of the answer time
 *   in the bureau's zone (day boundary: local midnight).
 * - CallClassified sets kind/category/subtype/priority/flags (the latest classification wins).
 * - CallLocated sets district/beat/coordinates.
 * Writes are upserts, so the result does not depend on arrival order across partitions, and
 * the consumer's processed-message record makes a redelivery a no-op.
 */
export async function projectCallFacts(event: EventEnvelope, tx: StatisticsTx, timeZone: string): Promise<void> {
  switch (event.type) {
    case 'CallReceived': {
      const d = event.data as z.infer<typeof CallReceived.schema>;
      const p = localParts(d.answeredAt, timeZone);
      const base = { answeredAt: new Date(d.answeredAt), localDay: p.day, localHour: p.hour, hourOfWeek: p.hourOfWeek, channel: d.channel };
      await tx.callFact.upsert({ where: { callId: d.callId }, create: { callId: d.callId, flags: [], ...base }, update: base });
      return;
    }
    case 'CallClassified': {
      const d = event.data as z.infer<typeof CallClassified.schema>;
      const patch = { kind: d.kind, category: d.category, subtype: d.subtype, priority: d.priority, flags: d.flags };
      await upsertPatch(tx, d.callId, patch);
      return;
    }
    case 'CallLocated': {
      const d = event.data as z.infer<typeof CallLocated.schema>;
      await upsertPatch(tx, d.callId, { district: d.district ?? null, beat: d.beat ?? null, lat: d.lat ?? null, lon: d.lon ?? null });
      return;
    }
    default:
      return;
  }
}

/** Patches a call's facts; creates a placeholder row when the patch arrives before CallReceived. */
async function upsertPatch(tx: StatisticsTx, callId: string, patch: Record<string, unknown>): Promise<void> {
  await tx.callFact.upsert({
    where: { callId },
    // answeredAt/localDay are filled in by CallReceived; epoch placeholders never match a period filter
    create: { callId, answeredAt: new Date(0), localDay: '', localHour: 0, hourOfWeek: 0, channel: 'unknown', flags: [], ...patch },
    update: patch,
  });
}
