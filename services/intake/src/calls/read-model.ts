import type { EventEnvelope } from '@cad110/contracts';
import { isLatLon } from '@cad110/geo';
import { insertRow, updateRows, type Sql } from '@cad110/db';
import { geoCell } from '../duplicates/geo-cell';
import { passOf, type PendingCallRow } from './create-pass';
import { normaliseNumber } from '../duplicates/score';
import type { Call as CallRow } from '../generated/prisma/client';
import type { CallEvent } from './call';
import type { CallSummary } from './schemas';

/**
 * Applies newly appended call events to the `calls` read model in the same transaction.
 * The row holds the latest state of each call for listing and for the duplicate lookup
 * (grid cell of the coordinates, normalised caller number). A new call's row is queued instead
 * when the transaction runs creates together (create-pass.ts), and inserted at its end.
 */
export async function projectCall(tx: Sql, events: readonly EventEnvelope[]): Promise<void> {
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
          ringingAt: e.data.ringingAt ? new Date(e.data.ringingAt) : null,
          answeredAt: new Date(e.data.answeredAt),
          createdAt: new Date(e.data.createdAt),
          externalSource: e.data.externalRef?.source ?? null,
          externalId: e.data.externalRef?.id ?? null,
        };
        break;
      case 'CallerRecorded':
        if (e.data.callerNumber) patch.callerNumber = normaliseNumber(e.data.callerNumber);
        break;
      case 'CallLocated': {
        const ll = isLatLon(e.data) ? e.data : undefined;
        Object.assign(patch, {
          lat: ll?.lat ?? null,
          lon: ll?.lon ?? null,
          geoCell: ll ? BigInt(geoCell(ll.lat, ll.lon)) : null,
          district: e.data.district ?? null,
          beat: e.data.beat ?? null,
          address: e.data.address ?? null,
        });
        break;
      }
      case 'CallClassified':
        Object.assign(patch, { kind: e.data.kind, category: e.data.category, subtype: e.data.subtype, priority: e.data.priority });
        if (created && !created.classifiedAt) created.classifiedAt = new Date(e.data.classifiedAt);
        else if (!created) patch.classifiedAtIfUnset = new Date(e.data.classifiedAt);
        break;
      case 'CallHandedToDispatch':
        Object.assign(patch, { status: 'handed-to-dispatch', handedAt: new Date(e.data.handedAt) });
        break;
      case 'CallLinkedAsDuplicate':
        Object.assign(patch, { status: 'duplicate', duplicateOf: e.data.duplicateOfCallId ?? null });
        break;
      case 'CallTransferred':
        Object.assign(patch, { status: 'transferred', outcomeDetail: e.data.to });
        break;
      case 'CallCancelled':
        Object.assign(patch, { status: 'cancelled', outcomeDetail: e.data.reason });
        break;
      case 'CallClosed':
        Object.assign(patch, { status: 'closed', closedAt: new Date(e.data.closedAt) });
        break;
      case 'CallNarrativeAppended':
      case 'CallConfirmedAsNew':
      case 'CallDuplicateSuspected':
        break;
      default: {
        const _exhaustive: never = e;
        void _exhaustive;
        break;
      }
    }
  }
  const classifiedAtIfUnset = patch.classifiedAtIfUnset as Date | undefined;
  delete patch.classifiedAtIfUnset;
  const now = new Date();
  if (created) {
    const row = { ...created, ...patch, updatedAt: now } as unknown as PendingCallRow;
    // creates sharing a transaction insert their rows together at its end (create-pass.ts)
    const pass = passOf(tx);
    if (pass) pass.calls.push(row);
    else await insertRow(tx, 'calls', row);
    return;
  }
  await updateRows(tx, 'calls', { id: callId }, { ...patch, updatedAt: now });
  if (classifiedAtIfUnset) {
    await tx.exec('UPDATE calls SET classified_at = $2 WHERE id = $1::uuid AND classified_at IS NULL', [callId, classifiedAtIfUnset]);
  }
}

const isoOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** A `calls` row as GET /calls lists it ({@link CallSummary}: ISO-8601 strings; no caller number, address or grid cell). */
export function callSummaryOf(r: Omit<CallRow, 'callerNumber' | 'address' | 'geoCell'>): CallSummary {
  return {
    id: r.id,
    version: r.version,
    status: r.status as CallSummary['status'],
    channel: r.channel,
    ringingAt: isoOrNull(r.ringingAt),
    answeredAt: r.answeredAt.toISOString(),
    createdAt: r.createdAt.toISOString(),
    kind: r.kind,
    category: r.category,
    subtype: r.subtype,
    priority: r.priority,
    classifiedAt: isoOrNull(r.classifiedAt),
    lat: r.lat,
    lon: r.lon,
    district: r.district,
    beat: r.beat,
    handedAt: isoOrNull(r.handedAt),
    closedAt: isoOrNull(r.closedAt),
    duplicateOf: r.duplicateOf,
    outcomeDetail: r.outcomeDetail,
    externalSource: r.externalSource,
    externalId: r.externalId,
  };
}
