// Validates an OpenAPI document read from stdin with @seriousme/openapi-schema-validator (the
// official OpenAPI 3.0/3.1 JSON Schemas, strict). Run as a child process because the package is
// ESM-only and jest (CommonJS) on Node 20 cannot require it. Prints {valid, version, errors}.
import { Validator } from '@seriousme/openapi-schema-validator';

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const validator = new Validator();
const result = await validator.validate(JSON.parse(Buffer.concat(chunks).toString('utf8')));
process.stdout.write(JSON.stringify({ valid: result.valid, version: validator.version, errors: result.errors ?? null }));
