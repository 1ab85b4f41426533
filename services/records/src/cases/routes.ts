import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { loadTaxonomy, localParts, type EventRegistry } from '@cad110/contracts';
import { actorOf } from '@cad110/auth';
import { batchItemResponse, IdParams, ifMatchVersion, parseOr400, parseQuery, ProblemError, type RouteSpec } from '@cad110/http';
import type { Logger } from '@cad110/logging';
import type { Sql } from '@cad110/db';
import type { Case, CaseParty, TimelineEntry } from '../generated/prisma/client';
import { buildEido, eidoAgencyId } from '../eido/export';
import { describeErrors, type EidoSchema } from '../eido/schema';
import type { CaseCommand } from './case';
import { writeCasesCsv } from './case-export';
import { callIdsWithText, CASE_ORDER, caseWhere } from './case-query';
import { CaseService } from './case-service';
import { CaseDetail, caseDto, CaseList, CloseBody, CommandResult, DispositionBatchBody, DispositionBatchResult, DispositionBody, Eido, ExportQuery, GetCaseQuery, ListQuery, NarrativeBody, PartyBody, ReopenBody, Timeline } from './schemas';

const READERS = ['dispatcher', 'supervisor', 'analyst'] as const;
const WRITERS = ['dispatcher', 'supervisor'] as const;


/** `{id}` of the path, 400 unless a UUID. */
const caseIdOf = (req: Request): string => parseOr400(IdParams, req.params).id;

export interface CaseRoutesDeps {
  db: Sql;
  service: CaseService;
  registry: EventRegistry;
  logger: Logger;
  timeZone: string;
  /** when given, every EIDO is validated before it is served (500 on a violation) */
  eidoSchema?: () => EidoSchema;
}

/**
 * The case API (records :8083) as a route table. Every route needs a bearer token; reads:
 * dispatcher, supervisor, analyst; commands: dispatcher, supervisor; reopening: supervisor.
 * Commands answer `{caseId, version, events}` with `ETag: "<version>"`, accept `If-Match` (412
 * when stale) and answer 409 problem+json (`code`) when the case's state refuses them. There is
 * no route that edits or deletes anything: corrections are new events.
 */
