/** Writes tools/importer/mapping.schema.json from the zod schema (`npm run schema -w @cad110/importer`). */
import { writeFileSync } from 'node:fs';
import { MAPPING_SCHEMA_FILE, mappingJsonSchema } from './mapping';

writeFileSync(MAPPING_SCHEMA_FILE, `${JSON.stringify(mappingJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${MAPPING_SCHEMA_FILE}\n`);
