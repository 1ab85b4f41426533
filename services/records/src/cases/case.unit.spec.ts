import { deciderSpec } from '@cad110/testkit';
import type { NewEvent } from '@cad110/eventstore';
import { CaseRejected, decide, evolve, initialCaseState, type CaseCommand, type CaseEvent, type CaseState } from './case';

const now = '2026-11-29T10:00:00.000Z';
const spec = deciderSpec<CaseState, CaseCommand, NewEvent>({
  initialState: initialCaseState,
  evolve: (s, e) => evolve(s, e as CaseEvent),
  decide: (c, s) => decide(c, s, { now }),
});

const caseId = '0b6f0a8e-3d0c-4a55-8f5e-6a3c2f1e9d01';
const callId = '6f1f6d0e-0a55-4b7e-9f7c-1f7f1d1e2a3b';
const incidentId = '9a1e6c1b-55aa-4d7e-b3a4-2b1f0c9d8e7f';
const openedAt = '2026-11-29T08:00:00.000Z';
const opened: NewEvent = { type: 'CaseOpened', data: { caseId, caseNumber: 'JY-2026-000001', incidentId, callId, openedAt, category: 'dispute', subtype: 'neighbour-dispute' } };
const mediated: NewEvent = { type: 'DispositionRecorded', data: { caseId, codes: ['dispute-mediated'], suspectsCaught: 0, peopleRescued: 0, recordedAt: '2026-11-29T09:00:00.000Z', revision: 1 } };
const closed: NewEvent = { type: 'CaseClosed', data: { caseId, closedAt: '2026-11-29T09:30:00.000Z' } };

describe('case decider: opening', () => {
  it('Given no case, When the incident opens it, Then CaseOpened carries the number at the incident time', () => {
    spec
      .given([])
      .when({ type: 'OpenCase', caseId, caseNumber: 'JY-2026-000001', incidentId, callId, openedAt, category: 'dispute', subtype: 'neighbour-dispute', district: 'south' })
      .then([{ type: 'CaseOpened', occurredAt: openedAt, data: { caseId, caseNumber: 'JY-2026-000001', incidentId, callId, openedAt, category: 'dispute', subtype: 'neighbour-dispute', district: 'south' } }]);
  });

  it('Given an open case, When it is opened again, Then it is rejected', () => {
    spec.given([opened]).when({ type: 'OpenCase', caseId, caseNumber: 'JY-2026-000002', incidentId, callId, openedAt, category: 'x', subtype: 'y' }).thenThrows<CaseRejected>((e) => e.code === 'case-exists');
  });

  it('Given no case, When a narrative is added, Then it is rejected', () => {
    spec.given([]).when({ type: 'AddNarrative', text: 'hello', author: 'u1' }).thenThrows<CaseRejected>((e) => e.code === 'no-case');
  });
});

describe('case decider: narratives and parties', () => {
  it('Given an open case, When an officer adds a narrative, Then it is recorded with its author now', () => {
    spec.given([opened]).when({ type: 'AddNarrative', text: 'both parties agreed to pay half', author: 'officer-7' }).then([
      { type: 'CaseNarrativeAdded', occurredAt: now, data: { caseId, text: 'both parties agreed to pay half', author: 'officer-7' } },
    ]);
  });

  it('Given an open case, When a victim is added with personal fields, Then PartyAdded keeps them (stored, not published)', () => {
    const partyId = '11111111-2222-4333-8444-555555555555';
    spec.given([opened]).when({ type: 'AddParty', partyId, role: 'victim', name: 'Li Si', phone: '13900001111' }).then([
      { type: 'PartyAdded', occurredAt: now, data: { caseId, partyId, role: 'victim', name: 'Li Si', phone: '13900001111' } },
    ]);
  });

  it('Given a party on the case, When the same party id is added again, Then it is rejected', () => {
    const partyId = '11111111-2222-4333-8444-555555555555';
    spec.given([opened, { type: 'PartyAdded', data: { caseId, partyId, role: 'witness' } }]).when({ type: 'AddParty', partyId, role: 'witness' }).thenThrows<CaseRejected>((e) => e.code === 'party-exists');
  });

  it('Given a closed case, When a narrative or a party is added, Then it is rejected until reopened', () => {
    spec.given([opened, mediated, closed]).when({ type: 'AddNarrative', text: 'late note', author: 'u' }).thenThrows<CaseRejected>((e) => e.code === 'case-closed');
    spec.given([opened, mediated, closed]).when({ type: 'AddParty', partyId: '11111111-2222-4333-8444-555555555556', role: 'suspect' }).thenThrows<CaseRejected>((e) => e.code === 'case-closed');
  });
});

