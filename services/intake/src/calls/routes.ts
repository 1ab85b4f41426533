import { z } from 'zod';
import type { Request, Response } from 'express';
import { actorOf, maySeeCallerNumbers, type Role } from '@cad110/auth';
import { batchItemResponse, parseOr400, ProblemError, type RouteSpec } from '@cad110/http';
import type { Taxonomy } from '@cad110/contracts';
import type { Db } from '@cad110/db';
import type { DuplicateFinder } from '../duplicates/finder';
import { normaliseNumber } from '../duplicates/score';
import { recordReveal } from '../audit/reveals';
import { claimKey, doubleSubmitKey, idempotencyOf, itemIdempotency, saveResponse, type HttpOutcome } from '../http/idempotency';
import { CallRejected, CallService, type CommandResult, type CreateInput, type Respond } from './call-service';
import type { CallCommand, CallState } from './call';
import { listCalls } from './call-list';
import {
  AppendNarrativeBody,
  CALL_BATCH_MAX_ITEMS,
  callBatchEnvelope,
  CallBatchResponse,
  CallIdParams,
  CallListResponse,
  CallResponse,
  CancelCallBody,
  classificationInput,
  CloseCallBody,
  CommandResponse,
  ConfirmNewBody,
  createCallBatchBody,
  createCallBody,
  duplicateSearchBody,
  DuplicatesQuery,
  DuplicatesResponse,
  GetCallQuery,
  HandOverBody,
  LinkDuplicateBody,
  ListCallsQuery,
  LocateCallBody,
  RecordCallerBody,
  TaxonomyResponse,
  TransferCallBody,
} from './schemas';

const WRITERS: Role[] = ['call_taker', 'supervisor'];
const READERS: Role[] = ['call_taker', 'dispatcher', 'supervisor', 'analyst'];

/**
 * Parses `If-Match`: `"<version>"` (or `W/"<version>"`), or `*` for any version.
 * @returns the expected version, or undefined for `*`
 * @throws ProblemError 428 when missing, 400 when malformed
 */
