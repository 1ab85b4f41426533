import type { DutyLevel } from '@cad110/contracts';
import { Gauge, type Registry } from '@cad110/telemetry';
import { localMinute, nowOf, type DispatchContext } from '../context';
import { isOnDuty } from '../duty/duty';
import type { DutyLevelState as DutyLevelRow, Unit as UnitRow } from '../generated/prisma/client';
import { FREE_STATUSES } from '../recommend/recommend';

/** Priorities always exported (a priority with nothing pending reads 0, so an alert can tell "none" from "no data"). */
export const PRIORITIES = [1, 2, 3, 4] as const;
/** The overdue alert kinds of the status timers (timers/overdue.ts). */
export const OVERDUE_KINDS = ['not-en-route', 'check-in-due'] as const;

/** What a duty officer pages on, read from dispatch's read model at one instant. */
export interface OpsFigures {
  /** pending incidents (no unit working them) per priority, with the age of the oldest in seconds (0 when none) */
  pending: { priority: number; count: number; oldestSeconds: number }[];
  /**
   * units that recommendation would offer now (free status, in service, on duty for the district's level and
   * their shift, not registered by a history replay) per district and unit type; every district on the map
   * or with units appears, a district without any unit as type `none`
   */
  unitsAvailable: { district: string; type: string; count: number }[];
  /** overdue alerts still open: the unit is still in the status the alert was raised for */
  overdueOpen: { kind: string; count: number }[];
}

/** Reads the ops figures in one transaction (a few small aggregate queries; the unit table is read whole, as the duty overview does). */
export async function readOpsFigures(ctx: DispatchContext, at = nowOf(ctx)): Promise<OpsFigures> {
  const { pendingRows, units, levels, overdueRows } = await ctx.transaction(async (tx) => ({
    pendingRows: await tx.query<{ priority: number; n: number; oldest: Date | null }>(
      `SELECT priority, count(*)::int AS n, min(opened_at) AS oldest FROM incidents WHERE status = 'pending' GROUP BY priority`,
    ),
    units: await tx.select<UnitRow>('SELECT * FROM units WHERE NOT replay'),
    levels: await tx.select<DutyLevelRow>('SELECT district, level, reason, changed_at, version FROM duty_levels'),
    overdueRows: await tx.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int AS n FROM units WHERE alerts_in_status > 0 AND status IN ('dispatched', 'on-scene') GROUP BY status`,
    ),
  }));
  const nowMs = Date.parse(at);
  const pending = PRIORITIES.map((priority) => {
    const r = pendingRows.find((p) => Number(p.priority) === priority);
    return { priority, count: r?.n ?? 0, oldestSeconds: r?.oldest ? Math.max(0, Math.round((nowMs - new Date(r.oldest).getTime()) / 1000)) : 0 };
  });
  const level = new Map(levels.map((l) => [l.district, l.level as DutyLevel]));
  const minute = localMinute(at, ctx.timeZone);
  const counts = new Map<string, Map<string, number>>();
  for (const d of ctx.map.districts.keys()) counts.set(d, new Map());
  for (const u of units) {
    const byType = counts.get(u.district) ?? counts.set(u.district, new Map()).get(u.district)!;
    const free =
      FREE_STATUSES.has(u.status) &&
      u.inService &&
      isOnDuty({ minDutyLevel: u.minDutyLevel as DutyLevel, shift: { name: u.shiftName, start: u.shiftStart, end: u.shiftEnd } }, level.get(u.district) ?? 'normal', minute);
    byType.set(u.type, (byType.get(u.type) ?? 0) + (free ? 1 : 0));
  }
  const unitsAvailable = [...counts].flatMap(([district, byType]) =>
    byType.size ? [...byType].map(([type, count]) => ({ district, type, count })) : [{ district, type: 'none', count: 0 }],
  );
  const kindOf: Record<string, string> = { dispatched: 'not-en-route', 'on-scene': 'check-in-due' };
  const overdueOpen = OVERDUE_KINDS.map((kind) => ({ kind, count: overdueRows.filter((r) => kindOf[r.status] === kind).reduce((s, r) => s + r.n, 0) }));
  return { pending, unitsAvailable, overdueOpen };
}

/**
 * Registers dispatch's ops gauges on the service's registry, read from the read model at scrape time
 * (one read per scrape, shared by the four gauges):
 * - `cad110_incidents_pending{priority}`
 * - `cad110_incidents_oldest_pending_seconds{priority}` (0 when none is pending)
 * - `cad110_units_available{district,type}`
 * - `cad110_alerts_overdue_open{kind}`
 * A failed read leaves the gauges empty for that scrape (absent series, which the alert rules' `absent`
 * and the instance's own error logs show) rather than reporting zeros that would look like a calm queue.
 */
export function registerOpsGauges(registry: Registry, read: () => Promise<OpsFigures>, onError: (err: unknown) => void = () => undefined): void {
  let current: { at: number; figures: Promise<OpsFigures | null> } | undefined;
  const figures = () => {
    const now = Date.now();
    if (!current || now - current.at > 1000) current = { at: now, figures: read().catch((err) => (onError(err), null)) };
    return current.figures;
  };
  new Gauge({
    name: 'cad110_incidents_pending',
    help: 'Pending incidents (no unit working them) per priority',
    labelNames: ['priority'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of (await figures())?.pending ?? []) this.set({ priority: String(p.priority) }, p.count);
    },
  });
  new Gauge({
    name: 'cad110_incidents_oldest_pending_seconds',
    help: 'Age of the oldest pending incident per priority, seconds (0 when none is pending)',
    labelNames: ['priority'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const p of (await figures())?.pending ?? []) this.set({ priority: String(p.priority) }, p.oldestSeconds);
    },
  });
  new Gauge({
    name: 'cad110_units_available',
    help: 'Units free, in service and on duty now, per district and unit type',
    labelNames: ['district', 'type'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const u of (await figures())?.unitsAvailable ?? []) this.set({ district: u.district, type: u.type }, u.count);
    },
  });
  new Gauge({
    name: 'cad110_alerts_overdue_open',
    help: 'Overdue alerts whose unit is still in the status the alert was raised for, per kind',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const o of (await figures())?.overdueOpen ?? []) this.set({ kind: o.kind }, o.count);
    },
  });
}
