/** Issue 13 item 3: the live feed carries the outside-the-service-area flag to the desk (and still no coordinates). */
import { toPublicEvent } from './public-event';

const env = (type: string, data: object) =>
  JSON.stringify({
    eventId: '00000000-0000-4000-8000-000000000001',
    type,
    schemaVersion: 1,
    streamId: 'call-x',
    streamVersion: 2,
    occurredAt: '2026-12-05T08:00:00.000Z',
    recordedAt: '2026-12-05T08:00:00.000Z',
    source: 'intake',
    metadata: { actor: { id: 'taker' }, correlationId: 'c', causationId: null },
    data,
  });

describe('public event: service area flag', () => {
  it('forwards outsideServiceArea of a CallLocated and of an IncidentOpened location, never the coordinates', () => {
    const located = toPublicEvent(env('CallLocated', { callId: 'c1', lat: 0, lon: 0, source: 'device', outsideServiceArea: true }))!;
    expect(located.outsideServiceArea).toBe(true);
    expect(JSON.stringify(located)).not.toMatch(/"lat"|"lon"/);
    expect(toPublicEvent(env('IncidentOpened', { incidentId: 'i1', callId: 'c1', location: { lat: 0, lon: 0, outsideServiceArea: true } }))!.outsideServiceArea).toBe(true);
    expect(toPublicEvent(env('CallLocated', { callId: 'c1', lat: 44.97, lon: -93.26, source: 'device' }))!).not.toHaveProperty('outsideServiceArea');
  });
});
