/**
 * The call-taker desk's routes in intake (issue 16): gazetteer search, caller / location history
 * with hazard and person flags, flag management (supervisors), and the telephony hand-off
 * (a CTI / ANI-ALI system reports a ringing 110 line; the call taker answers it). Declared in the
 * same route table as the call routes, so they are in /openapi.json and the role matrix.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { actorOf, maySeeCallerNumbers, type Role } from '@cad110/auth';
import { appendToStream } from '@cad110/eventstore';
import type { Db } from '@cad110/db';
import { flagStreamId, IsoUtc, maskPhone, type EventRegistry } from '@cad110/contracts';
import { parseOr400, ProblemError, type RouteSpec } from '@cad110/http';
import { normaliseNumber } from '../duplicates/score';
import { PhoneNumber } from '../calls/schemas';
import { Crs, toWgs84 } from './coords';
import { GAZETTEER_KINDS, searchGazetteer } from './gazetteer';
import { callHistory } from './history';

const DESK: Role[] = ['call_taker', 'supervisor'];
const FLAG_READERS: Role[] = ['call_taker', 'dispatcher', 'supervisor'];
/** Rings older than this are no longer offered (a 110 line rings out long before), seconds. */
export const RING_OFFER_SECONDS = 300;

const Latitude = z.number().min(-90).max(90);
const Longitude = z.number().min(-180).max(180);

export const GazetteerQuery = z
  .object({
    q: z.string().trim().min(1).max(100).describe('what the call taker typed: part of a name, with typos'),
    limit: z.coerce.number().int().min(1).max(50).default(10),
  })
  .strict();

const GazetteerHitSchema = z.object({ id: z.string(), kind: z.enum(GAZETTEER_KINDS), name: z.string(), nameAlt: z.string().optional(), district: z.string().optional(), lat: z.number(), lon: z.number(), score: z.number().describe('pg_trgm word similarity 0–1') }).meta({ id: 'GazetteerHit' });

export const HistoryBody = z
  .object({
    callerNumber: PhoneNumber.optional(),
    lat: Latitude.optional(),
    lon: Longitude.optional(),
    at: IsoUtc.optional().describe('reference instant (UTC); default now'),
    excludeCallId: z.uuid().optional().describe('the call being typed, left out of its own history'),
  })
  .strict()
  .refine((b) => (b.lat === undefined) === (b.lon === undefined), { message: 'lat and lon must be given together', path: ['lat'] })
  .refine((b) => b.lat !== undefined || b.callerNumber !== undefined, { message: 'give coordinates and/or a caller number', path: ['lat'] });

const HistoryCallSchema = z.object({ callId: z.uuid(), answeredAt: IsoUtc, status: z.string(), outcomeDetail: z.string().nullable(), category: z.string().nullable(), subtype: z.string().nullable(), priority: z.number().nullable(), address: z.string().nullable(), distanceMetres: z.number().nullable() });
const HistoryResponse = z
  .object({
    at: IsoUtc,
    byNumber: z.object({ last24h: z.number().int(), last30d: z.number().int(), calls: z.array(HistoryCallSchema) }).nullable(),
    nearby: z.object({ radiusMetres: z.number(), last30d: z.number().int(), calls: z.array(HistoryCallSchema) }).nullable(),
    flags: z.array(z.object({ flagId: z.uuid(), kind: z.enum(['location', 'person']), label: z.string(), note: z.string().nullable(), distanceMetres: z.number().nullable() })),
  })
  .meta({ id: 'CallHistory' });

