/**
 * The event-store tables (`streams`, `events`, `outbox`, `processed_messages`) are defined once,
 * in `libs/eventstore/prisma/event-store.prisma`, and reach each service's Prisma schema as a
 * generated block between two marker lines:
 *
 *   // BEGIN event-store tables: streams events outbox processed_messages
 *   ... the models of those tables, copied from event-store.prisma ...
 *   // END event-store tables
 *
 * The BEGIN line names the tables the service uses (a consumer-only service has just
 * `processed_messages`). The service's migrations follow from its schema as for any other model
 * (`npm run migrate:create`), so `services/<svc>/prisma/schema.prisma` + `prisma/migrations`
 * keep the standard layout `prisma migrate deploy` reads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The canonical file. */
export const EVENT_STORE_SCHEMA = join(__dirname, '..', 'prisma', 'event-store.prisma');

/** The tables it defines, in the order they are written. */
export const EVENT_STORE_TABLES = ['streams', 'events', 'outbox', 'processed_messages'] as const;
export type EventStoreTable = (typeof EVENT_STORE_TABLES)[number];

const BEGIN = /^\/\/ BEGIN event-store tables: ([a-z_ ]+)$/m;
const END = '// END event-store tables';
const NOTE = '// Generated from libs/eventstore/prisma/event-store.prisma (`npm run schema:eventstore`): edit it there, not here.';

/**
 * The models of `event-store.prisma` by table name, each with the `///` doc comment above it.
 * @throws Error when a table of {@link EVENT_STORE_TABLES} has no model
 */
export function eventStoreModels(source = readFileSync(EVENT_STORE_SCHEMA, 'utf8')): Map<EventStoreTable, string> {
  const models = new Map<EventStoreTable, string>();
  const re = /((?:^\/\/\/.*\n)*)^model \w+ \{\n[\s\S]*?^\}$/gm;
  for (const m of source.matchAll(re)) {
    const table = /@@map\("([a-z_]+)"\)/.exec(m[0])?.[1] as EventStoreTable | undefined;
    if (table && (EVENT_STORE_TABLES as readonly string[]).includes(table)) models.set(table, m[0]);
  }
  for (const t of EVENT_STORE_TABLES) if (!models.has(t)) throw new Error(`event-store.prisma has no model mapped to ${t}`);
  return models;
}

/** The block for `tables` (markers included), in {@link EVENT_STORE_TABLES} order. */
export function eventStoreBlock(tables: readonly EventStoreTable[], models = eventStoreModels()): string {
  const chosen = EVENT_STORE_TABLES.filter((t) => tables.includes(t));
  return [`// BEGIN event-store tables: ${chosen.join(' ')}`, NOTE, '', chosen.map((t) => models.get(t)!).join('\n\n'), '', END].join('\n');
}

/**
 * A service schema with its event-store block regenerated from `event-store.prisma`.
 * @returns the schema unchanged when it has no block (the service has none of the tables)
 * @throws Error when the BEGIN line names an unknown table or the END line is missing
 */
export function spliceEventStore(schema: string, models = eventStoreModels()): string {
  const begin = BEGIN.exec(schema);
  if (!begin) return schema;
  const tables = begin[1]!.trim().split(/\s+/);
  for (const t of tables) if (!(EVENT_STORE_TABLES as readonly string[]).includes(t)) throw new Error(`unknown event-store table ${t} in ${begin[0]}`);
  const end = schema.indexOf(END, begin.index);
  if (end < 0) throw new Error(`"${END}" missing after "${begin[0]}"`);
  return schema.slice(0, begin.index) + eventStoreBlock(tables as EventStoreTable[], models) + schema.slice(end + END.length);
}

/** The event-store tables a service schema's block names ([] without a block). */
export function eventStoreTablesOf(schema: string): string[] {
  return BEGIN.exec(schema)?.[1]!.trim().split(/\s+/) ?? [];
}
