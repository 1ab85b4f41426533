/**
 * Route table + OpenAPI 3.1 generation. Every intake route is declared once as a
 * {@link RouteSpec}: the same zod schemas validate the request in the handler and become the
 * JSON Schemas (draft 2020-12, the dialect of OpenAPI 3.1) of the document via zod 4's
 * `z.toJSONSchema`. Express routes are registered from the same table ({@link mountRoutes}),
 * so a route cannot exist without its documentation.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { requireRole, type Role } from '@cad110/auth';

export type Method = 'get' | 'post';

export interface ResponseSpec {
  description: string;
  /** JSON body schema (application/json) */
  schema?: z.ZodType;
  /** response headers set, e.g. ETag, Location */
  headers?: string[];
  /** non-JSON content type (e.g. Prometheus text) */
  contentType?: string;
}

export interface RouteDoc {
  method: Method;
  /** express path, e.g. `/calls/:id/location` (documented as `/calls/{id}/location`) */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** roles allowed (admin always); undefined = no sign-in needed */
  roles?: Role[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** body may be omitted (e.g. hand-over) */
  bodyOptional?: boolean;
  /** `If-Match: "<version>"` required (412 on mismatch, 428 when missing) */
  ifMatch?: boolean;
  /** honours `Idempotency-Key` */
  idempotent?: boolean;
  responses: Record<number, ResponseSpec>;
}

export interface RouteSpec extends RouteDoc {
  handler: (req: Request, res: Response) => Promise<void> | void;
}

/** Registers the routes on a new router: `requireRole(...)` (when roles are set) then the handler. */
export function mountRoutes(routes: readonly RouteSpec[]): Router {
  const r = Router();
  for (const spec of routes) {
    const chain: RequestHandler[] = [];
    if (spec.roles) chain.push(requireRole(...spec.roles));
    chain.push(async (req, res) => spec.handler(req, res));
    r[spec.method](spec.path, ...chain);
  }
  return r;
}

/** `/calls/:id` → `/calls/{id}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

type JsonSchema = Record<string, unknown>;

/**
 * JSON Schema (draft 2020-12) of a zod schema; sub-schemas with `.meta({ id })` become
 * `#/components/schemas/<id>` references.
 */
class SchemaCollector {
  readonly components: Record<string, JsonSchema> = {};

  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    const { $schema: _s, $defs, ...rest } = JSON.parse(JSON.stringify(out).replaceAll('"#/$defs/', '"#/components/schemas/')) as typeof out;
    for (const [id, def] of Object.entries($defs ?? {})) this.components[id] = def;
    return rest;
  }
}

const PROBLEM = { $ref: '#/components/schemas/Problem' };
const HEADER_DOCS: Record<string, { description: string; schema: JsonSchema }> = {
  ETag: { description: 'stream version of the call, `"<version>"`; send it back in If-Match', schema: { type: 'string' } },
  Location: { description: 'URL of the created call', schema: { type: 'string' } },
  'Idempotency-Replayed': { description: '`true` when this is the stored response of an earlier request with the same Idempotency-Key', schema: { type: 'string' } },
};

/**
 * Builds the OpenAPI 3.1.0 document of the routes.
 * Adds the standard problem responses per route: 401/403 (signed-in routes), 400/415 (bodies),
 * 404 (`{id}` routes), 412/428 (If-Match), 422 (Idempotency-Key reuse).
 */
export function buildOpenApi(routes: readonly RouteDoc[], info: { title: string; version: string; description: string }, problemSchema: z.ZodType): Record<string, unknown> {
  const schemas = new SchemaCollector();
  schemas.convert(problemSchema, 'output'); // registers components.schemas.Problem (its meta id)
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const [where, obj] of [['path', r.params], ['query', r.query]] as const) {
      if (!obj) continue;
      const js = schemas.convert(obj, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
      for (const [name, s] of Object.entries(js.properties ?? {})) {
        const { description, ...schema } = s as JsonSchema & { description?: string };
        parameters.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema, ...(description ? { description: String(description) } : {}) });
      }
    }
    if (r.ifMatch) {
      parameters.push({
        name: 'If-Match',
        in: 'header',
        required: true,
        description: 'Required. The stream version last read, as the ETag `"<version>"` (or `*` for any version). 412 when the call is at another version; 428 when missing.',
        schema: { type: 'string', pattern: '^(\\*|(W/)?"[0-9]+")$' },
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
      responses[status] = {
        description: spec.description,
        ...(spec.headers?.length ? { headers: Object.fromEntries(spec.headers.map((h) => [h, HEADER_DOCS[h] ?? { schema: { type: 'string' } }])) } : {}),
        ...(spec.schema
          ? { content: { [spec.contentType ?? 'application/json']: { schema: schemas.convert(spec.schema, 'output') } } }
          : spec.contentType
            ? { content: { [spec.contentType]: { schema: { type: 'string' } } } }
            : Number(status) >= 400
              ? { content: { 'application/problem+json': { schema: PROBLEM } } }
              : {}),
      };
    }
    const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: PROBLEM } } });
    if (r.body || r.query || r.params) responses['400'] ??= problem('Invalid request: `errors` names every bad field (also malformed JSON)');
    if (r.roles) {
      responses['401'] ??= problem('No valid bearer token');
      responses['403'] ??= problem(`Role not allowed (allowed: ${[...r.roles, 'admin'].join(', ')})`);
    }
    if (r.params?.shape.id) responses['404'] ??= problem('No such call');
    if (r.body) {
      responses['413'] ??= problem('Body larger than 64 kB');
      responses['415'] ??= problem('Body is not application/json');
    }
    if (r.ifMatch) {
      responses['412'] ??= problem('If-Match does not name the current version (`currentVersion` says which is), or another update won the race');
      responses['428'] ??= problem('If-Match is missing');
    }
    if (r.idempotent) responses['422'] ??= problem('Idempotency-Key reused for a different request');
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
    paths[p][r.method] = op;
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    info: { ...info, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    servers: [{ url: '/' }],
    tags: [
      { name: 'calls', description: '接警: the call aggregate and its commands' },
      { name: 'duplicates', description: 'Duplicate-call detection' },
      { name: 'reference', description: 'Taxonomy and API description' },
      { name: 'operations', description: 'Health, readiness and metrics' },
    ],
    paths,
    components: {
      schemas: schemas.components,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'cad110 access token (HS256, issuer cad110, claims sub, role, workstation)' } },
    },
  };
}
