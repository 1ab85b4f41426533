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