export const RaiseFlagBody = z
  .object({
    kind: z.enum(['location', 'person']).describe('location = 重点地点 (lat/lon + radius), person = 重点人员 (phone number)'),
    label: z.string().trim().min(1).max(120),
    note: z.string().trim().max(1000).optional(),
    number: PhoneNumber.optional(),
    address: z.string().trim().min(1).max(300).optional(),
    lat: Latitude.optional(),
    lon: Longitude.optional(),
    crs: Crs.default('WGS84'),
    radiusMetres: z.number().positive().max(5000).optional().describe('metres, default 100'),
  })
  .strict()
  .refine((b) => (b.lat === undefined) === (b.lon === undefined), { message: 'lat and lon must be given together', path: ['lat'] })
  .refine((b) => b.kind !== 'location' || b.lat !== undefined, { message: 'a location flag needs lat and lon', path: ['lat'] })
  .refine((b) => b.kind !== 'person' || b.number !== undefined, { message: 'a person flag needs a number', path: ['number'] });

export const RetireFlagBody = z.object({ reason: z.string().trim().min(1).max(500) }).strict();
const FlagIdParams = z.object({ id: z.uuid({ error: 'must be a UUID' }) }).strict();
const FlagSchema = z
  .object({ flagId: z.uuid(), kind: z.enum(['location', 'person']), label: z.string(), note: z.string().nullable(), number: z.string().nullable().describe('masked unless the role may see numbers'), address: z.string().nullable(), lat: z.number().nullable(), lon: z.number().nullable(), radiusMetres: z.number().nullable(), active: z.boolean(), version: z.number().int(), raisedAt: IsoUtc, raisedBy: z.string(), retiredAt: IsoUtc.nullable() })
  .meta({ id: 'Flag' });

export const RingBody = z
  .object({
    line: z.string().trim().min(1).max(32).optional().describe('trunk / line id of the telephony system'),
    number: PhoneNumber.optional().describe('ANI: the calling number (absent = withheld)'),
    lat: Latitude.optional(),
    lon: Longitude.optional(),
    crs: Crs.default('WGS84').describe('ALI / AML location datum; GCJ02 and BD09 are converted to WGS84'),
    uncertaintyMetres: z.number().min(0).max(100_000).optional().describe('radius of the carrier location, metres'),
    ringingAt: IsoUtc.optional().describe('when the line started ringing (UTC); default now'),
  })
  .strict()
  .refine((b) => (b.lat === undefined) === (b.lon === undefined), { message: 'lat and lon must be given together', path: ['lat'] })
  .refine((b) => !b.ringingAt || Date.parse(b.ringingAt) <= Date.now() + 60_000, { message: 'must not be in the future', path: ['ringingAt'] });

const RingSchema = z
  .object({ ringId: z.uuid(), line: z.string().nullable(), number: z.string().nullable().describe('masked unless the role may see numbers'), lat: z.number().nullable(), lon: z.number().nullable(), uncertaintyMetres: z.number().nullable(), reportedCrs: z.string(), ringingAt: IsoUtc, answeredAt: IsoUtc.nullable(), answeredBy: z.string().nullable() })
  .meta({ id: 'RingingLine' });

interface RingRow {
  id: string;
  line: string | null;
  number: string | null;
  lat: number | null;
  lon: number | null;
  uncertainty_metres: number | null;
  reported_crs: string;
  ringing_at: Date;
  answered_at: Date | null;
  answered_by: string | null;
}

const ringOut = (r: RingRow, reveal: boolean) => ({
  ringId: r.id,
  line: r.line,
  number: r.number ? (reveal ? r.number : maskPhone(r.number)) : null,
  lat: r.lat,
  lon: r.lon,
  uncertaintyMetres: r.uncertainty_metres,
  reportedCrs: r.reported_crs,
  ringingAt: r.ringing_at.toISOString(),
  answeredAt: r.answered_at?.toISOString() ?? null,
  answeredBy: r.answered_by,
});

interface FlagRow {
  id: string;
  kind: 'location' | 'person';
  label: string;
  note: string | null;
  number: string | null;
  address: string | null;
  lat: number | null;
  lon: number | null;
  radius_metres: number | null;
  active: boolean;
  version: number;
  raised_at: Date;
  raised_by: string;
  retired_at: Date | null;
}

