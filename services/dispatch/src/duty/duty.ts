import { CommandRejected, type DutyLevel } from '@cad110/contracts';

/** Order of duty levels: 常态 normal < 加强 reinforced < 战时 wartime. */
export const DUTY_RANK: Record<DutyLevel, number> = { normal: 0, reinforced: 1, wartime: 2 };
export const DUTY_LEVEL_ZH: Record<DutyLevel, string> = { normal: '常态', reinforced: '加强', wartime: '战时' };

export interface Shift {
  name: string;
  /** local `HH:MM` */
  start: string;
  /** local `HH:MM` or `24:00`; an end at or before the start crosses midnight */
  end: string;
}

/** Minutes since local midnight of `HH:MM` (`24:00` = 1440). */
export function minutesOf(hhmm: string): number {
  let m = MINUTES.get(hhmm);
  if (m === undefined) {
    const [h, mm] = hhmm.split(':').map(Number);
    m = h! * 60 + mm!;
    MINUTES.set(hhmm, m);
  }
  return m;
}
const MINUTES = new Map<string, number>();

/** True when local minute-of-day `minute` (0..1439) falls in [start, end), crossing midnight when end ≤ start. */
export function inWindow(start: string, end: string, minute: number): boolean {
  const s = minutesOf(start);
  const e = minutesOf(end);
  if (s === e || (s === 0 && e === 1440)) return true;
  return s < e ? minute >= s && minute < e : minute >= s || minute < e;
}

/**
 * Whether a unit is on duty: its district's duty level must reach the unit's `minDutyLevel`, and
 * (except at wartime, when every unit is on duty around the clock) the local time must be inside
 * its shift.
 * @param minute local minute of day in the bureau's zone (0..1439)
 * @returns the answer and the reason shown to dispatchers
 */
export function dutyStatus(unit: { minDutyLevel: DutyLevel; shift: Shift }, level: DutyLevel, minute: number): { onDuty: boolean; reason: string } {
  if (DUTY_RANK[level] < DUTY_RANK[unit.minDutyLevel]) {
    return { onDuty: false, reason: `rostered from ${unit.minDutyLevel} (${DUTY_LEVEL_ZH[unit.minDutyLevel]}); district is ${level}` };
  }
  if (level === 'wartime') return { onDuty: true, reason: 'wartime (战时): all units on duty' };
  if (!inWindow(unit.shift.start, unit.shift.end, minute)) return { onDuty: false, reason: `off shift (${unit.shift.start}–${unit.shift.end})` };
  return { onDuty: true, reason: `on shift ${unit.shift.start}–${unit.shift.end} at ${level} (${DUTY_LEVEL_ZH[level]})` };
}

/** {@link dutyStatus} without the reason text (the recommender's hot path). */
export function isOnDuty(unit: { minDutyLevel: DutyLevel; shift: Shift }, level: DutyLevel, minute: number): boolean {
  if (DUTY_RANK[level] < DUTY_RANK[unit.minDutyLevel]) return false;
  return level === 'wartime' || inWindow(unit.shift.start, unit.shift.end, minute);
}

// ---------------------------------------------------------------- the duty-level decider

/** A district's duty level stream (`duty-<district>`), folded. */
export interface DutyState {
  district?: string;
  /** normal until the first DutyLevelChanged */
  level: DutyLevel;
  reason?: string | null;
  /** UTC ISO-8601 of the last change */
  changedAt?: string;
}

export type DutyEvent = { type: 'DutyLevelChanged'; data: { district: string; from: DutyLevel; to: DutyLevel; at: string; reason?: string } };

export const initialDutyState: DutyState = { level: 'normal' };

export function evolveDuty(state: DutyState, event: DutyEvent): DutyState {
  switch (event.type) {
    case 'DutyLevelChanged':
      return { district: event.data.district, level: event.data.to, reason: event.data.reason ?? null, changedAt: event.data.at };
    default: {
      const _exhaustive: never = event.type;
      return state;
    }
  }
}

/** Set a district's duty level (supervisors). */
export interface SetDutyLevel {
  type: 'SetDutyLevel';
  district: string;
  level: DutyLevel;
  reason?: string;
  at: string;
}
export type DutyCommand = SetDutyLevel;

/**
 * Decides a duty-level change.
 * @throws CommandRejected `same-level` (409) when the district is already at that level
 */
export function decideDuty(command: DutyCommand, state: DutyState): DutyEvent[] {
  switch (command.type) {
    case 'SetDutyLevel':
      if (state.level === command.level) throw new CommandRejected('same-level', `${command.district} is already at ${command.level}`);
      return [{ type: 'DutyLevelChanged', data: { district: command.district, from: state.level, to: command.level, at: command.at, ...(command.reason ? { reason: command.reason } : {}) } }];
    default: {
      const _exhaustive: never = command.type;
      throw new CommandRejected('unknown-command', `unknown command ${String(_exhaustive)}`);
    }
  }
}
