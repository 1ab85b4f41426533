import { NotFoundError } from '@cad110/contracts';
import { atOf, type DispatchContext } from '../context';
import type { Incident as IncidentRow } from '../generated/prisma/client';
import { freeCandidates, recommendWith } from './candidates';
import type { Recommendation } from './recommend';

/**
 * Live recommendation for an incident at `at` (UTC ISO-8601, default now) from the current unit
 * registry and duty levels. Read-only: nothing is appended.
 * @throws NotFoundError, FutureTimeError
 */
export async function recommendationsFor(
  ctx: DispatchContext,
  incidentId: string,
  opts: { at?: string; alternates?: number; includeReplayUnits?: boolean } = {},
): Promise<Recommendation & { incidentId: string; asOf: string; status: string }> {
  const at = atOf(ctx, opts.at);
  const { incident, free } = await ctx.transaction(async (tx) => ({
    incident: (
      await tx.query<Pick<IncidentRow, 'category' | 'subtype' | 'flags' | 'priority' | 'district' | 'lat' | 'lon' | 'status'>>(
        'SELECT category, subtype, flags, priority, district, lat, lon, status FROM incidents WHERE id = $1::uuid',
        [incidentId],
      )
    )[0],
    free: await freeCandidates(tx, opts.includeReplayUnits ?? false),
  }));
  if (!incident) throw new NotFoundError(`incident ${incidentId}`);
  const rec = recommendWith(
    ctx,
    { category: incident.category, subtype: incident.subtype, flags: incident.flags, priority: incident.priority, district: incident.district, lat: incident.lat, lon: incident.lon },
    free.units,
    free.dutyLevels,
    at,
    { ...(opts.alternates !== undefined ? { alternates: opts.alternates } : {}), ...(opts.includeReplayUnits ? { includeReplayUnits: true } : {}) },
  );
  return { incidentId, asOf: at, status: incident.status, ...rec };
}
