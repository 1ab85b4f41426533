/**
 * Copies the event-store models of libs/eventstore/prisma/event-store.prisma into the marked
 * block of each service's prisma/schema.prisma (see schema-fragment.ts):
 *   npm run schema:eventstore            rewrite the blocks that differ
 *   npm run schema:eventstore -- --check exit 1 naming the services whose block differs
 * After a change, `npm run migrate:create -w @cad110/<svc> -- --name <what>` per service.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spliceEventStore } from './schema-fragment';

const SERVICES = join(__dirname, '..', '..', '..', 'services');
const check = process.argv.includes('--check');
const differing: string[] = [];
for (const svc of readdirSync(SERVICES).sort()) {
  const file = join(SERVICES, svc, 'prisma', 'schema.prisma');
  if (!existsSync(file)) continue;
  const before = readFileSync(file, 'utf8');
  const after = spliceEventStore(before);
  if (after === before) continue;
  differing.push(svc);
  if (!check) writeFileSync(file, after);
}
if (check && differing.length) {
  console.error(`event-store tables differ from libs/eventstore/prisma/event-store.prisma in: ${differing.join(', ')} (run npm run schema:eventstore)`);
  process.exit(1);
}
console.log(differing.length ? `rewrote the event-store block of: ${differing.join(', ')}` : 'every service schema has the event-store tables of libs/eventstore');