describe('case decider: dispositions', () => {
  it('Given an open case, When suspects caught is recorded with the source time, Then revision 1 at that time', () => {
    spec.given([opened]).when({ type: 'RecordDisposition', codes: ['suspects-caught', 'solved'], suspectsCaught: 2, peopleRescued: 0, at: '2026-11-29T08:40:00.000Z', sourceCode: 'A' }).then([
      {
        type: 'DispositionRecorded',
        occurredAt: '2026-11-29T08:40:00.000Z',
        data: { caseId, codes: ['suspects-caught', 'solved'], suspectsCaught: 2, peopleRescued: 0, recordedAt: '2026-11-29T08:40:00.000Z', revision: 1, sourceCode: 'A' },
      },
    ]);
  });

  it('Given a disposition, When a correction is recorded, Then it is a new event with revision 2', () => {
    spec.given([opened, mediated]).when({ type: 'RecordDisposition', codes: ['people-rescued'], suspectsCaught: 0, peopleRescued: 3 }).then((events) => {
      expect(events).toHaveLength(1);
      expect(events[0]!.data).toMatchObject({ codes: ['people-rescued'], peopleRescued: 3, revision: 2, recordedAt: now });
    });
  });

  it.each([
    [{ codes: ['suspects-caught'], suspectsCaught: 0, peopleRescued: 0 }, 'suspectsCaught'],
    [{ codes: ['solved'], suspectsCaught: 1, peopleRescued: 0 }, 'suspectsCaught'],
    [{ codes: ['people-rescued'], suspectsCaught: 0, peopleRescued: 0 }, 'peopleRescued'],
    [{ codes: ['unresolved', 'solved'], suspectsCaught: 0, peopleRescued: 0 }, 'unresolved'],
    [{ codes: ['solved', 'solved'], suspectsCaught: 0, peopleRescued: 0 }, 'repeat'],
  ] as const)('Given an open case, When the codes and counts disagree (%j), Then it is rejected', (d, word) => {
    spec
      .given([opened])
      .when({ type: 'RecordDisposition', codes: [...d.codes], suspectsCaught: d.suspectsCaught, peopleRescued: d.peopleRescued })
      .thenThrows<CaseRejected>((e) => e.code === 'inconsistent-disposition' && e.message.includes(word));
  });

  it('Given an open case, When the disposition time is before the opening, Then it is rejected', () => {
    spec.given([opened]).when({ type: 'RecordDisposition', codes: ['solved'], suspectsCaught: 0, peopleRescued: 0, at: '2026-11-29T07:59:59.000Z' }).thenThrows<CaseRejected>((e) => e.code === 'time-before');
  });
});

describe('case decider: closing and reopening', () => {
  it('Given an open case without a disposition, When it is closed, Then it is rejected', () => {
    spec.given([opened]).when({ type: 'CloseCase' }).thenThrows<CaseRejected>((e) => e.code === 'no-disposition');
  });

  it('Given a disposition, When the case is closed at a source time, Then CaseClosed at that time', () => {
    spec.given([opened, mediated]).when({ type: 'CloseCase', at: '2026-11-29T09:30:00.000Z' }).then([{ type: 'CaseClosed', occurredAt: '2026-11-29T09:30:00.000Z', data: { caseId, closedAt: '2026-11-29T09:30:00.000Z' } }]);
  });

  it('Given a disposition, When the close time precedes it, Then it is rejected', () => {
    spec.given([opened, mediated]).when({ type: 'CloseCase', at: '2026-11-29T08:59:00.000Z' }).thenThrows<CaseRejected>((e) => e.code === 'time-before');
  });

  it('Given a closed case, When it is closed again, Then it is rejected', () => {
    spec.given([opened, mediated, closed]).when({ type: 'CloseCase' }).thenThrows<CaseRejected>((e) => e.code === 'case-closed');
  });

  it('Given a closed case, When a supervisor reopens it with a reason, Then CaseReopened and the case takes commands again', () => {
    const events = spec.given([opened, mediated, closed]).when({ type: 'ReopenCase', reason: 'victim found new evidence' }).then([
      { type: 'CaseReopened', occurredAt: now, data: { caseId, reopenedAt: now, reason: 'victim found new evidence' } },
    ]);
    spec.given([opened, mediated, closed, ...events]).when({ type: 'AddNarrative', text: 'new evidence logged', author: 'u' }).then((e) => expect(e.map((x) => x.type)).toEqual(['CaseNarrativeAdded']));
  });

  it('Given an open case, When it is reopened, Then it is rejected', () => {
    spec.given([opened]).when({ type: 'ReopenCase', reason: 'x' }).thenThrows<CaseRejected>((e) => e.code === 'case-open');
  });

  it('folds the state: status, parties, latest disposition, reopen count', () => {
    const s = [opened, mediated, closed, { type: 'CaseReopened', data: { caseId, reopenedAt: now, reason: 'r' } } as NewEvent].reduce((st, e) => evolve(st, e as CaseEvent), initialCaseState);
    expect(s).toMatchObject({ status: 'open', caseNumber: 'JY-2026-000001', callId, reopenCount: 1, disposition: { codes: ['dispute-mediated'], revision: 1 } });
  });
});
