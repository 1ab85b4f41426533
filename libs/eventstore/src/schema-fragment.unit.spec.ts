import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventStoreBlock, eventStoreModels, eventStoreTablesOf, spliceEventStore } from './schema-fragment';

const SERVICES = join(__dirname, '..', '..', '..', 'services');
const schemaOf = (svc: string) => readFileSync(join(SERVICES, svc, 'prisma', 'schema.prisma'), 'utf8');

describe('event-store tables defined once (libs/eventstore/prisma/event-store.prisma)', () => {
  it.each([
    ['intake', ['streams', 'events', 'outbox', 'processed_messages']],
    ['dispatch', ['streams', 'events', 'outbox', 'processed_messages']],
    ['records', ['streams', 'events', 'outbox', 'processed_messages']],
    ['statistics', ['processed_messages']],
    ['console', []],
  ])('%s: its schema.prisma holds exactly the generated block for %j (run npm run schema:eventstore)', (svc, tables) => {
    const schema = schemaOf(svc);
    expect(eventStoreTablesOf(schema)).toEqual(tables);
    expect(spliceEventStore(schema)).toBe(schema);
  });

  it('defines no event-store model outside the block', () => {
    for (const svc of ['intake', 'dispatch', 'records', 'statistics', 'console']) {
      const outside = schemaOf(svc).replace(/\/\/ BEGIN event-store tables[\s\S]*?\/\/ END event-store tables/, '');
      expect(outside).not.toMatch(/@@map\("(streams|events|outbox|processed_messages)"\)/);
    }
  });

  it('notices a hand edit of a copy and puts the canonical models back', () => {
    const schema = schemaOf('intake');
    const edited = schema.replace('  payload   String\n', '  payload   String\n  extra     Int?\n');
    expect(edited).not.toBe(schema);
    expect(spliceEventStore(edited)).toBe(schema);
  });

  it('writes the models in table order with their doc comments, and refuses unknown tables', () => {
    const block = eventStoreBlock(['processed_messages', 'streams']);
    expect(block.indexOf('@@map("streams")')).toBeLessThan(block.indexOf('@@map("processed_messages")'));
    expect(block).toContain('/// Messages this service');
    expect(block).not.toContain('@@map("events")');
    expect([...eventStoreModels().keys()]).toEqual(['streams', 'events', 'outbox', 'processed_messages']);
    expect(() => spliceEventStore('// BEGIN event-store tables: streams calls\n// END event-store tables')).toThrow(/unknown event-store table calls/);
  });
});
