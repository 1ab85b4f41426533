/**
 * Route tables: every HTTP route of a service is declared once as a {@link RouteSpec} (method,
 * path, roles, request and response zod schemas, docstring, handler). From that one table come
 * - the express router ({@link mountRoutes}): the role check, then the handler;
 * - the OpenAPI 3.1 document ({@link buildOpenApi}, served at `GET /openapi.json`);
 * - the role matrix the devstack e2e test asks every role against (`app.locals.routeTable`).
 * How to add a route: libs/http/README.md.
 */
import { Router, type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { parseOr400 } from './problem';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One documented response of a route. */
export interface ResponseSpec {
  description: string;
  /** JSON body schema (output side); a problem+json body for 4xx/5xx when omitted */
  schema?: z.ZodType;
  /** response headers set, e.g. `ETag`, `Location` (documented from {@link HEADER_DOCS} when known) */
  headers?: string[];
  /** a content type other than application/json (CSV, GeoJSON, Prometheus text, server-sent events) */
  contentType?: string | string[];
}

/** Everything about a route except its handler: what the OpenAPI document and the role matrix need. */
export interface RouteDoc {
  method: Method;
  /** express path, e.g. `/calls/:id/location` (documented as `/calls/{id}/location`); a RegExp only for non-API routes (the SPA) */
  path: string;
  /** unique per service, camelCase */
  operationId: string;
  summary: string;
  /** what it does: shapes, units (seconds, metres, UTC ISO-8601), errors, the source of any formula */
  description?: string;
  tags: string[];
  /**
   * Roles allowed besides `admin` (who may use every route). Undefined: no sign-in needed
   * (probes, metrics, the OpenAPI document, sign-in).
   */
  roles?: readonly string[];
  /** the token may also come as `?access_token=` (EventSource streams only) */
  tokenInQuery?: boolean;
  /** path parameters (validated by the handler with `parseOr400`, documented here) */
  params?: z.ZodObject;
  /** query parameters */
  query?: z.ZodType;
  /** JSON request body */
  body?: z.ZodType;
  /** the body may be omitted */
  bodyOptional?: boolean;
  /** `If-Match: "<version>"`: `required` (428 when missing) or `optional`; 412 when stale */
  ifMatch?: 'required' | 'optional';
  /** honours `Idempotency-Key` */
  idempotent?: boolean;
  /** responses by status; 400/401/403/404/412/413/415/422/428 problem responses are added from the other fields */
  responses: Record<number, ResponseSpec>;
}

/** A route: its documentation and its handler. */
export interface RouteSpec extends RouteDoc {
  /** runs after the role check; may be async (express 5 forwards rejections to the error handler) */
  handler: (req: Request, res: Response, next: NextFunction) => unknown;
}

/** Turns a route's roles into the middleware that checks them (authentication + role). */
export type Authorize = (route: RouteDoc) => RequestHandler[];

/**
 * Registers `routes` on a new router, in order: `authorize(route)` (skipped for public routes,
 * those without `roles`), then the handler.
 */
export function mountRoutes(routes: readonly RouteSpec[], authorize: Authorize): Router {
  const r = Router();
  for (const spec of routes) {
    const chain: RequestHandler[] = spec.roles ? authorize(spec) : [];
    r[spec.method](spec.path, ...chain, (req, res, next) => spec.handler(req, res, next));
  }
  return r;
}

/** `/calls/:id` → `/calls/{id}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** `METHOD /express/:path`, the form the role matrix and the router walk use. */
export function routeKey(r: Pick<RouteDoc, 'method' | 'path'>): string {
  return `${r.method.toUpperCase()} ${r.path}`;
}

/** Request query without the `access_token` some clients (EventSource) send, parsed with `schema` (400 listing every bad field). */
export function parseQuery<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  const { access_token: _t, ...q } = req.query as Record<string, unknown>;
  return parseOr400(schema, q);
}

/** RFC 9457 problem details as documented in every OpenAPI document (`#/components/schemas/Problem`). */
export const ProblemSchema = z
  .object({
    type: z.string().describe('URI of the problem type'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional().describe('400: every bad field'),
    code: z.string().optional().describe('409: why the command was rejected (a reason code the UI translates)'),
    currentVersion: z.number().int().optional().describe('412: the current stream version'),
  })
  .loose()
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' });

type JsonSchema = Record<string, unknown>;

/** JSON Schemas (draft 2020-12) of zod schemas; sub-schemas with `.meta({ id })` become `#/components/schemas/<id>`. */
class SchemaCollector {
  readonly components: Record<string, JsonSchema> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    const { $schema: _s, $defs, ...rest } = JSON.parse(JSON.stringify(out).replaceAll('"#/$defs/', '"#/components/schemas/')) as typeof out;
    for (const [id, def] of Object.entries($defs ?? {})) this.components[id] = def;
    return rest;
  }
}

