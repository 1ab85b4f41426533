import type { DutyLevel } from '@cad110/contracts';
import { localMinute, nowOf, type DispatchContext } from '../context';
import type { DutyLevelState as DutyLevelRow, Unit as UnitRow } from '../generated/prisma/client';
import { dutyStatus } from './duty';

/**
 * Duty levels of every district on the map or with units, with the units and officers on duty
 * at `at` (UTC ISO-8601, default now; in service on the roster, level and shift).
 */
export async function dutyOverview(ctx: DispatchContext, at = nowOf(ctx)) {
  const { units, rows } = await ctx.transaction(async (tx) => ({
    units: await tx.select<UnitRow>('SELECT * FROM units WHERE NOT replay'),
    rows: await tx.select<DutyLevelRow>('SELECT district, level, reason, changed_at, version FROM duty_levels'),
  }));
  const levels = new Map(rows.map((d) => [d.district, d.level as DutyLevel]));
  const minute = localMinute(at, ctx.timeZone);
  const districts = [...new Set([...ctx.map.districts.keys(), ...units.map((u) => u.district)])];
  return districts.map((d) => {
    const level = levels.get(d) ?? 'normal';
    const mine = units.filter((u) => u.district === d);
    const on = mine.filter((u) => u.inService && dutyStatus({ minDutyLevel: u.minDutyLevel as DutyLevel, shift: { name: u.shiftName, start: u.shiftStart, end: u.shiftEnd } }, level, minute).onDuty);
    const row = rows.find((r) => r.district === d);
    return {
      district: d,
      nameZh: ctx.map.districts.get(d)?.nameZh ?? null,
      level,
      version: row?.version ?? 0,
      changedAt: row?.changedAt ? row.changedAt.toISOString() : null,
      reason: row?.reason ?? null,
      units: mine.length,
      onDutyUnits: on.length,
      onDutyOfficers: on.reduce((s, u) => s + u.crewSize, 0),
      onDutyUnitIds: on.map((u) => u.id),
    };
  });
}
