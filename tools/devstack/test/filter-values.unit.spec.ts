/**
 * Issue 13 item 4: a filter value with a trailing space, as source systems send it, is normalised
 * the same way on write and on read in every service — events are parsed (on append and on
 * consume) with the contracts' FilterCode, and every filter parameter trims — so a district
 * "Precinct 3 " lands as "Precinct 3" in the stored rows of intake, dispatch, records and
 * statistics, and "Precinct 3 " or "Precinct 3" as a filter finds it everywhere.
 */
import { randomUUID } from 'node:crypto';
import { eventRegistry } from '@cad110/contracts';
import { LocationInput } from '../../../services/intake/src/calls/schemas';
import { District as StatsDistrict, Category as StatsCategory } from '../../../services/statistics/src/figures/routes';
import { CaseFilters } from '../../../services/records/src/cases/case-query';

const padded = 'Precinct 3 ';
const envelope = (type: string, data: Record<string, unknown>) => ({
  eventId: randomUUID(),
  type,
  schemaVersion: 1,
  streamId: `x-${randomUUID()}`,
  streamVersion: 1,
  occurredAt: '2026-12-05T08:00:00.000Z',
  recordedAt: '2026-12-05T08:00:00.000Z',
  source: 'intake',
  metadata: { actor: { id: 'test' }, correlationId: randomUUID(), causationId: null },
  data,
});

describe('filter values: one normalisation on write and on read', () => {
  const registry = eventRegistry;

  it('events carry the trimmed district and beat, whichever service parses them', () => {
    const callId = randomUUID();
    const located = registry.parse(envelope('CallLocated', { callId, source: 'import', district: padded, beat: ' 3A ' }));
    expect(located.data).toMatchObject({ district: 'Precinct 3', beat: '3A' });
    const handed = registry.parse(
      envelope('CallHandedToDispatch', { callId, handedAt: '2026-12-05T08:00:00.000Z', answeredAt: '2026-12-05T08:00:00.000Z', kind: 'report', category: 'criminal ', subtype: 'theft', priority: 3, location: { district: padded } }),
    );
    expect(handed.data).toMatchObject({ category: 'criminal', location: { district: 'Precinct 3' } });
  });

  it('intake trims the district it is given; statistics and records trim the filter the same way', () => {
    expect(LocationInput.parse({ district: padded }).district).toBe('Precinct 3');
    expect(StatsDistrict.parse(padded)).toBe('Precinct 3');
    expect(StatsCategory.parse('criminal ')).toBe('criminal');
    expect(CaseFilters.parse({ district: padded }).district).toBe('Precinct 3');
  });
});
