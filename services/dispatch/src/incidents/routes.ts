import { z } from 'zod';
import { IncidentDisposition } from '@cad110/contracts';
import { actorOf } from '@cad110/auth';
import { IdParams, ifMatchVersion, parseOr400, parseParams, parseQuery, ProblemError, type RouteSpec } from '@cad110/http';
import { AtField, DISPATCH, EventTypes, READ } from '../api';
import type { DispatchContext } from '../context';
import type { Sql } from '@cad110/db';
import type { Incident, IncidentDuplicateLink, IncidentNote, IncidentPriorityChange, IncidentUnit } from '../generated/prisma/client';
import { cancelIncident } from './cancel';
import { closeIncident } from './close';
import { duplicateLinkDto, INCIDENT_BRIEF_COLUMNS, incidentBriefDto, IncidentBriefList, IncidentDetail, incidentDto, IncidentList, IncidentStatus, incidentUnitDto, noteDto, priorityChangeDto } from './dto';

const ListQuery = z
  .object({
    status: IncidentStatus.optional(),
    callId: z.uuid().optional().describe('the incident of this intake call'),
    callIds: z
      .string()
      .regex(/^[0-9a-fA-F-]{36}(,[0-9a-fA-F-]{36}){0,199}$/, 'up to 200 call ids (UUIDs), comma-separated')
      .optional()
      .describe('the incidents of these intake calls (up to 200 UUIDs, comma-separated; e.g. a replay looking up a batch of calls)'),
    externalSource: z.string().max(64).optional().describe('with externalId: the incident of a replayed source call'),
    externalId: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100).describe('at most this many items (1–500)'),
    view: z.enum(['full', 'brief']).default('full').describe('brief: only id, callId, status, district, activeUnits, firstDispatchedAt, externalSource, externalId and version (no location, recommendation or run card)'),
  })
  .strict();

export const ReasonBody = z.object({ reason: z.string().min(1).max(500), at: AtField }).strict();

/**
 * A close by hand: `{disposition, note?}` (the desk), or the older `{reason}` (free text; a
 * disposition code there counts as the disposition). One of the two is required.
 */
export const CloseBody = z
  .object({
    disposition: IncidentDisposition.optional().describe('how it was resolved, a code of the closed list (e.g. resolved-by-phone 电话处置)'),
    note: z.string().trim().min(1).max(500).optional().describe("the dispatcher's note with the disposition"),
    reason: z.string().min(1).max(500).optional().describe('older body: free-text reason (a disposition code here is taken as the disposition)'),
    at: AtField,
  })
  .strict()
  .refine((b) => b.disposition !== undefined || b.reason !== undefined, { message: 'a disposition (or a reason) is required', path: ['disposition'] });

/** `{reason}` of the older body as a disposition when it is one of the codes. */
const dispositionOf = (b: z.infer<typeof CloseBody>) => b.disposition ?? IncidentDisposition.safeParse(b.reason).data;

const IncidentCommandResult = z.object({ incidentId: z.uuid(), version: z.number().int().describe('incident stream version after the command'), events: EventTypes });

/** Incidents by priority (1 first), then age (oldest first). */
const ORDER = 'priority, opened_at';

