import { Router, type Request } from 'express';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { DispositionCode, IsoUtc, loadTaxonomy, localParts, PartyRole, type EventRegistry } from '@cad110/contracts';
import { actorOf, requireRole } from '@cad110/auth';
import { fieldErrors, parseOr400, ProblemError } from '@cad110/http';
import type { Logger } from '@cad110/logging';
import type { PrismaClient } from '../prisma';
import { buildEido, eidoAgencyId } from '../eido/export';
import { describeErrors, type EidoSchema } from '../eido/schema';
import { CaseRejected, dispositionProblems, type CaseCommand } from './case';
import { writeCasesCsv } from './case-export';
import { CASE_ORDER, CaseFilters, caseWhere, checkRange } from './case-query';
import { CaseNotFound, CaseService, VersionMismatch, type CommandResult } from './case-service';

const READERS = ['dispatcher', 'supervisor', 'analyst'] as const;
const WRITERS = ['dispatcher', 'supervisor'] as const;

const ListQuery = checkRange(
  CaseFilters.extend({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).default(0),
  }),
);
const ExportQuery = checkRange(CaseFilters);

/** A time given by the client: UTC ISO-8601, never in the future (1 s of clock skew allowed). */
const PastUtc = IsoUtc.refine((t) => Date.parse(t) <= Date.now() + 1000, { message: 'must not be in the future' });

const NarrativeBody = z.object({ text: z.string().trim().min(1).max(8000) }).strict();
const PartyBody = z
  .object({
    role: PartyRole,
    name: z.string().trim().min(1).max(120).optional(),
    idNumber: z.string().trim().min(1).max(64).optional(),
    phone: z.string().trim().min(1).max(32).optional(),
    address: z.string().trim().min(1).max(300).optional(),
  })
  .strict();
const DispositionBody = z
  .object({
    codes: z.array(DispositionCode).min(1).max(9),
    suspectsCaught: z.number().int().min(0).max(10_000).default(0),
    peopleRescued: z.number().int().min(0).max(10_000).default(0),
    note: z.string().trim().min(1).max(2000).optional(),
    sourceCode: z.string().trim().min(1).max(64).optional(),
    at: PastUtc.optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    for (const p of dispositionProblems(d)) ctx.addIssue({ code: 'custom', path: [p.field], message: p.message });
  });
const CloseBody = z.object({ at: PastUtc.optional() }).strict();
const ReopenBody = z.object({ reason: z.string().trim().min(1).max(500), at: PastUtc.optional() }).strict();

/**
 * `If-Match: "<version>"` (also `W/"<version>"` or a bare number) → the version; `*` or no
 * header → undefined (no precondition).
 * @throws ProblemError 400 for anything else
 */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!m) throw ProblemError.validation([{ field: 'If-Match', message: 'must be an ETag of this API, e.g. "3"' }]);
  return Number(m[1]);
}

function uuid(v: unknown): string {
  const p = z.uuid().safeParse(v);
  if (!p.success) throw ProblemError.validation([{ field: 'id', message: 'must be a UUID' }]);
  return p.data;
}

function query(req: Request): Record<string, unknown> {
  const { access_token: _t, ...q } = req.query;
  return q;
}

export interface CaseRoutesDeps {
  prisma: PrismaClient;
  service: CaseService;
  registry: EventRegistry;
  logger: Logger;
  timeZone: string;
  /** when given, every EIDO is validated before it is served (500 on a violation) */
  eidoSchema?: () => EidoSchema;
}

/**
 * The case API (records :8083). Every route needs a bearer token; reads: dispatcher,
 * supervisor, analyst; commands: dispatcher, supervisor; reopening: supervisor. Commands
 * answer `{caseId, version, events}` with `ETag: "<version>"`, accept `If-Match` (412 when stale)
 * and answer 409 problem+json (`code`) when the case's state refuses them. There is no route
 * that edits or deletes anything: corrections are new events.
 */
