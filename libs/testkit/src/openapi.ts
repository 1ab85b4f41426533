import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** What {@link validateOpenApi} found. */
export interface OpenApiValidation {
  valid: boolean;
  /** the OpenAPI version the validator recognised, e.g. `3.1` */
  version: string;
  errors: unknown;
}

/**
 * Validates an OpenAPI document against the official OpenAPI 3.0/3.1 JSON Schemas (strict) with
 * @seriousme/openapi-schema-validator, in a child process (the package is ESM-only; jest runs
 * CommonJS).
 */
export function validateOpenApi(doc: unknown): OpenApiValidation {
  const out = execFileSync(process.execPath, [join(__dirname, 'validate-openapi.mjs')], { input: JSON.stringify(doc), encoding: 'utf8' });
  return JSON.parse(out) as OpenApiValidation;
}

/** `METHOD /path/{param}` of every operation of an OpenAPI document, sorted. */
export function openApiOperations(doc: { paths?: Record<string, Record<string, unknown>> }): string[] {
  return Object.entries(doc.paths ?? {})
    .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
    .sort();
}

/** A response schema as a route table holds it (a zod schema; only `parse` is used here). */
interface ParsingSchema {
  parse(value: unknown): unknown;
}

/** A route table's entries as far as the shape checks need them (libs/http `RouteDoc`). */
export type DocumentedRoutes = readonly { method: string; path: unknown; responses: Record<number, { schema?: ParsingSchema }> }[];

/**
 * The response schema a route table documents for `route` (`METHOD /express/:path`) and
 * `status`; undefined when the route documents none for it (CSV, streams, no body).
 * @throws Error when the table has no such route
 */
export function responseSchemaOf(table: DocumentedRoutes, route: string, status = 200): ParsingSchema | undefined {
  const r = table.find((x) => `${x.method.toUpperCase()} ${String(x.path)}` === route);
  if (!r) throw new Error(`no route ${route} in the route table`);
  return r.responses[status]?.schema;
}

/**
 * Why `body` is not exactly the shape the route documents for `status`, or undefined when it is
 * (or when the route documents no schema for it). Exactly: it parses with the response schema and
 * parsing drops nothing (zod objects strip unknown keys, so a raw database row with columns the
 * DTO does not list fails here; a Date or a BigInt fails the parse).
 */
export function documentedShapeError(table: DocumentedRoutes, route: string, status: number, body: unknown): string | undefined {
  const schema = responseSchemaOf(table, route, status);
  if (!schema) return undefined;
  let parsed: unknown;
  try {
    parsed = schema.parse(body);
  } catch (err) {
    return `${route} ${status}: the body does not parse with its documented schema: ${String(err).slice(0, 600)}`;
  }
  if (JSON.stringify(sortKeys(parsed)) !== JSON.stringify(sortKeys(body))) {
    return `${route} ${status}: the body has fields its documented schema does not list\n  body:   ${JSON.stringify(body).slice(0, 400)}\n  schema: ${JSON.stringify(parsed).slice(0, 400)}`;
  }
  return undefined;
}

/**
 * Throws unless `body` is exactly the shape `route` of `app`'s route table (`app.locals.routeTable`,
 * libs/http `serveRoutes`) documents for `status` ({@link documentedShapeError}).
 * @throws Error when the route documents no schema for `status`
 */
export function expectDocumentedShape(app: { locals: object }, route: string, body: unknown, status = 200): void {
  const table = (app.locals as { routeTable?: DocumentedRoutes }).routeTable ?? [];
  if (!responseSchemaOf(table, route, status)) throw new Error(`route ${route} documents no schema for ${status}`);
  const error = documentedShapeError(table, route, status, body);
  if (error) throw new Error(error);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}
