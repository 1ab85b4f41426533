import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { CallHandedToDispatch, EventEnvelope } from '@cad110/contracts';
import { handleCommand } from '@cad110/eventstore';
import { withServiceArea } from '@cad110/geo';
import type { Sql } from '@cad110/db';
import { nowOf, type DispatchContext } from '../context';
import { freeCandidates, recommendWith } from '../recommend/candidates';
import { SYSTEM_ACTOR } from '../system';
import { decide } from './incident';
import { incidentStream, incidentStreamId } from './stream';

export type Handed = z.infer<typeof CallHandedToDispatch.schema>;

/** Which of these calls already have an incident (one statement). @param callIds call UUIDs */
export async function callsWithIncident(tx: Sql, callIds: readonly string[]): Promise<Set<string>> {
  const rows = await tx.query<{ call_id: string }>('SELECT call_id::text FROM incidents WHERE call_id = ANY($1::uuid[])', [callIds]);
  return new Set(rows.map((r) => r.call_id));
}

/**
 * Consumer effect of CallHandedToDispatch: opens exactly one incident per call (IncidentOpened +
 * UnitsRecommended for the hand-over time) in the consumer's transaction. The district is the
 * call's, else the map's district at its coordinates.
 * @param opts.candidates the free units and duty levels to recommend from (default: read now);
 *   the consumer reads them once per chunk transaction (consumers/calls.ts)
 * @param opts.opened the calls known to have an incident in this transaction
 *   ({@link callsWithIncident} for a consumer chunk; the new call is added to it); default: ask
 * @returns the incident id, or null when the call already has one
 */
export async function openIncident(
  ctx: DispatchContext,
  tx: Sql,
  call: Handed,
  cause: EventEnvelope,
  opts: { candidates?: () => ReturnType<typeof freeCandidates>; opened?: Set<string> } = {},
): Promise<string | null> {
  if (opts.opened ? opts.opened.has(call.callId) : (await callsWithIncident(tx, [call.callId])).size) return null;
  opts.opened?.add(call.callId);
  const incidentId = randomUUID();
  const { lat, lon } = call.location;
  const district = call.location.district ?? (typeof lat === 'number' && typeof lon === 'number' ? ctx.map.districtAt({ lat, lon }) : undefined);
  const { units, dutyLevels } = await (opts.candidates ? opts.candidates() : freeCandidates(tx));
  const rec = recommendWith(
    ctx,
    { category: call.category, subtype: call.subtype, flags: call.flags, priority: call.priority, district: district ?? null, lat: lat ?? null, lon: lon ?? null },
    units,
    dutyLevels,
    call.handedAt,
  );
  await handleCommand(
    tx,
    ctx.registry,
    incidentStream,
    incidentStreamId(incidentId),
    (state) =>
      decide(
        {
          type: 'OpenIncident',
          opened: {
            incidentId,
            callId: call.callId,
            openedAt: call.handedAt,
            answeredAt: call.answeredAt,
            kind: call.kind,
            category: call.category,
            subtype: call.subtype,
            priority: call.priority,
            flags: call.flags,
            // every location is checked against the service area (libs/geo): outside it is flagged
            location: withServiceArea({ ...call.location, ...(district ? { district } : {}) }),
            ...(call.externalRef ? { externalRef: call.externalRef } : {}),
          },
          recommended: { incidentId, callId: call.callId, recommendedAt: nowOf(ctx), asOf: call.handedAt, recommendations: rec.recommendations, runCard: rec.runCard, ...(rec.locationReason ? { locationReason: rec.locationReason } : {}) },
        },
        state,
      ),
    { by: SYSTEM_ACTOR, causationId: cause.eventId, occurredAt: call.handedAt, isNew: true },
  );
  return incidentId;
}