export function caseRoutes(deps: CaseRoutesDeps): Router {
  const { prisma, service, timeZone } = deps;
  const taxonomy = loadTaxonomy();
  const r = Router();

  /**
   * GET /cases?caseNumber=&callId=&from=&to=&category=&subtype=&district=&disposition=&status=&limit=&offset=
   * — cases newest opening first (`from`/`to`: local days YYYY-MM-DD in the bureau zone, inclusive).
   * 200 `{items, total, limit, offset}`; 400 problem+json naming bad filters.
   */
  r.get('/cases', requireRole(...READERS), async (req, res) => {
    const q = parseOr400(ListQuery, query(req));
    const { limit, offset, ...filters } = q;
    const where = caseWhere(filters, timeZone);
    const [items, total] = await Promise.all([prisma.case.findMany({ where, orderBy: CASE_ORDER, take: limit, skip: offset }), prisma.case.count({ where })]);
    res.json({ items, total, limit, offset });
  });

  /**
   * GET /cases/export.csv?<the filters of GET /cases, no limit/offset> — every matching case as
   * CSV (text/csv; UTF-8; header row; columns in case-export.ts), same rows and order as the list.
   */
  r.get('/cases/export.csv', requireRole(...READERS), async (req, res) => {
    const filters = parseOr400(ExportQuery, query(req));
    res.status(200).type('text/csv; charset=utf-8').set('Content-Disposition', 'attachment; filename="cases.csv"');
    await writeCasesCsv(prisma, filters, timeZone, res);
  });

  /**
   * GET /cases/{id}?reveal=parties — the case with its parties (role, when and by whom; names,
   * identity numbers, phones and addresses only with `reveal=parties` for a supervisor),
   * narratives and disposition history. 200 with `ETag`; 404 when unknown.
   */
  r.get('/cases/:id', requireRole(...READERS), async (req, res) => {
    const id = uuid(req.params.id);
    const c = await prisma.case.findUnique({ where: { id }, include: { parties: { orderBy: { addedAt: 'asc' } } } });
    if (!c) throw ProblemError.notFound(`case ${id}`);
    const reveal = req.query.reveal === 'parties' && (req.user?.role === 'supervisor' || req.user?.role === 'admin');
    const loaded = await service.load(id);
    const events = loaded?.events ?? [];
    const { parties, ...row } = c;
    res.set('ETag', `"${c.version}"`).json({
      ...row,
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
  });

  /**
   * GET /cases/{id}/timeline — every call, dispatch and case event of the case's call, ordered
   * by when it happened (UTC), then cause before effect (intake, dispatch, records), then arrival;
   * each with actor, workstation, UTC and local time (bureau zone) and the event's public data.
   * Read-only: corrections are new events. 200 `{caseId, caseNumber, timeZone, entries}`; 404.
   */
  r.get('/cases/:id/timeline', requireRole(...READERS), async (req, res) => {
    const id = uuid(req.params.id);
    const c = await prisma.case.findUnique({ where: { id }, select: { callId: true, caseNumber: true } });
    if (!c) throw ProblemError.notFound(`case ${id}`);
    const rows = await timelineOf(prisma, c.callId);
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
  });

  /**
   * GET /cases/{id}/eido — the case as an Emergency Incident Data Object (NENA-STA-021, JSON,
   * `EmergencyIncidentDataObjectType`); registry values per src/eido/registry-map.ts. No personal
   * fields of parties or callers. 200 application/json; 404 when unknown.
   */
  r.get('/cases/:id/eido', requireRole(...READERS), async (req, res) => {
    const id = uuid(req.params.id);
    const c = await prisma.case.findUnique({ where: { id } });
    if (!c) throw ProblemError.notFound(`case ${id}`);
    const [loaded, timeline] = await Promise.all([service.load(id), timelineOf(prisma, c.callId)]);
    const eido = buildEido({ case: c, caseEvents: loaded?.events ?? [], timeline, agencyId: eidoAgencyId(), taxonomy });
    if (deps.eidoSchema) {
      const schema = deps.eidoSchema();
      if (!schema.validate(eido)) {
        deps.logger.error({ caseId: id, errors: describeErrors(schema.validate.errors).slice(0, 20) }, 'EIDO export violates the schema');
        throw new ProblemError(500, 'Internal error', 'The EIDO of this case does not validate against the EIDO schema.');
      }
    }
    res.type('application/json').json(eido);
  });

  const command = (roles: readonly ('dispatcher' | 'supervisor')[], path: string, toCommand: (req: Request) => Exclude<CaseCommand, { type: 'OpenCase' }>, status = 200) =>
    r.post(path, requireRole(...roles), async (req, res) => {
      const id = uuid(req.params.id);
      const ifMatch = parseIfMatch(req.header('if-match'));
      const cmd = toCommand(req);
      let out: CommandResult;
      try {
        out = await service.execute(id, cmd, actorOf(req), ifMatch);
      } catch (err) {
        if (err instanceof CaseNotFound) throw ProblemError.notFound(`case ${id}`);
        if (err instanceof VersionMismatch) throw ProblemError.preconditionFailed(err.message, err.current);
        if (err instanceof CaseRejected) throw ProblemError.conflict(err.message, { code: err.code });
        throw err;
      }
      res.status(status).set('ETag', `"${out.version}"`).json({ ...out, ...(cmd.type === 'AddParty' ? { partyId: cmd.partyId } : {}) });
    });

  const body = <S extends z.ZodType>(schema: S, req: Request): z.infer<S> => {
    const p = schema.safeParse(req.body ?? {});
    if (!p.success) throw ProblemError.validation(fieldErrors(p.error));
    return p.data;
  };

  /** POST /cases/{id}/narratives `{text}` — 接处警 narrative by the signed-in officer (author = token subject). */
  command(WRITERS, '/cases/:id/narratives', (req) => ({ type: 'AddNarrative', text: body(NarrativeBody, req).text, author: actorOf(req).actor.id }), 201);

  /**
   * POST /cases/{id}/parties `{role, name?, idNumber?, phone?, address?}` — a victim, suspect,
   * witness or reporting person. 201 `{caseId, version, events, partyId}`. Personal fields are
   * stored in records only: never logged, published without them.
   */
  command(WRITERS, '/cases/:id/parties', (req) => ({ type: 'AddParty', partyId: randomUUID(), ...body(PartyBody, req) }), 201);

  /**
   * POST /cases/{id}/disposition `{codes[], suspectsCaught?, peopleRescued?, note?, sourceCode?, at?}`
   * — the outcome (处理结果); replaces an earlier one (revision + 1). `at`: UTC, default now, not in
   * the future, not before the opening (409 code time-before).
   */
  command(WRITERS, '/cases/:id/disposition', (req) => ({ type: 'RecordDisposition', ...body(DispositionBody, req) }));

  /** POST /cases/{id}/close `{at?}` — 结案; needs a disposition (409 code no-disposition). */
  command(WRITERS, '/cases/:id/close', (req) => ({ type: 'CloseCase', ...body(CloseBody, req) }));

  /** POST /cases/{id}/reopen `{reason, at?}` — supervisors only; the case must be closed (409 code case-open). */
  command(['supervisor'], '/cases/:id/reopen', (req) => ({ type: 'ReopenCase', ...body(ReopenBody, req) }));

  return r;
}

/**
 * Timeline order: when it happened (occurred_at); at the same instant cause before effect by
 * source (intake, dispatch, records); then the append it came in (recorded_at) and its version
 * in its stream; the insert id last. Arrival order is NOT trusted: records consumes the calls and
 * dispatch topics independently and has seen a call's CallReceived arrive after its
 * CallHandedToDispatch.
 */
export async function timelineOf(prisma: PrismaClient, callId: string) {
  const ids = await prisma.$queryRawUnsafe<{ id: bigint }[]>(
    `SELECT id FROM timeline_entries WHERE call_id = $1::uuid
     ORDER BY occurred_at, CASE source WHEN 'intake' THEN 1 WHEN 'dispatch' THEN 2 WHEN 'records' THEN 3 ELSE 4 END, recorded_at, version, id`,
    callId,
  );
  const rows = await prisma.timelineEntry.findMany({ where: { callId } });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((x) => byId.get(x.id)!).filter(Boolean);
}