export function expectedVersionOf(req: Request): number | undefined {
  const h = req.header('if-match');
  if (h === undefined) throw new ProblemError(428, 'Precondition required', 'Send If-Match: "<version>" with the ETag of the call you last read (or * for any version).');
  if (h.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(h);
  if (!m) throw ProblemError.validation([{ field: 'If-Match', message: 'must be "<version>" (the ETag of the call) or *' }]);
  return Number(m[1]);
}

function send(res: Response, out: HttpOutcome): void {
  res.status(out.status).set(out.headers);
  if (out.replayed) res.set('Idempotency-Replayed', 'true');
  res.json(out.body);
}

/** A decider's rejection as the routes answer it: 409 with its `code`; other errors unchanged. */
function asProblem(err: unknown): unknown {
  return err instanceof CallRejected ? ProblemError.conflict(err.message, { code: err.code }) : err;
}

function rethrow(err: unknown): never {
  throw asProblem(err);
}

/** The parsed body of `POST /calls` as the create's input (`classification.category` is only checked, not kept). */
function createInput(body: z.infer<ReturnType<typeof createCallBody>>): CreateInput {
  const { category: _c, ...classification } = body.classification ?? { subtype: '' };
  const input = { ...body, ...(body.classification ? { classification } : {}) };
  if (!body.classification) delete (input as { classification?: unknown }).classification;
  return input;
}

/** The answer of a created call (201 with ETag and Location), stored under its Idempotency-Key. */
const created: Respond = (r: CommandResult) => ({ status: 201, body: r, headers: { ETag: `"${r.version}"`, Location: `/calls/${r.callId}` } });

/**
 * Intake's call routes (see services/intake/README.md "API"). Every route is declared once with
 * its schemas; the same table registers the express handlers and generates /openapi.json.
 */
export function callRoutes(service: CallService, db: Db, taxonomy: Taxonomy, finder: DuplicateFinder, logger?: { error: (o: object, m: string) => void }): RouteSpec[] {
  const createBody = createCallBody(taxonomy);
  const createBatchBody = createCallBatchBody(taxonomy);
  const classifyBody = classificationInput(taxonomy);
  const searchBody = duplicateSearchBody(taxonomy);

  const plain: Respond = (r) => ({ status: 200, body: r, headers: { ETag: `"${r.version}"` } });
  const withCandidates =
    (extra?: (state: CallState) => Record<string, unknown>): Respond =>
    async (r, tx, state) => {
      const found = await finder.findForCall(tx, r.callId);
      return { status: 200, body: { ...r, ...(extra ? extra(state) : {}), ...(found ? { duplicateCandidates: found } : {}) }, headers: { ETag: `"${r.version}"` } };
    };

  /** A command endpoint: params + body parsed, If-Match required, Idempotency-Key honoured. */
  const command = <B>(
    req: Request,
    res: Response,
    bodySchema: { safeParse: (v: unknown) => { success: boolean } } & Parameters<typeof parseOr400>[0],
    build: (body: B, callId: string, now: string, by: string, state: CallState, tx: Parameters<Respond>[1]) => Promise<CallCommand> | CallCommand,
    respond: Respond = plain,
  ) => {
    const { id } = parseOr400(CallIdParams, req.params);
    const body = parseOr400(bodySchema, req.body ?? {}) as B;
    const expectedVersion = expectedVersionOf(req);
    const by = actorOf(req);
    const idempotency = idempotencyOf(req, by.actor.id);
    return service
      .execute({
        callId: id,
        ...(expectedVersion !== undefined ? { expectedVersion } : {}),
        by,
        ...(idempotency ? { idempotency } : {}),
        command: (state, tx) => build(body, id, new Date().toISOString(), by.actor.id, state, tx),
        respond,
      })
      .then((out) => send(res, out), rethrow);
  };

  const commandDoc = (path: string, operationId: string, summary: string, description: string) => ({
    method: 'post' as const,
    path: `/calls/:id/${path}`,
    operationId,
    summary,
    description,
    tags: ['calls'],
    roles: WRITERS,
    params: CallIdParams,
    ifMatch: 'required' as const,
    idempotent: true,
    responses: {
      200: { description: 'Command applied: the events appended and the new version', schema: CommandResponse, headers: ['ETag', 'Idempotency-Replayed'] },
      409: { description: 'The decider rejected the command in the call\'s current state (`code` says why)' },
      404: { description: 'No such call' },
    },
  });

  return [
    {
      method: 'post',
      path: '/calls',
      operationId: 'createCall',
      summary: '接警: create a call',
      description:
        'Creates a call (CallReceived) and, when given, records caller, location, classification and first narrative entry, and hands it to dispatch (`handToDispatch`). Replays (the importer) send source times and `externalRef`. The answer lists the duplicate candidates of the new call (`duplicateCandidates`); a candidate scoring at least DUPLICATE_FLAG_PERCENT is recorded as CallDuplicateSuspected before the hand-over. Double submit: without an Idempotency-Key, the same body from the same user within DOUBLE_SUBMIT_SECONDS (default 10 s) answers the first call (`Idempotency-Replayed: true`) when it names coordinates, an address or a caller number.',
      tags: ['calls'],
      roles: WRITERS,
      body: createBody,
      idempotent: true,
      responses: {
        201: { description: 'Created', schema: CommandResponse, headers: ['ETag', 'Location', 'Idempotency-Replayed'] },
        409: { description: 'Rejected, e.g. a call with the same externalRef exists' },
      },
      handler: async (req, res) => {
        const input = createInput(parseOr400(createBody, req.body));
        const by = actorOf(req);
        const key = idempotencyOf(req, by.actor.id) ?? (service.doubleSubmitSeconds > 0 ? doubleSubmitKey(req.body, by.actor.id, service.doubleSubmitSeconds) : undefined);
        const out = await service.create(input, by, created, key).catch(rethrow);
        send(res, out);
      },
    },
    {
      method: 'post',
      path: '/calls/batch',
      operationId: 'createCalls',
      summary: 'Create up to 100 calls in one request (bulk import)',
      description:
        `Body \`{items: [{idempotencyKey, call}]}\`, 1 to ${CALL_BATCH_MAX_ITEMS} items; \`call\` is exactly the body of POST /calls. Each item is exactly a POST /calls with header \`Idempotency-Key: <idempotencyKey>\`: the same validation, decider, duplicate lookup, events (CallReceived … CallHandedToDispatch) and idempotency — an item whose key and call were sent before (in a batch or as POST /calls) answers the stored result and creates nothing; a key sent before with another call answers 422. The items run in order in one transaction (group commit); an item that fails is rerun alone and answers its own error (400 naming the fields of \`call\`, 409 with \`code\`, 422 …) with nothing of it written, and the others are created. ` +
        'Answer 200 `{results: [{status, body, replayed?}]}`, one per item in order: `status` and `body` are what POST /calls would have answered (201 and the CommandResult, or problem details). Each call has its own trace (a root span `POST /calls (batch item)` linked to the request\'s span), so its events carry its own trace context as with POST /calls. ' +
        'The request as a whole answers 400 only when the envelope is malformed (not 1–100 items of `{idempotencyKey: string, call}`) or a string anywhere in the body holds NUL or a lone surrogate, and 413 beyond the 64 kB body limit (about 100 imported calls). There is no double-submit folding (every item has a key); an `Idempotency-Key` header on the request itself is not used.',
      tags: ['calls'],
      roles: WRITERS,
      body: createBatchBody,
      responses: {
        200: { description: 'One result per item, in order', schema: CallBatchResponse },
      },
      handler: async (req, res) => {
        const { items } = parseOr400(callBatchEnvelope, req.body);
        const by = actorOf(req);
        const parsed = items.map((item) => {
          try {
            const input = createInput(parseOr400(createBody, item.call)); // the single route checks the body first, then the key
            return { input, idempotency: itemIdempotency(by.actor.id, item.idempotencyKey, 'POST', '/calls', item.call) };
          } catch (error) {
            return { error };
          }
        });
        const outcomes = await service.createMany(parsed, by, created);
        res.json({
          results: outcomes.map((o) =>
            o.ok ? { status: o.value.status, body: o.value.body, ...(o.value.replayed ? { replayed: true } : {}) } : batchItemResponse({ ok: false, error: asProblem(o.error) }, 500, logger),
          ),
        });
      },
    },
    {
      method: 'get',
      path: '/calls',
      operationId: 'listCalls',
      summary: 'List calls, newest answer time first (paginated)',
      description: 'Caller numbers and addresses are never included. Times UTC ISO-8601.',
      tags: ['calls'],
      roles: READERS,
      query: ListCallsQuery,
      responses: { 200: { description: 'A page of calls', schema: CallListResponse } },
      handler: async (req, res) => {
        const { access_token: _t, ...query } = req.query;
        const q = parseOr400(ListCallsQuery, query);
        res.json(await listCalls(db, q));
      },
    },
    {
      method: 'get',
      path: '/calls/:id',
      operationId: 'getCall',
      summary: 'A call: state, timings and full event history',
      description: 'The caller number is masked (`138****1234`) and the caller name left out unless `reveal=caller` is asked by a call taker or supervisor. Every `reveal=caller` request for an existing call is recorded (who, which call, when, revealed or masked; never the number) before the answer is sent: GET /audit/reveals.',
      tags: ['calls'],
      roles: READERS,
      params: CallIdParams,
      query: GetCallQuery,
      responses: { 200: { description: 'The call', schema: CallResponse, headers: ['ETag'] } },
      handler: async (req, res) => {
        const { id } = parseOr400(CallIdParams, req.params);
        const { access_token: _t, ...query } = req.query;
        const q = parseOr400(GetCallQuery, query);
        const call = await service.get(id, q.reveal === 'caller' && maySeeCallerNumbers(req.user));
        if (!call) throw ProblemError.notFound(`call ${id}`);
        // audited before the answer leaves (issue 19.5): no record, no reveal
        if (q.reveal === 'caller') await recordReveal(db, req, id);
        res.set('ETag', `"${call.version}"`).json(call);
      },
    },
    {
      ...commandDoc('caller', 'recordCaller', 'Record the caller number and/or name (CallerRecorded)', 'Allowed while the call is open or handed to dispatch. The number is stored, shown masked, and never logged.'),
      body: RecordCallerBody,
      handler: (req, res) => command<{ number?: string; name?: string }>(req, res, RecordCallerBody, (b, callId, now, by) => ({ type: 'RecordCaller', callId, now, by, ...b })),
    },
    {
      ...commandDoc('location', 'locateCall', 'Locate the call (CallLocated) and get duplicate candidates', 'Allowed while open or handed to dispatch. The response lists calls within the duplicate radius and window (`duplicateCandidates`).'),
      body: LocateCallBody,
      handler: (req, res) =>
        command<z.infer<typeof LocateCallBody>>(
          req,
          res,
          LocateCallBody,
          (b, callId, now, by) => ({ type: 'LocateCall', callId, now, by, location: b }),
          withCandidates(),
        ),
    },
    {
      ...commandDoc(
        'classification',
        'classifyCall',
        'Classify or reclassify the call (CallClassified) and get duplicate candidates and the SOP questions',
        'Allowed while open or handed to dispatch (a reclassification after the handover emits CallClassified again; it needs a `reason`). Rejected (409) for closed, cancelled, transferred or duplicate calls.',
      ),
      body: classifyBody,
      handler: (req, res) =>
        command<z.infer<typeof classifyBody>>(
          req,
          res,
          classifyBody,
          (b, callId, now, by) => ({ type: 'ClassifyCall', callId, now, by, classification: b }),
          withCandidates((state) => ({ sop: taxonomy.subtype(state.classification?.subtype ?? '')?.sop ?? [] })),
        ),
    },
    {
      ...commandDoc('narrative', 'appendNarrative', 'Append a narrative entry (CallNarrativeAppended)', `Text of 1 to 4000 characters. Allowed unless the call is closed or cancelled.`),
      body: AppendNarrativeBody,
      handler: (req, res) => command<{ text: string }>(req, res, AppendNarrativeBody, (b, callId, now, by) => ({ type: 'AppendNarrative', callId, now, by, text: b.text })),
    },
    {
      ...commandDoc(
        'duplicate-link',
        'linkDuplicate',
        'Link the call as a duplicate of another call (CallLinkedAsDuplicate)',
        'Only an open call (not yet handed to dispatch) can be linked. Rejected: a link to itself (`self-link`), to an unknown call (`unknown-target`), to a call that is itself a duplicate (`target-is-duplicate`) or cancelled. Distance, time apart and score are recorded from the lookup.',
      ),
      body: LinkDuplicateBody,
      handler: (req, res) =>
        command<{ duplicateOfCallId: string; reason: string }>(req, res, LinkDuplicateBody, async (b, callId, now, by, _state, tx) => {
          const target =
            b.duplicateOfCallId === callId
              ? null
              : ((await tx.query<{ id: string; status: string; duplicateOf: string | null }>('SELECT id::text, status, duplicate_of::text AS "duplicateOf" FROM calls WHERE id = $1::uuid', [b.duplicateOfCallId]))[0] ?? null);
          const m = target ? await finder.compare(tx, callId, b.duplicateOfCallId) : null;
          return {
            type: 'LinkAsDuplicate',
            callId,
            now,
            by,
            duplicateOfCallId: b.duplicateOfCallId,
            reason: b.reason,
            target: target ? { callId: target.id, status: target.status as CallState['status'], duplicateOf: target.duplicateOf } : null,
            ...(m?.distanceMetres != null ? { distanceMetres: m.distanceMetres } : {}),
            ...(m ? { secondsApart: m.secondsApart } : {}),
            ...(m?.score !== undefined ? { score: m.score, matchedOn: m.reasons } : {}),
          };
        }),
    },
    {
      ...commandDoc('confirm-new', 'confirmNew', 'Confirm the call as a new incident after reviewing the candidates (CallConfirmedAsNew)', 'Records which candidates were shown and judged different. Allowed while open or handed to dispatch.'),
      body: ConfirmNewBody,
      handler: (req, res) =>
        command<{ candidateCallIds: string[]; reason?: string }>(req, res, ConfirmNewBody, (b, callId, now, by) => ({ type: 'ConfirmAsNew', callId, now, by, candidateCallIds: b.candidateCallIds, ...(b.reason ? { reason: b.reason } : {}) })),
    },
    {
      ...commandDoc('transfer', 'transferCall', 'Transfer the call to fire 119, medical 120, traffic 122 or another agency (CallTransferred)', 'Only an open call; `agency` is required for other-agency.'),
      body: TransferCallBody,
      handler: (req, res) =>
        command<{ to: 'fire-119' | 'medical-120' | 'traffic-122' | 'other-agency'; agency?: string; reason?: string }>(req, res, TransferCallBody, (b, callId, now, by) => ({ type: 'TransferCall', callId, now, by, ...b })),
    },
    {
      ...commandDoc('cancel', 'cancelCall', 'Cancel the call: silent, misdial, prank, caller hung up, other (CallCancelled)', 'Only an open call; `note` is required for reason other. Cancelled is final.'),
      body: CancelCallBody,
      handler: (req, res) =>
        command<{ reason: 'silent' | 'misdial' | 'prank' | 'caller-hung-up' | 'other'; note?: string }>(req, res, CancelCallBody, (b, callId, now, by) => ({ type: 'CancelCall', callId, now, by, ...b })),
    },
    {
      ...commandDoc('hand-over', 'handOverCall', '出警: hand the call to dispatch (CallHandedToDispatch with the snapshot dispatch needs)', 'Only an open, classified call (`unclassified` otherwise). Body optional (`{}`).'),
      body: HandOverBody,
      bodyOptional: true,
      handler: (req, res) => command<Record<string, never>>(req, res, HandOverBody, (_b, callId, now, by) => ({ type: 'HandOverCall', callId, now, by })),
    },
    {
      ...commandDoc('close', 'closeCall', 'Close the call (CallClosed)', 'Allowed when open (with a `reason`), handed to dispatch, transferred or a duplicate; closed and cancelled calls cannot be closed again.'),
      body: CloseCallBody,
      handler: (req, res) => command<{ reason?: string }>(req, res, CloseCallBody, (b, callId, now, by) => ({ type: 'CloseCall', callId, now, by, ...b })),
    },
    {
      method: 'get',
      path: '/calls/:id/duplicates',
      operationId: 'callDuplicates',
      summary: 'Duplicate candidates of a call',
      description:
        'Open calls (open, handed to dispatch, transferred) within `radiusMetres` (default 200 m) with a compatible category, or with the same caller number, answered within `windowSeconds` (default 900 s) of this call; best score first. Nothing is merged: the call taker links (duplicate-link) or confirms it as new (confirm-new).',
      tags: ['duplicates'],
      roles: WRITERS,
      params: CallIdParams,
      query: DuplicatesQuery,
      responses: { 200: { description: 'Candidates', schema: DuplicatesResponse } },
      handler: async (req, res) => {
        const { id } = parseOr400(CallIdParams, req.params);
        const { access_token: _t, ...query } = req.query;
        const q = parseOr400(DuplicatesQuery, query);
        const found = await finder.findForCall(db, id, q);
        if (!found) throw ProblemError.notFound(`call ${id}`);
        res.json(found);
      },
    },
    {
      method: 'post',
      path: '/duplicates/search',
      operationId: 'searchDuplicates',
      summary: 'Duplicate candidates for a call being typed (no call needed yet)',
      description:
        'Same rules as GET /calls/{id}/duplicates for a point, an instant (default now), a caller number and/or a classification. A POST so that the caller number stays out of URLs, logs and spans. Writes nothing; an Idempotency-Key replays the first answer.',
      tags: ['duplicates'],
      roles: WRITERS,
      body: searchBody,
      idempotent: true,
      responses: { 200: { description: 'Candidates', schema: DuplicatesResponse, headers: ['Idempotency-Replayed'] } },
      handler: async (req, res) => {
        const b = parseOr400(searchBody, req.body);
        const by = actorOf(req);
        const idem = idempotencyOf(req, by.actor.id);
        const sub = b.subtype ? taxonomy.subtype(b.subtype) : undefined;
        const subject = {
          ...(b.excludeCallId ? { callId: b.excludeCallId } : {}),
          at: b.at ?? new Date().toISOString(),
          lat: b.lat ?? null,
          lon: b.lon ?? null,
          callerNumber: normaliseNumber(b.callerNumber),
          category: sub?.category ?? b.category ?? null,
          subtype: sub?.code ?? null,
        };
        const opts = { ...(b.radiusMetres ? { radiusMetres: b.radiusMetres } : {}), ...(b.windowSeconds ? { windowSeconds: b.windowSeconds } : {}), ...(b.limit ? { limit: b.limit } : {}) };
        if (!idem) {
          res.json(await finder.find(db, subject, opts));
          return;
        }
        const out = await db.transaction(async (tx) => {
          const replay = await claimKey(tx, idem);
          if (replay) return replay;
          const found: HttpOutcome = { status: 200, body: await finder.find(tx, subject, opts), headers: {} };
          await saveResponse(tx, idem, found);
          return found;
        });
        send(res, out);
      },
    },
    {
      method: 'get',
      path: '/taxonomy',
      operationId: 'getTaxonomy',
      summary: 'The 110 taxonomy: kinds, categories, subtypes with default priority, SOP questions and flags',
      tags: ['reference'],
      roles: [...READERS, 'ops'],
      responses: { 200: { description: 'The taxonomy file in force', schema: TaxonomyResponse } },
      handler: (_req, res) => {
        res.json(taxonomy.file);
      },
    },
  ];
}
