import type { z } from 'zod';
import { CommandRejected, type ActingUser, type UnitRegistered } from '@cad110/contracts';
import { handleCommand, runCommand } from '@cad110/eventstore';
import { nowOf, type DispatchContext } from '../context';
import { SYSTEM_ACTOR } from '../system';
import { unitStream, unitStreamId } from './stream';
import { decide } from './unit';

/** A unit as registered: UnitRegistered's data without the time. */
export type UnitDefinition = Omit<z.infer<typeof UnitRegistered.schema>, 'registeredAt'>;

/**
 * Registers a unit (UnitRegistered on its new stream `unit-<id>`; the projection adds its
 * registry row, rostered at its district's duty level).
 * @throws CommandRejected `unit-exists` (409) when the id or call sign is taken
 */
export async function registerUnit(ctx: DispatchContext, def: UnitDefinition, by: ActingUser): Promise<{ unitId: string; version: number }> {
  const out = await runCommand(ctx.transaction, async (tx) => {
    const clash = await tx.query<unknown>('SELECT 1 FROM units WHERE id = $1 OR call_sign = $2 LIMIT 1', [def.unitId, def.callSign]);
    if (clash.length) throw new CommandRejected('unit-exists', `unit ${def.unitId} or call sign ${def.callSign} is already registered`);
    const registeredAt = nowOf(ctx);
    const r = await handleCommand(tx, ctx.registry, unitStream(ctx), unitStreamId(def.unitId), (s) => decide({ type: 'RegisterUnit', unit: { ...def, registeredAt } }, s), {
      by,
      occurredAt: registeredAt,
      isNew: true,
    });
    return { unitId: def.unitId, version: r.version };
  });
  ctx.published();
  return out;
}

/** Registers every seed unit that is not registered yet; existing units keep their state. @returns units registered now */
export async function seedUnits(ctx: DispatchContext, units: readonly UnitDefinition[]): Promise<number> {
  let n = 0;
  for (const u of units) {
    const exists = await ctx.transaction((t) => t.query<unknown>('SELECT 1 FROM units WHERE id = $1', [u.unitId]));
    if (exists.length) continue;
    try {
      await registerUnit(ctx, u, SYSTEM_ACTOR);
      n++;
    } catch (e) {
      if (!(e instanceof CommandRejected)) throw e; // another instance seeded it first
    }
  }
  return n;
}
