/**
 * What the console forwards to browsers for one Kafka event (`GET /api/live`): the envelope's
 * identity and time, the ids it concerns, and — when the event carries them — its
 * classification, a status change, the district and the outside-the-service-area flag. Built by whitelisting in the console
 * (services/console/src/live/public-event.ts): nothing else of `data` or `metadata` leaves (no
 * caller numbers or names, no addresses, no narrative, no coordinates, no actor). No imports, so
 * the browser bundle can use it.
 */
export interface PublicEvent {
  eventId: string;
  type: string;
  source: string;
  streamId: string;
  streamVersion: number;
  /** UTC ISO-8601 */
  occurredAt: string;
  /** UTC ISO-8601 */
  recordedAt: string;
  ids: { callId?: string; incidentId?: string; unitId?: string; caseId?: string; caseNumber?: string };
  classification?: { kind?: string; category?: string; subtype?: string; priority?: number };
  /** unit status or duty level change */
  status?: { from?: string; to?: string };
  district?: string;
  /** the location (CallLocated, the hand-over snapshot, IncidentOpened) lies outside the service area (issue 13) */
  outsideServiceArea?: true;
}