/** Routes of the desk on the intake database `db`; `registry` validates the flag events. */
export function deskRoutes(db: Db, registry: EventRegistry): RouteSpec[] {
  const metadata = (req: Parameters<typeof actorOf>[0], flagId: string) => {
    const by = actorOf(req);
    return { actor: by.actor, ...(by.workstation ? { workstation: by.workstation } : {}), correlationId: flagId, causationId: by.requestId ?? null };
  };
  return [
    {
      method: 'get',
      path: '/gazetteer',
      operationId: 'searchGazetteer',
      summary: 'Fuzzy search of the county gazetteer (addresses, crossings, roads, landmarks, posts, districts)',
      description: 'pg_trgm: entries containing the query or with word similarity ≥ 0.3, prefix matches first. Coordinates WGS84.',
      tags: ['desk'],
      roles: DESK,
      query: GazetteerQuery,
      responses: { 200: { description: 'Best matches first', schema: z.object({ items: z.array(GazetteerHitSchema) }) } },
      handler: async (req, res) => {
        const { access_token: _t, ...query } = req.query;
        const q = parseOr400(GazetteerQuery, query);
        res.json({ items: await db.transaction((tx) => searchGazetteer(tx, q.q, q.limit)) });
      },
    },
    {
      method: 'post',
      path: '/history/search',
      operationId: 'callHistory',
      summary: 'Caller and location history: calls from this number (24 h, 30 days), calls within 100 m (30 days), matching flags',
      description: 'A POST so the number stays out of URLs, logs and spans. Each call with category, status and outcome (cancel reason / transfer target), distance in metres. Writes nothing.',
      tags: ['desk'],
      roles: DESK,
      body: HistoryBody,
      responses: { 200: { description: 'History', schema: HistoryResponse } },
      handler: async (req, res) => {
        const b = parseOr400(HistoryBody, req.body);
        res.json(
          await db.transaction((tx) =>
            callHistory(tx, { number: normaliseNumber(b.callerNumber), ...(b.lat !== undefined && b.lon !== undefined ? { point: { lat: b.lat, lon: b.lon } } : {}), ...(b.at ? { at: b.at } : {}), ...(b.excludeCallId ? { excludeCallId: b.excludeCallId } : {}) }),
          ),
        );
      },
    },
    {
      method: 'get',
      path: '/flags',
      operationId: 'listFlags',
      summary: 'Hazard and person flags (重点地点 / 重点人员), active first',
      description: 'Numbers are masked (138****1234) for roles that may not see caller numbers (dispatcher).',
      tags: ['flags'],
      roles: FLAG_READERS,
      responses: { 200: { description: 'Flags', schema: z.object({ items: z.array(FlagSchema) }) } },
      handler: async (req, res) => {
        const rows = await db.query<FlagRow>(`SELECT id::text, kind, label, note, number, address, lat, lon, radius_metres, active, version, raised_at, raised_by, retired_at FROM flags ORDER BY active DESC, raised_at DESC LIMIT 500`);
        const reveal = maySeeCallerNumbers(req.user);
        res.json({
          items: rows.map((f) => ({
            flagId: f.id,
            kind: f.kind,
            label: f.label,
            note: f.note,
            number: f.number ? (reveal ? f.number : maskPhone(f.number)) : null,
            address: reveal ? f.address : null,
            lat: f.lat,
            lon: f.lon,
            radiusMetres: f.radius_metres,
            active: f.active,
            version: f.version,
            raisedAt: f.raised_at.toISOString(),
            raisedBy: f.raised_by,
            retiredAt: f.retired_at?.toISOString() ?? null,
          })),
        });
      },
    },
    {
      method: 'post',
      path: '/flags',
      operationId: 'raiseFlag',
      summary: 'Raise a hazard or person flag (FlagRaised; supervisors)',
      description: 'Stored as the event FlagRaised on the stream flag-<id> in intake (not published: a person flag holds a number). GCJ-02 / BD-09 coordinates are converted to WGS84.',
      tags: ['flags'],
      roles: ['supervisor'],
      body: RaiseFlagBody,
      responses: { 201: { description: 'Raised', schema: z.object({ flagId: z.uuid(), version: z.number().int() }), headers: ['ETag'] } },
      handler: async (req, res) => {
        const b = parseOr400(RaiseFlagBody, req.body);
        const flagId = randomUUID();
        const p = b.lat !== undefined && b.lon !== undefined ? toWgs84({ lat: b.lat, lon: b.lon }, b.crs) : undefined;
        const raisedAt = new Date().toISOString();
        const number = normaliseNumber(b.number) ?? undefined;
        const data = { flagId, kind: b.kind, label: b.label, ...(b.note ? { note: b.note } : {}), ...(number ? { number } : {}), ...(b.address ? { address: b.address } : {}), ...(p ? p : {}), ...(b.kind === 'location' ? { radiusMetres: b.radiusMetres ?? 100 } : {}), raisedAt };
        await db.transaction(async (tx) => {
          await appendToStream(tx, registry, { streamId: flagStreamId(flagId), streamType: 'flag', expectedVersion: 0, events: [{ type: 'FlagRaised', data, occurredAt: raisedAt }], source: 'intake', metadata: metadata(req, flagId), publish: false });
          await tx.exec(
            `INSERT INTO flags (id, kind, label, note, number, address, lat, lon, radius_metres, active, version, raised_at, raised_by) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, true, 1, $10::timestamptz, $11)`,
            [
              flagId,
              b.kind,
              b.label,
              b.note ?? null,
              number ?? null,
              b.address ?? null,
              p?.lat ?? null,
              p?.lon ?? null,
              b.kind === 'location' ? (b.radiusMetres ?? 100) : null,
              raisedAt,
              actorOf(req).actor.id,
            ],
          );
        });
        res.status(201).set('ETag', '"1"').json({ flagId, version: 1 });
      },
    },
    {
      method: 'post',
      path: '/flags/:id/retire',
      operationId: 'retireFlag',
      summary: 'Retire a flag with a reason (FlagRetired; supervisors)',
      tags: ['flags'],
      roles: ['supervisor'],
      params: FlagIdParams,
      body: RetireFlagBody,
      responses: { 200: { description: 'Retired', schema: z.object({ flagId: z.uuid(), version: z.number().int() }), headers: ['ETag'] }, 409: { description: 'Already retired (`code` flag-retired)' } },
      handler: async (req, res) => {
        const { id } = parseOr400(FlagIdParams, req.params);
        const b = parseOr400(RetireFlagBody, req.body);
        const retiredAt = new Date().toISOString();
        const version = await db.transaction(async (tx) => {
          const rows = await tx.query<{ version: number; active: boolean }>('SELECT version, active FROM flags WHERE id = $1::uuid FOR UPDATE', [id]);
          const f = rows[0];
          if (!f) throw ProblemError.notFound(`flag ${id}`);
          if (!f.active) throw ProblemError.conflict('the flag is already retired', { code: 'flag-retired' });
          await appendToStream(tx, registry, { streamId: flagStreamId(id), streamType: 'flag', expectedVersion: f.version, events: [{ type: 'FlagRetired', data: { flagId: id, reason: b.reason, retiredAt }, occurredAt: retiredAt }], source: 'intake', metadata: metadata(req, id), publish: false });
          await tx.exec('UPDATE flags SET active = false, version = version + 1, retired_at = $2::timestamptz WHERE id = $1::uuid', [id, retiredAt]);
          return f.version + 1;
        });
        res.set('ETag', `"${version}"`).json({ flagId: id, version });
      },
    },
    {
      method: 'post',
      path: '/telephony/ringing',
      operationId: 'lineRinging',
      summary: 'CTI / ANI-ALI hand-off: a 110 line is ringing (number, carrier location and uncertainty, ringing time)',
      description:
        'Called by the telephony system (or `npm run ring -w @cad110/intake`). GCJ-02 / BD-09 locations are converted to WGS84. The call-taker consoles offer the ring (GET /telephony/ringing); answering it opens a pre-filled form, and the call created carries ringingAt, so answer time = answeredAt − ringingAt is measured.',
      tags: ['telephony'],
      roles: DESK,
      body: RingBody,
      responses: { 201: { description: 'Ring recorded', schema: RingSchema } },
      handler: async (req, res) => {
        const b = parseOr400(RingBody, req.body);
        const id = randomUUID();
        const p = b.lat !== undefined && b.lon !== undefined ? toWgs84({ lat: b.lat, lon: b.lon }, b.crs) : undefined;
        const rows = await db.query<RingRow>(
          `INSERT INTO ringing_lines (id, line, number, lat, lon, uncertainty_metres, reported_crs, ringing_at, received_at)
           VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8::timestamptz, now()) RETURNING id::text, line, number, lat, lon, uncertainty_metres, reported_crs, ringing_at, answered_at, answered_by`,
          [
            id,
            b.line ?? null,
            b.number ? b.number.trim() : null,
            p ? Math.round(p.lat * 1e6) / 1e6 : null,
            p ? Math.round(p.lon * 1e6) / 1e6 : null,
            b.uncertaintyMetres ?? null,
            b.crs,
            b.ringingAt ?? new Date().toISOString(),
          ],
        );
        res.status(201).json(ringOut(rows[0]!, maySeeCallerNumbers(req.user)));
      },
    },
    {
      method: 'get',
      path: '/telephony/ringing',
      operationId: 'ringingLines',
      summary: 'Lines ringing now (not answered, rang in the last 300 s), oldest first',
      tags: ['telephony'],
      roles: DESK,
      responses: { 200: { description: 'Ringing lines', schema: z.object({ items: z.array(RingSchema) }) } },
      handler: async (req, res) => {
        const rows = await db.query<RingRow>(
          `SELECT id::text, line, number, lat, lon, uncertainty_metres, reported_crs, ringing_at, answered_at, answered_by FROM ringing_lines
            WHERE answered_at IS NULL AND ringing_at >= now() - make_interval(secs => $1) ORDER BY ringing_at LIMIT 20`,
          [RING_OFFER_SECONDS],
        );
        res.json({ items: rows.map((r) => ringOut(r, maySeeCallerNumbers(req.user))) });
      },
    },
    {
      method: 'post',
      path: '/telephony/ringing/:id/answer',
      operationId: 'answerRing',
      summary: 'Answer a ringing line: it is taken by this call taker (409 `ring-taken` if someone else was first)',
      description: 'Returns the ring with the number unmasked (call takers and supervisors) and `answeredAt` (UTC) — the form sends ringingAt and answeredAt with POST /calls.',
      tags: ['telephony'],
      roles: DESK,
      params: FlagIdParams,
      body: z.object({}).strict(),
      bodyOptional: true,
      responses: { 200: { description: 'Answered', schema: RingSchema }, 409: { description: 'Already answered (`code` ring-taken)' } },
      handler: async (req, res) => {
        const { id } = parseOr400(FlagIdParams, req.params);
        const by = actorOf(req).actor.id;
        const rows = await db.query<RingRow>(
          `UPDATE ringing_lines SET answered_at = now(), answered_by = $2 WHERE id = $1::uuid AND answered_at IS NULL
           RETURNING id::text, line, number, lat, lon, uncertainty_metres, reported_crs, ringing_at, answered_at, answered_by`,
          [id, by],
        );
        if (!rows[0]) {
          const exists = await db.query<unknown>('SELECT 1 FROM ringing_lines WHERE id = $1::uuid', [id]);
          if (!exists.length) throw ProblemError.notFound(`ring ${id}`);
          throw ProblemError.conflict('another call taker answered this line', { code: 'ring-taken' });
        }
        res.json(ringOut(rows[0], true));
      },
    },
  ];
}