/** Documentation of response headers the routes set. */
export const HEADER_DOCS: Record<string, { description: string; schema: JsonSchema }> = {
  ETag: { description: 'stream version of the aggregate, `"<version>"`; send it back in If-Match', schema: { type: 'string' } },
  Location: { description: 'URL of the created resource', schema: { type: 'string' } },
  'Idempotency-Replayed': { description: '`true` when this is the stored response of an earlier request with the same Idempotency-Key', schema: { type: 'string' } },
  'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'string' } },
  'Content-Disposition': { description: 'attachment file name of a download', schema: { type: 'string' } },
};

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
  /** descriptions of the tags the routes use */
  tags?: Record<string, string>;
}

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: PROBLEM_REF } } });

/**
 * The OpenAPI 3.1.0 document of a route table. Request schemas are the zod schemas' input side,
 * response schemas their output side (`z.toJSONSchema`, draft 2020-12 = the 3.1 dialect).
 * Standard problem responses are added per route: 400 (params, query or body), 401/403 (routes
 * with roles), 404 (routes with path parameters), 413/415 (bodies), 412/428 (If-Match), 422
 * (Idempotency-Key reuse). Routes with a RegExp path are left out (non-API: the SPA).
 */
export function buildOpenApi(routes: readonly RouteDoc[], info: OpenApiInfo): Record<string, unknown> {
  const schemas = new SchemaCollector();
  schemas.convert(ProblemSchema, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  const usedTags = new Set<string>();
  for (const r of routes) {
    if (typeof r.path !== 'string') continue;
    const parameters: unknown[] = [];
    for (const [where, obj] of [['path', r.params], ['query', r.query]] as const) {
      if (!obj) continue;
      const js = schemas.convert(obj, 'input') as { properties?: Record<string, JsonSchema>; required?: string[]; allOf?: JsonSchema[] };
      for (const [name, s] of Object.entries(js.properties ?? {})) {
        const { description, ...schema } = s as JsonSchema & { description?: string };
        const required = where === 'path' || ((js.required ?? []).includes(name) && schema.default === undefined);
        parameters.push({ name, in: where, required, schema, ...(description ? { description: String(description) } : {}) });
      }
    }
    if (r.tokenInQuery) {
      parameters.push({ name: 'access_token', in: 'query', required: false, description: 'the access token, for clients that cannot send headers (EventSource)', schema: { type: 'string' } });
    }
    if (r.ifMatch) {
      const required = r.ifMatch === 'required';
      parameters.push({
        name: 'If-Match',
        in: 'header',
        required,
        description: `${required ? 'Required' : 'Optional'}. The stream version last read, as the ETag \`"<version>"\` (or \`*\` for any version). 412 with \`currentVersion\` when the aggregate is at another version${required ? '; 428 when missing' : ''}.`,
        schema: { type: 'string', pattern: '^(\\*|(W/)?"?[0-9]+"?)$' },
      });
    }
    if (r.idempotent) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'Optional, 1–255 visible ASCII characters, unique per user. A retry with the same key and request returns the first successful response (with `Idempotency-Replayed: true`) and appends nothing; the same key with another request answers 422. Kept 24 h.',
        schema: { type: 'string', minLength: 1, maxLength: 255 },
      });
    }
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(r.responses)) {
      const types = spec.contentType === undefined ? [] : [spec.contentType].flat();
      let content: Record<string, unknown> | undefined;
      if (spec.schema) {
        const schema = schemas.convert(spec.schema, 'output');
        content = Object.fromEntries((types.length ? types : ['application/json']).map((t) => [t, { schema: t.includes('json') ? schema : { type: 'string' } }]));
      } else if (types.length) content = Object.fromEntries(types.map((t) => [t, { schema: { type: 'string' } }]));
      else if (Number(status) >= 400) content = { 'application/problem+json': { schema: PROBLEM_REF } };
      responses[status] = {
        description: spec.description,
        ...(spec.headers?.length ? { headers: Object.fromEntries(spec.headers.map((h) => [h, HEADER_DOCS[h] ?? { schema: { type: 'string' } }])) } : {}),
        ...(content ? { content } : {}),
      };
    }
    if (r.body || r.query || r.params || r.ifMatch) responses['400'] ??= problem('Invalid request: `errors` names every bad field (also malformed JSON)');
    if (r.roles) {
      responses['401'] ??= problem('No valid bearer token');
      responses['403'] ??= problem(`Role not allowed (allowed: ${[...r.roles, 'admin'].join(', ')})`);
    }
    if (r.params && Object.keys(r.params.shape).length) responses['404'] ??= problem('No such resource');
    if (r.body) {
      responses['413'] ??= problem('Body larger than the limit (64 kB)');
      responses['415'] ??= problem('Body is not application/json');
    }
    if (r.ifMatch) responses['412'] ??= problem('If-Match does not name the current version (`currentVersion` says which is)');
    if (r.ifMatch === 'required') responses['428'] ??= problem('If-Match is missing');
    if (r.idempotent) responses['422'] ??= problem('Idempotency-Key reused for a different request');
    r.tags.forEach((t) => usedTags.add(t));
    const op: Record<string, unknown> = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: r.tags,
      ...(r.roles ? { security: [{ bearerAuth: [] }], 'x-roles': [...r.roles, 'admin'] } : { security: [] }),
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: !r.bodyOptional, content: { 'application/json': { schema: schemas.convert(r.body, 'input') } } } } : {}),
      responses,
    };
    const p = openApiPath(r.path);
    paths[p] ??= {};
    if (paths[p][r.method]) throw new Error(`route ${routeKey(r)} is declared twice`);
    paths[p][r.method] = op;
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: { title: info.title, version: info.version, description: info.description, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    servers: [{ url: '/' }],
    tags: [...usedTags].map((name) => ({ name, ...(info.tags?.[name] ? { description: info.tags[name] } : {}) })),
    paths,
    components: {
      schemas: schemas.components,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'cad110 access token (HS256, issuer cad110, claims sub, role, workstation); get one with POST /auth/login on the console' } },
    },
  };
}