export function caseRoutes(deps: CaseRoutesDeps): RouteSpec[] {
  const { db, service, timeZone } = deps;
  const taxonomy = loadTaxonomy();

  /** A command route: `{id}` parsed, optional If-Match, the body parsed into the command, rejections → problem+json. */
  const command = (
    roles: readonly string[],
    path: string,
    operationId: string,
    summary: string,
    description: string,
    body: z.ZodType,
    toCommand: (body: never, req: Request) => Exclude<CaseCommand, { type: 'OpenCase' }>,
    status = 200,
  ): RouteSpec => ({
    method: 'post',
    path: `/cases/:id/${path}`,
    operationId,
    summary,
    description,
    tags: ['cases'],
    roles,
    params: IdParams,
    body,
    ifMatch: 'optional',
    responses: {
      [status]: { description: 'Command applied: the events appended and the new version', schema: CommandResult, headers: ['ETag'] },
      404: { description: 'No such case' },
      409: { description: "The case's state refuses the command (`code` says why)" },
    },
    handler: async (req: Request, res: Response) => {
      const id = caseIdOf(req);
      const ifMatch = ifMatchVersion(req);
      const cmd = toCommand(parseOr400(body, req.body ?? {}) as never, req);
      // NotFoundError → 404, StaleVersionError → 412, CommandRejected → 409 (libs/http problemOf)
      const out = await service.execute(id, cmd, actorOf(req), ifMatch);
      res.status(status).set('ETag', `"${out.version}"`).json({ ...out, ...(cmd.type === 'AddParty' ? { partyId: cmd.partyId } : {}) });
    },
  });

  return [
    {
      method: 'get',
      path: '/cases',
      operationId: 'listCases',
      summary: 'Cases, newest opening first (paginated)',
      description: "`from`/`to`: counting days YYYY-MM-DD in the bureau zone, inclusive — the local day the case's call was answered; `category`/`subtype`: the call's latest classification (the counting rule of statistics' README, \"What counts where\"). No personal data of parties.",
      tags: ['cases'],
      roles: READERS,
      query: ListQuery,
      responses: { 200: { description: 'A page of cases and the total matching', schema: CaseList } },
      handler: async (req, res) => {
        const { limit, offset, ...filters } = parseQuery(ListQuery, req);
        const where = caseWhere(filters, timeZone, await callIdsWithText(db, filters.q));
        const [rows, [count]] = await Promise.all([
          db.select<Case>(`SELECT * FROM cases WHERE ${where.sql} ORDER BY ${CASE_ORDER} LIMIT ${limit} OFFSET ${offset}`, where.params),
          db.query<{ n: number }>(`SELECT count(*)::int AS n FROM cases WHERE ${where.sql}`, where.params),
        ]);
        res.json({ items: rows.map((r) => caseDto(r, timeZone)), total: count!.n, limit, offset });
      },
    },
    {
      method: 'get',
      path: '/cases/export.csv',
      operationId: 'exportCases',
      summary: 'Every case matching the filters of GET /cases as CSV',
      description: 'text/csv; UTF-8; header row; columns in src/cases/case-export.ts; same rows and order as the list (no limit/offset).',
      tags: ['cases'],
      roles: READERS,
      query: ExportQuery,
      responses: { 200: { description: 'CSV download cases.csv', contentType: 'text/csv', headers: ['Content-Disposition'] } },
      handler: async (req, res) => {
        const filters = parseQuery(ExportQuery, req);
        res.status(200).type('text/csv; charset=utf-8').set('Content-Disposition', 'attachment; filename="cases.csv"');
        await writeCasesCsv(db, filters, timeZone, res);
      },
    },
    {
      method: 'get',
      path: '/cases/:id',
      operationId: 'getCase',
      summary: 'A case with its parties, narratives and disposition history',
      description: 'Party names, identity numbers, phones and addresses only with `reveal=parties` for a supervisor (or admin).',
      tags: ['cases'],
      roles: READERS,
      params: IdParams,
      query: GetCaseQuery,
      responses: { 200: { description: 'The case', schema: CaseDetail, headers: ['ETag'] }, 404: { description: 'No such case' } },
      handler: async (req, res) => {
        const id = caseIdOf(req);
        const [row] = await db.select<Case>('SELECT * FROM cases WHERE id = $1::uuid', [id]);
        if (!row) throw ProblemError.notFound(`case ${id}`);
        const parties = await db.select<CaseParty>('SELECT * FROM case_parties WHERE case_id = $1::uuid ORDER BY added_at', [id]);
        const reveal = req.query.reveal === 'parties' && (req.user?.role === 'supervisor' || req.user?.role === 'admin');
        const loaded = await service.load(id);
        const events = loaded?.events ?? [];
        res.set('ETag', `"${row.version}"`).json({
          ...caseDto(row, timeZone),
          parties: parties.map((p) => ({
            partyId: p.id,
            role: p.role,
            addedAt: p.addedAt.toISOString(),
            addedBy: p.addedBy,
            ...(reveal ? { name: p.name, idNumber: p.idNumber, phone: p.phone, address: p.address } : {}),
          })),
          narratives: events
            .filter((e) => e.type === 'CaseNarrativeAdded')
            .map((e) => ({ eventId: e.eventId, text: (e.data as { text: string }).text, author: (e.data as { author: string }).author, at: e.occurredAt })),
          dispositions: events.filter((e) => e.type === 'DispositionRecorded').map((e) => ({ eventId: e.eventId, by: e.metadata.actor.id, ...(e.data as object) })),
        });
      },
    },
    {
      method: 'get',
      path: '/cases/:id/timeline',
      operationId: 'getCaseTimeline',
      summary: "Every call, dispatch and case event of the case's call, in order",
      description:
        'Ordered by when it happened (UTC), then cause before effect (intake, dispatch, records), then arrival; each with actor, workstation, UTC and local time (bureau zone) and the event\'s public data. Read-only: corrections are new events.',
      tags: ['cases'],
      roles: READERS,
      params: IdParams,
      responses: { 200: { description: 'The timeline', schema: Timeline }, 404: { description: 'No such case' } },
      handler: async (req, res) => {
        const id = caseIdOf(req);
        const [c] = await db.select<Pick<Case, 'callId' | 'caseNumber'>>('SELECT call_id, case_number FROM cases WHERE id = $1::uuid', [id]);
        if (!c) throw ProblemError.notFound(`case ${id}`);
        const rows = await timelineOf(db, c.callId);
        res.json({
          caseId: id,
          caseNumber: c.caseNumber,
          timeZone,
          entries: rows.map((e) => ({
            eventId: e.eventId,
            type: e.type,
            source: e.source,
            streamId: e.streamId,
            version: e.version,
            occurredAt: e.occurredAt.toISOString(),
            occurredAtLocal: localParts(e.occurredAt, timeZone).iso,
            recordedAt: e.recordedAt.toISOString(),
            recordedAtLocal: localParts(e.recordedAt, timeZone).iso,
            actor: { id: e.actorId, role: e.actorRole },
            workstation: e.workstation,
            data: e.data,
          })),
        });
      },
    },
    {
      method: 'get',
      path: '/cases/:id/eido',
      operationId: 'getCaseEido',
      summary: 'The case as an Emergency Incident Data Object (NENA-STA-021, JSON)',
      description: '`EmergencyIncidentDataObjectType`; registry values per src/eido/registry-map.ts. No personal fields of parties or callers. With EIDO_VALIDATE=true a document that violates the schema is a 500.',
      tags: ['cases'],
      roles: READERS,
      params: IdParams,
      responses: { 200: { description: 'The EIDO', schema: Eido }, 404: { description: 'No such case' } },
      handler: async (req, res) => {
        const id = caseIdOf(req);
        const [c] = await db.select<Case>('SELECT * FROM cases WHERE id = $1::uuid', [id]);
        if (!c) throw ProblemError.notFound(`case ${id}`);
        const [loaded, timeline] = await Promise.all([service.load(id), timelineOf(db, c.callId)]);
        const eido = buildEido({ case: c, caseEvents: loaded?.events ?? [], timeline, agencyId: eidoAgencyId(), taxonomy });
        if (deps.eidoSchema) {
          const schema = deps.eidoSchema();
          if (!schema.validate(eido)) {
            deps.logger.error({ caseId: id, errors: describeErrors(schema.validate.errors).slice(0, 20) }, 'EIDO export violates the schema');
            throw new ProblemError(500, 'Internal error', 'The EIDO of this case does not validate against the EIDO schema.');
          }
        }
        res.type('application/json').json(eido);
      },
    },
    {
      method: 'post',
      path: '/cases/dispositions',
      operationId: 'recordCaseDispositions',
      summary: 'Many calls\' dispositions (DispositionRecorded), each closing its case when asked (CaseClosed): imports',
      description: [
        'Body `{items: [{callId, codes, suspectsCaught?, peopleRescued?, note?, sourceCode?, at?, close?, clampToOpening?}]}`, 1..300 items (64 kB body limit: ~250 typical items).',
        "Each item finds the call's case and runs the commands of `POST /cases/{id}/disposition` and, with `close: true`, `POST /cases/{id}/close` (same events, same checks, same roles), all-or-nothing per item, in the order given; the batch is committed in as few transactions as possible (one when no item fails).",
        '`at`: UTC ISO-8601, not in the future, default now; the close uses the same `at`. `clampToOpening: true`: an `at` earlier than the case opening is replaced by the opening (`clamped: true` in the result) instead of refused (409 time-before).',
        "Always 200 `{results: [{status, body}]}`, one per item in order: 200 `{caseId, version, events, clamped}`; 404 problem when the call has no case (yet: the pipeline opens it after the call's hand-over, so retry later); 409 problem with `code` (case-closed: already closed, time-before, concurrent-change); 500 problem. A malformed item makes the whole request 400 (`errors[].field` like `items.3.codes`), nothing recorded.",
      ].join(' '),
      tags: ['cases'],
      roles: WRITERS,
      body: DispositionBatchBody,
      responses: { 200: { description: 'Each item\'s outcome, in order', schema: DispositionBatchResult } },
      handler: async (req, res) => {
        const { items } = parseOr400(DispositionBatchBody, req.body ?? {});
        const outcomes = await service.recordDispositions(
          items.map(({ callId, close, clampToOpening, ...disposition }) => ({ callId, close, clampToOpening, disposition })),
          actorOf(req),
        );
        res.json({ results: outcomes.map((o) => batchItemResponse(o, 200, deps.logger)) });
      },
    },
    command(WRITERS, 'narratives', 'addCaseNarrative', '接处警 narrative by the signed-in officer (CaseNarrativeAdded)', 'The author is the token subject.', NarrativeBody, (b: z.infer<typeof NarrativeBody>, req) => ({ type: 'AddNarrative', text: b.text, author: actorOf(req).actor.id }), 201),
    command(
      WRITERS,
      'parties',
      'addCaseParty',
      'A victim, suspect, witness or reporting person (CasePartyAdded)',
      '201 with the new `partyId`. Personal fields are stored in records only: never logged, published without them.',
      PartyBody,
      (b: z.infer<typeof PartyBody>) => ({ type: 'AddParty', partyId: randomUUID(), ...b }),
      201,
    ),
    command(
      WRITERS,
      'disposition',
      'recordCaseDisposition',
      'The outcome (处理结果, DispositionRecorded); replaces an earlier one (revision + 1)',
      '`at`: UTC, default now, not in the future, not before the opening (409 code time-before).',
      DispositionBody,
      (b: z.infer<typeof DispositionBody>) => ({ type: 'RecordDisposition', ...b }),
    ),
    command(WRITERS, 'close', 'closeCase', '结案: close the case (CaseClosed)', 'Needs a disposition (409 code no-disposition).', CloseBody, (b: z.infer<typeof CloseBody>) => ({ type: 'CloseCase', ...b })),
    command(['supervisor'], 'reopen', 'reopenCase', 'Reopen a closed case (CaseReopened); supervisors only', 'The case must be closed (409 code case-open).', ReopenBody, (b: z.infer<typeof ReopenBody>) => ({ type: 'ReopenCase', ...b })),
  ];
}

/**
 * Timeline order: when it happened (occurred_at); at the same instant cause before effect by
 * source (intake, dispatch, records); then the append it came in (recorded_at) and its version
 * in its stream; the insert id last. Arrival order is NOT trusted: records consumes the calls and
 * dispatch topics independently and has seen a call's CallReceived arrive after its
 * CallHandedToDispatch.
 */
export async function timelineOf(db: Sql, callId: string): Promise<TimelineRow[]> {
  return db.select<TimelineRow>(
    `SELECT * FROM timeline_entries WHERE call_id = $1::uuid OR (type = 'CallLinkedAsDuplicate' AND data->>'duplicateOfCallId' = $1::uuid::text)
     ORDER BY occurred_at, CASE source WHEN 'intake' THEN 1 WHEN 'dispatch' THEN 2 WHEN 'records' THEN 3 ELSE 4 END, recorded_at, version, id`,
    [callId],
  );
}

/** A `timeline_entries` row (its bigint id as the string `pg` reads it). */
export type TimelineRow = Omit<TimelineEntry, 'id'> & { id: string };
