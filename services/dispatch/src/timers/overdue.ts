import { CommandRejected, StaleVersionError } from '@cad110/contracts';
import { handleCommand, runCommand } from '@cad110/eventstore';
import type { DispatchContext } from '../context';
import type { Unit as UnitRow } from '../generated/prisma/client';
import { SYSTEM_ACTOR } from '../system';
import { unitStream, unitStreamId } from '../units/stream';
import { decide } from '../units/unit';

/** Not-en-route limit: a dispatched unit that has not reported en route after 60 s is overdue. */
export const NOT_EN_ROUTE_LIMIT_SECONDS = 60;

/**
 * Status timers (run periodically with the injectable clock): raises UnitOverdueAlerted for
 * - units dispatched but not en route after {@link NOT_EN_ROUTE_LIMIT_SECONDS} (once per dispatch);
 * - units on scene longer than the incident subtype's `onSceneLimitMinutes` (taxonomy), asking
 *   for a check-in, again after every further limit (sequence 2, 3, ...).
 * A status entered with a past `at` (late entry, replay) gets the full limit of clock time from
 * when it was recorded, so back-entered histories raise no alert for gaps already closed.
 * A unit that changed since it was read is left to the next round.
 * @returns the alerts raised
 */
export async function checkOverdue(ctx: DispatchContext): Promise<{ unitId: string; kind: string; sequence: number }[]> {
  const now = ctx.clock().getTime();
  const raised: { unitId: string; kind: string; sequence: number }[] = [];
  const candidates = await ctx.transaction((tx) => tx.select<UnitRow>(`SELECT * FROM units WHERE status IN ('dispatched', 'on-scene')`));
  try {
    for (const c of candidates) {
      const limitSeconds = c.status === 'dispatched' ? NOT_EN_ROUTE_LIMIT_SECONDS : await onSceneLimitSeconds(ctx, c.incidentId);
      if (!limitSeconds || !c.statusSince) continue;
      const sequence = c.alertsInStatus + 1;
      if (c.status === 'dispatched' && sequence > 1) continue;
      const since = Math.max(c.statusSince.getTime(), c.statusRecordedAt?.getTime() ?? 0);
      if (now < since + limitSeconds * 1000 * sequence) continue;
      const kind = c.status === 'dispatched' ? 'not-en-route' : 'check-in-due';
      try {
        await runCommand(ctx.transaction, (tx) =>
          handleCommand(tx, ctx.registry, unitStream(ctx), unitStreamId(c.id), (s) => decide({ type: 'RaiseOverdue', kind, limitSeconds, sequence }, s), {
            by: SYSTEM_ACTOR,
            occurredAt: new Date(now).toISOString(),
            expectedVersion: c.version,
          }),
        );
        raised.push({ unitId: c.id, kind, sequence });
      } catch (e) {
        if (!(e instanceof CommandRejected) && !(e instanceof StaleVersionError)) throw e;
      }
    }
  } finally {
    // also when a later candidate throws: the alerts already committed must not wait for the relay's idle poll
    if (raised.length) ctx.published();
  }
  return raised;
}

async function onSceneLimitSeconds(ctx: DispatchContext, incidentId: string | null): Promise<number | null> {
  if (!incidentId) return null;
  const inc = (await ctx.transaction((tx) => tx.query<{ subtype: string }>('SELECT subtype FROM incidents WHERE id = $1::uuid', [incidentId])))[0];
  const minutes = inc ? ctx.taxonomy.subtype(inc.subtype)?.onSceneLimitMinutes : undefined;
  return minutes ? minutes * 60 : null;
}
