import { UnitStatus } from './events/dispatch';
import { ON_INCIDENT_STATUSES, REASSIGNABLE_STATUSES, UNIT_STATUSES, UNIT_TRANSITIONS } from './unit-lifecycle';

describe('unit lifecycle contract', () => {
  it('names exactly the statuses of the UnitStatus event schema', () => {
    expect([...UNIT_STATUSES]).toEqual(UnitStatus.options);
    expect(Object.keys(UNIT_TRANSITIONS).sort()).toEqual([...UNIT_STATUSES].sort());
  });

  it('leads only to known statuses, never to the status it leaves', () => {
    for (const [from, to] of Object.entries(UNIT_TRANSITIONS)) {
      for (const t of to) {
        expect(UNIT_STATUSES).toContain(t);
        expect(t).not.toBe(from);
      }
    }
  });

  it('lets a unit reassigned or on an incident leave for cleared', () => {
    for (const s of [...REASSIGNABLE_STATUSES, ...ON_INCIDENT_STATUSES]) expect(UNIT_TRANSITIONS[s]).toContain('cleared');
  });
});