/** The route table of an app as {@link serveRoutes} recorded it (`app.locals.routeTable`). */
export function routeTableOf(app: Express): RouteDoc[] {
  return ((app.locals as { routeTable?: RouteDoc[] }).routeTable ?? []).slice();
}

/** The OpenAPI document an app serves (`app.locals.openapi`), undefined before {@link serveRoutes}. */
export function openApiOf(app: Express): Record<string, unknown> | undefined {
  return (app.locals as { openapi?: Record<string, unknown> }).openapi;
}

/** `GET /openapi.json`, public: the document of the route table it belongs to. */
function openApiRoute(doc: () => Record<string, unknown>): RouteSpec {
  return {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApi',
    summary: 'This OpenAPI 3.1 document',
    description: 'Generated at start-up from the route table (libs/http/src/route-table.ts). No sign-in needed.',
    tags: ['reference'],
    responses: { 200: { description: 'OpenAPI 3.1.0 document', schema: z.object({ openapi: z.literal('3.1.0') }).loose() } },
    handler: (_req, res) => {
      res.json(doc());
    },
  };
}

/**
 * Mounts a service's route table on `app` (from {@link createBaseApp}) with `GET /openapi.json`,
 * builds the OpenAPI document of the whole table (the base app's probes included) and records
 * both in `app.locals` (`routeTable`, `openapi`) for the tests and the role matrix.
 * @throws Error when two routes share a method and path
 */
export function serveRoutes(app: Express, routes: readonly RouteSpec[], opts: { authorize: Authorize; info: OpenApiInfo }): Record<string, unknown> {
  const locals = app.locals as { routeTable?: RouteDoc[]; openapi?: Record<string, unknown> };
  let doc: Record<string, unknown> = {};
  const table = [openApiRoute(() => doc), ...routes];
  const all: RouteDoc[] = [...(locals.routeTable ?? []), ...table.map(({ handler: _h, ...d }) => d)];
  doc = buildOpenApi(all, opts.info);
  app.use(mountRoutes(table, opts.authorize));
  locals.routeTable = all;
  locals.openapi = doc;
  return doc;
}

/** Throws 400 unless `v` is a UUID (path parameters). */
export const UuidParam = z.uuid().describe('UUID');

/** `{ id: UUID }` path parameters. */
export const IdParams = z.object({ id: UuidParam });

/** Parses path parameters (400 naming the bad one). */
export function parseParams<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  return parseOr400(schema, req.params);
}

interface Layer {
  route?: { path: string | RegExp; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  /** router 2: the layer matches every path (mounted at `/`) */
  slash?: boolean;
  name?: string;
}

/**
 * Every `METHOD path` an express 5 app really routes, nested routers included (registration
 * order, `_all` left out; a RegExp route as its source text). Tests compare it with the table.
 * @throws Error for a router mounted under a path prefix (the walk would lose the prefix)
 */
export function routesOf(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const l of stack) {
      if (l.route) {
        const path = typeof l.route.path === 'string' ? l.route.path : String(l.route.path);
        for (const [m, on] of Object.entries(l.route.methods)) if (on && m !== '_all') out.push(`${m.toUpperCase()} ${path}`);
      } else if (l.handle?.stack) {
        if (l.slash === false) throw new Error(`a router mounted under a path prefix (${l.name ?? 'router'}): teach routesOf its prefix`);
        walk(l.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out;
}
