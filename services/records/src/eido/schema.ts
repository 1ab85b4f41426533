/**
 * The EIDO (NENA-STA-021, Emergency Incident Data Object) JSON schema as a validator.
 *
 * Source: `../shared/standards/eido/Schema/openapi.yaml` (OpenAPI 3.0.2; the EIDO types are in
 * `components.schemas`, the root type is `EmergencyIncidentDataObjectType`) and the NIEM types it
 * references in `Schema/NIEMComponents/{nc,j}.yaml`, copied unchanged from NENA911/EIDO-JSON
 * commit 7f62055d30609b4a931c797a740b4eb7e2c33dbf (see that folder's README).
 *
 * What the files need (checked by `eido-schema.unit.spec.ts`):
 * - Schema keywords used: type, properties, required, items, allOf, enum, format, minItems,
 *   title, description, example. No `nullable`, `discriminator`, `oneOf`/`anyOf`, boolean
 *   `exclusiveMinimum` or draft-04 `id`, so OpenAPI 3.0's schema dialect behaves here exactly as
 *   JSON Schema draft-07: the default `Ajv` class (draft-07) is used, with `example` registered
 *   as an annotation keyword and formats `date-time`, `uri`, `uri-reference`, `int32` from
 *   ajv-formats.
 * - One defect is repaired: `AgentType.agentRoleRegistryText.minItems` is the string `"1,"` in
 *   the published file (a typo for 1), which no JSON-schema validator accepts; it is read as 1.
 * - Cross-file `$ref`s (`NIEMComponents/nc.yaml#/...`, `NIEMComponents//j.yaml#/...`, and from
 *   there `ncic.yaml#/...`, `niem-xs.yaml#/...` ...) are resolved against the files' real paths,
 *   so nc.yaml and j.yaml are validated as published. The NIEM files the shared copy does not
 *   contain (ncic.yaml, niem-xs.yaml, ... — listed in {@link EidoSchema.unavailable}) are
 *   registered as schemas whose referenced definitions are `false`: an EIDO that uses any part
 *   of the NIEM model that cannot be checked here is rejected, never accepted unchecked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Where the EIDO standard lives: `EIDO_SCHEMA_DIR`, else `standards/eido/Schema` in the shared
 * folder (`CAD110_SHARED_DIR`, default `../shared` beside the repository).
 */
export function eidoSchemaDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EIDO_SCHEMA_DIR) return env.EIDO_SCHEMA_DIR;
  const shared = env.CAD110_SHARED_DIR ? resolve(env.CAD110_SHARED_DIR) : resolve(__dirname, '..', '..', '..', '..', '..', 'shared');
  return join(shared, 'standards', 'eido', 'Schema');
}

export interface EidoSchema {
  /** validator of `EmergencyIncidentDataObjectType` */
  validate: ValidateFunction;
  /** NIEM files referenced (transitively) but absent from the schema folder, with the definitions used */
  unavailable: Record<string, string[]>;
  /** repairs applied to the published files */
  repairs: string[];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function walk(node: Json, visit: (obj: { [k: string]: Json }) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === 'object') {
    visit(node);
    for (const v of Object.values(node)) walk(v, visit);
  }
}

/**
 * Builds the validator from the YAML files in `dir`.
 * @throws Error when openapi.yaml is missing or the schema does not compile
 */
export function loadEidoSchema(dir = eidoSchemaDir()): EidoSchema {
  const openapiPath = join(dir, 'openapi.yaml');
  if (!existsSync(openapiPath)) throw new Error(`EIDO schema not found at ${openapiPath} (set EIDO_SCHEMA_DIR)`);
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, validateFormats: true });
  addFormats(ajv, ['date-time', 'uri', 'uri-reference', 'int32']);
  // annotation keyword of OpenAPI 3.0 schemas; the document's own top-level fields are not schema keywords
  ajv.addVocabulary(['example', 'openapi', 'info', 'servers', 'paths', 'components']);

  const repairs: string[] = [];
  const unavailable: Record<string, Set<string>> = {};
  const loaded = new Map<string, Json>(); // absolute file path → document
  const queue = [resolve(openapiPath)];
  while (queue.length) {
    const file = queue.shift()!;
    if (loaded.has(file)) continue;
    const doc = parse(readFileSync(file, 'utf8')) as Json;
    walk(doc, (obj) => {
      if (obj.minItems === '1,') {
        obj.minItems = 1;
        repairs.push(`${file}: minItems "1," read as 1`);
      }
      const ref = obj.$ref;
      // `$ref` is also a *property name* of ReferenceType (an object there, not a string)
      if (typeof ref !== 'string') return;
      const [target, pointer = ''] = ref.split('#');
      if (!target) return;
      const path = resolve(dirname(file), target); // also folds `NIEMComponents//j.yaml` onto j.yaml
      obj.$ref = `${pathToFileURL(path).href}#${pointer}`;
      if (existsSync(path)) queue.push(path);
      else (unavailable[path] ??= new Set()).add(pointer.split('/').pop()!);
    });
    loaded.set(file, doc);
  }
  for (const [file, doc] of loaded) ajv.addSchema(doc as object, pathToFileURL(file).href);
  for (const [file, names] of Object.entries(unavailable)) {
    ajv.addSchema({ components: { schemas: Object.fromEntries([...names].map((n) => [n, false])) } }, pathToFileURL(file).href);
  }
  const validate = ajv.compile({ $ref: `${pathToFileURL(resolve(openapiPath)).href}#/components/schemas/EmergencyIncidentDataObjectType` });
  return {
    validate,
    unavailable: Object.fromEntries(Object.entries(unavailable).map(([f, n]) => [f.slice(dir.length + 1), [...n].sort()])),
    repairs,
  };
}

/** Validation errors as `path: message` lines. */
export function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '(root)'}: ${e.message}${e.params && 'allowedValues' in e.params ? ` ${JSON.stringify(e.params.allowedValues)}` : ''}`);
}