/** The incident views (list, pending queue, one incident) and the incident commands (cancel, close). */
export function incidentRoutes(ctx: DispatchContext, db: Sql): RouteSpec[] {
  const command = <B extends z.ZodType>(path: 'cancel' | 'close', operationId: string, summary: string, description: string, body: B, run: (ctx: DispatchContext, id: string, input: z.infer<B>, by: ReturnType<typeof actorOf>, ifMatch?: number) => ReturnType<typeof cancelIncident>): RouteSpec => ({
    method: 'post',
    path: `/incidents/:id/${path}`,
    operationId,
    summary,
    description,
    tags: ['incidents'],
    roles: DISPATCH,
    params: IdParams,
    body,
    ifMatch: 'optional',
    responses: {
      200: { description: 'Command applied: the events appended and the new version', schema: IncidentCommandResult, headers: ['ETag'] },
      409: { description: 'The incident\'s state refuses the command (`code` says why)' },
    },
    handler: async (req, res) => {
      const { id } = parseParams(IdParams, req);
      const out = await run(ctx, id, parseOr400(body, req.body), actorOf(req), ifMatchVersion(req));
      res.set('ETag', `"${out.version}"`).json(out);
    },
  });

  return [
    {
      method: 'get',
      path: '/incidents',
      operationId: 'listIncidents',
      summary: 'Incidents by priority (1 first), then age (oldest first)',
      description: '`status=pending` is the pending queue; `externalSource` + `externalId` find the incident of a replayed source call; `view=brief` answers only where each incident stands (a replay looking up thousands of calls).',
      tags: ['incidents'],
      roles: READ,
      query: ListQuery,
      responses: { 200: { description: 'Up to `limit` incidents and the total matching (with `view=brief`: each as an IncidentBrief)', schema: z.union([IncidentList, IncidentBriefList]) } },
      handler: async (req, res) => {
        const q = parseQuery(ListQuery, req);
        const params: unknown[] = [];
        const conds = (
          [
            ['status', q.status],
            ['call_id', q.callId],
            ['external_source', q.externalSource],
            ['external_id', q.externalId],
          ] as const
        ).flatMap(([col, v]) => (v === undefined ? [] : [`${col} = $${params.push(v)}`]));
        if (q.callIds !== undefined) {
          const ids = q.callIds.split(',');
          const bad = ids.findIndex((id) => !z.uuid().safeParse(id).success);
          if (bad >= 0) throw ProblemError.validation([{ field: 'callIds', message: `item ${bad + 1} is not a UUID` }]);
          conds.push(`call_id = ANY($${params.push(ids)}::uuid[])`);
        }
        const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
        const [rows, [count]] = await Promise.all([
          db.select<Incident>(`SELECT ${q.view === 'brief' ? INCIDENT_BRIEF_COLUMNS : '*'} FROM incidents ${where} ORDER BY ${ORDER} LIMIT ${q.limit}`, params),
          db.query<{ n: number }>(`SELECT count(*)::int AS n FROM incidents ${where}`, params),
        ]);
        res.json({ items: rows.map(q.view === 'brief' ? incidentBriefDto : incidentDto), total: count!.n });
      },
    },
    {
      method: 'get',
      path: '/incidents/queue',
      operationId: 'getPendingQueue',
      summary: 'The pending queue: incidents no unit is working, by priority then age',
      description: 'At most 500 items; `total` counts them all.',
      tags: ['incidents'],
      roles: READ,
      responses: { 200: { description: 'The pending incidents', schema: IncidentList } },
      handler: async (_req, res) => {
        const [rows, [count]] = await Promise.all([
          db.select<Incident>(`SELECT * FROM incidents WHERE status = 'pending' ORDER BY ${ORDER} LIMIT 500`),
          db.query<{ n: number }>(`SELECT count(*)::int AS n FROM incidents WHERE status = 'pending'`),
        ]);
        res.json({ items: rows.map(incidentDto), total: count!.n });
      },
    },
    {
      method: 'get',
      path: '/incidents/:id',
      operationId: 'getIncident',
      summary: 'One incident with its unit assignments, the dispatchers\' notes, priority changes and duplicate links',
      description:
        "`ETag` = the incident's stream version (the `If-Match` of its commands), `Cache-Control: no-store`. The units' statuses change without the incident's version, so that ETag is no cache validator of this body: `If-None-Match` is ignored and the answer is always 200 with the current state.",
      tags: ['incidents'],
      roles: READ,
      params: IdParams,
      responses: { 200: { description: 'The incident', schema: IncidentDetail, headers: ['ETag'] } },
      handler: async (req, res) => {
        delete req.headers['if-none-match'];
        res.set('Cache-Control', 'no-store');
        const { id } = parseParams(IdParams, req);
        const [incident] = await db.select<Incident>('SELECT * FROM incidents WHERE id = $1::uuid', [id]);
        if (!incident) throw ProblemError.notFound(`incident ${id}`);
        const [units, notes, changes, links] = await Promise.all([
          db.select<Omit<IncidentUnit, 'id'>>('SELECT * FROM incident_units WHERE incident_id = $1::uuid ORDER BY id', [id]),
          db.select<Omit<IncidentNote, 'id'>>('SELECT * FROM incident_notes WHERE incident_id = $1::uuid ORDER BY at, id', [id]),
          db.select<Omit<IncidentPriorityChange, 'id'>>('SELECT * FROM incident_priority_changes WHERE incident_id = $1::uuid ORDER BY at, id', [id]),
          db.select<Omit<IncidentDuplicateLink, 'id'>>('SELECT * FROM incident_duplicate_links WHERE incident_id = $1::uuid OR duplicate_of_incident_id = $1::uuid ORDER BY at, id', [id]),
        ]);
        res.set('ETag', `"${incident.version}"`).json({ ...incidentDto(incident), units: units.map(incidentUnitDto), narrative: notes.map(noteDto), priorityChanges: changes.map(priorityChangeDto), duplicates: links.map((l) => duplicateLinkDto(id, l)) });
      },
    },
    command('cancel', 'cancelIncident', 'Cancel the incident (IncidentCancelled)', 'Units still on it are cleared. If-Match: incident version.', ReasonBody, cancelIncident),
    command(
      'close',
      'closeIncident',
      'Close the incident by hand without a unit, with a disposition (IncidentClosed)',
      'Body `{disposition, note?, at?}` — `disposition` one of ' +
        IncidentDisposition.options.map((o) => `\`${o}\``).join(', ') +
        ' (e.g. `resolved-by-phone` 电话处置) — or the older `{reason, at?}` (a disposition code as `reason` counts as the disposition). IncidentClosed carries `disposition` and `note`; `closeReason` is the reason, else the disposition code. 400 for an unknown code or neither field, 404 unknown incident, 409 `units-working` while a unit is on it, `incident-closed` / `incident-cancelled`. Incidents close by themselves when their last unit clears. If-Match: incident version.',
      CloseBody,
      (c, id, b, by, ifMatch) => closeIncident(c, id, { ...b, disposition: dispositionOf(b) }, by, ifMatch),
    ),
  ];
}
