import { z } from 'zod';
import { actorOf } from '@cad110/auth';
import { parseOr400, parseParams, parseQuery, type RouteSpec } from '@cad110/http';
import { AtField, DISPATCH, EventTypes, Instant, MaybeInstant, READ, isoOrNull } from '../api';
import type { Sql } from '@cad110/db';
import type { DispatchContext } from '../context';
import type { UnitAlert } from '../generated/prisma/client';
import { acknowledgeAlert } from './acknowledge';

const AlertsQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100).describe('at most this many (1–500)') }).strict();

/** An overdue alert the status timers raised (UnitOverdueAlerted). */
const Alert = z
  .object({
    id: z.string().describe('alert number (a 64-bit integer as a string), increasing'),
    unitId: z.string(),
    incidentId: z.uuid().nullable(),
    kind: z.string().describe('not-en-route (dispatched too long) or check-in-due (on scene / transporting too long)'),
    status: z.string().describe('the unit status that ran over'),
    sequence: z.number().int().describe('1 for the first alert in that status, then 2, 3, …'),
    since: Instant.describe('UTC ISO-8601: the status began'),
    dueAt: Instant.describe('UTC ISO-8601: the timer ran out'),
    alertedAt: Instant.describe('UTC ISO-8601: the alert was raised'),
    acknowledgedAt: MaybeInstant.describe('UTC ISO-8601: a dispatcher acknowledged it (UnitOverdueAcknowledged); null while open'),
    acknowledgedBy: z.string().nullable().describe('user id of who acknowledged it'),
    acknowledgedWorkstation: z.string().nullable().describe('the workstation it was acknowledged at'),
  })
  .meta({ id: 'UnitAlert' });

/** `{id}` of an alert: its number in the list (a 64-bit integer as a string). */
const AlertIdParams = z.object({ id: z.string().regex(/^[1-9]\d{0,17}$/, 'an alert number').describe('alert number as `GET /alerts` lists it') });

/** The acknowledge body: nothing, or the time it happened (late entry). */
const AckBody = z.object({ at: AtField }).strict();

const AckResult = z.object({
  alertId: z.string(),
  unitId: z.string(),
  acknowledgedAt: Instant.describe('UTC ISO-8601: when it was (first) acknowledged'),
  acknowledgedBy: z.string().nullable(),
  acknowledgedWorkstation: z.string().nullable(),
  events: EventTypes.describe('`["UnitOverdueAcknowledged"]`, or empty when it was already acknowledged'),
});

/** Overdue alerts of the status timers, and their acknowledgement by a dispatcher. */
export function alertRoutes(ctx: DispatchContext, db: Sql): RouteSpec[] {
  return [
    {
      method: 'get',
      path: '/alerts',
      operationId: 'listAlerts',
      summary: 'Overdue alerts (not en route, check-in due), newest first',
      tags: ['timers'],
      roles: READ,
      query: AlertsQuery,
      responses: { 200: { description: 'The alerts', schema: z.object({ items: z.array(Alert) }) } },
      handler: async (req, res) => {
        const q = parseQuery(AlertsQuery, req);
        const rows = await db.select<Omit<UnitAlert, 'id'> & { id: string }>('SELECT * FROM unit_alerts ORDER BY id DESC LIMIT $1', [q.limit]);
        res.json({
          items: rows.map((a) => ({
            id: String(a.id),
            unitId: a.unitId,
            incidentId: a.incidentId,
            kind: a.kind,
            status: a.status,
            sequence: a.sequence,
            since: a.since.toISOString(),
            dueAt: a.dueAt.toISOString(),
            alertedAt: a.alertedAt.toISOString(),
            acknowledgedAt: isoOrNull(a.acknowledgedAt),
            acknowledgedBy: a.acknowledgedBy,
            acknowledgedWorkstation: a.acknowledgedWorkstation,
          })),
        });
      },
    },
    {
      method: 'post',
      path: '/alerts/:id/acknowledge',
      operationId: 'acknowledgeAlert',
      summary: 'Acknowledge an overdue alert (UnitOverdueAcknowledged)',
      description:
        'Body `{}` or `{at}` (UTC ISO-8601, late entry). Appends UnitOverdueAcknowledged to the alert\'s unit stream with the actor and workstation (token or `X-Workstation`); `GET /alerts` then shows `acknowledgedAt`/`acknowledgedBy`. Idempotent: acknowledging an acknowledged alert appends nothing and answers 200 with the first acknowledgement and `events: []`. 400 for a malformed id or body, 404 for an unknown alert id.',
      tags: ['timers'],
      roles: DISPATCH,
      params: AlertIdParams,
      body: AckBody,
      bodyOptional: true,
      responses: { 200: { description: 'The alert is acknowledged', schema: AckResult } },
      handler: async (req, res) => {
        const { id } = parseParams(AlertIdParams, req);
        const body = parseOr400(AckBody, req.body ?? {});
        res.json(await acknowledgeAlert(ctx, id, body, actorOf(req)));
      },
    },
  ];
}
