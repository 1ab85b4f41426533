import { Router } from 'express';
import { actorOf, maySeeCallerNumbers, requireRole } from '@cad110/auth';
import { parseOr400, ProblemError } from '@cad110/http';
import type { Taxonomy } from '@cad110/contracts';
import type { PrismaClient } from '../prisma';
import { CallRejected, CallService } from './call-service';
import { createCallBody, ListCallsQuery } from './schemas';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function callRoutes(service: CallService, prisma: PrismaClient, taxonomy: Taxonomy): Router {
  const r = Router();
  const bodySchema = createCallBody(taxonomy);

  /**
   * POST /calls — 接警: create a call.
   * Body: see `createCallBody` (UTC ISO-8601 times; lat/lon WGS84 degrees; narrative ≤ 4000 chars).
   * 201 `{callId, version, events}` with `Location` and `ETag: "<version>"`.
   * 400 problem+json listing every bad field; 409 when the call conflicts (e.g. same externalRef);
   * 415 when the body is not JSON.
   */
  r.post('/calls', requireRole('call_taker', 'supervisor'), async (req, res) => {
    const body = parseOr400(bodySchema, req.body);
    try {
      const out = await service.create(body, actorOf(req));
      res.status(201).location(`/calls/${out.callId}`).set('ETag', `"${out.version}"`).json(out);
    } catch (err) {
      if (err instanceof CallRejected) throw ProblemError.conflict(err.message, { code: err.code });
      throw err;
    }
  });

  /**
   * GET /calls/{id}?reveal=caller — the call's state and full event history. The caller number
   * is masked (`138****1234`) unless `reveal=caller` is asked by a call taker or supervisor.
   * 200 `{callId, version, state, events}` with `ETag`; 404 when unknown.
   */
  r.get('/calls/:id', requireRole('call_taker', 'dispatcher', 'supervisor', 'analyst'), async (req, res) => {
    const id = String(req.params.id);
    if (!UUID.test(id)) throw ProblemError.validation([{ field: 'id', message: 'must be a UUID' }]);
    const call = await service.get(id, req.query.reveal === 'caller' && maySeeCallerNumbers(req.user));
    if (!call) throw ProblemError.notFound(`call ${id}`);
    res.set('ETag', `"${call.version}"`).json(call);
  });

  /**
   * GET /calls?status=&since=&until=&limit=&cursor= — calls newest first by answer time.
   * 200 `{items:[...], nextCursor}`; times UTC ISO-8601; caller numbers never included.
   */
  r.get('/calls', requireRole('call_taker', 'dispatcher', 'supervisor', 'analyst'), async (req, res) => {
    const { access_token: _t, ...query } = req.query;
    const q = parseOr400(ListCallsQuery, query);
    const cursor = q.cursor ? decodeCursor(q.cursor) : undefined;
    const rows = await prisma.call.findMany({
      where: {
        ...(q.status ? { status: q.status } : {}),
        answeredAt: { ...(q.since ? { gte: new Date(q.since) } : {}), ...(q.until ? { lt: new Date(q.until) } : {}) },
        ...(cursor ? { OR: [{ answeredAt: { lt: cursor.t } }, { answeredAt: cursor.t, id: { lt: cursor.id } }] } : {}),
      },
      orderBy: [{ answeredAt: 'desc' }, { id: 'desc' }],
      take: q.limit + 1,
      omit: { callerNumber: true, address: true },
    });
    const items = rows.slice(0, q.limit);
    const last = items.at(-1);
    res.json({ items, nextCursor: rows.length > q.limit && last ? encodeCursor(last.answeredAt, last.id) : null });
  });

  return r;
}

function encodeCursor(t: Date, id: string): string {
  return Buffer.from(`${t.toISOString()}|${id}`).toString('base64url');
}

function decodeCursor(c: string): { t: Date; id: string } {
  const [t, id] = Buffer.from(c, 'base64url').toString().split('|');
  if (!t || !id || Number.isNaN(Date.parse(t))) throw ProblemError.validation([{ field: 'cursor', message: 'invalid cursor' }]);
  return { t: new Date(t), id };
}
