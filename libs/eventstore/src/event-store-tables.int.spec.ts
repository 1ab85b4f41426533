import { join } from 'node:path';
import { Client } from 'pg';
import { tempDatabase } from '@cad110/testkit';

const SERVICES = join(__dirname, '..', '..', '..', 'services');

/** Columns, indexes and constraints of the event-store tables a database has, as text. */
async function shapeOf(url: string): Promise<{ columns: string[]; indexes: string[] }> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const tables = ['streams', 'events', 'outbox', 'processed_messages'];
    const columns = await c.query<{ d: string }>(
      `SELECT table_name || '.' || column_name || ' ' || data_type || coalesce('(' || datetime_precision || ')', '') || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS d
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ANY($1) ORDER BY table_name, ordinal_position`,
      [tables],
    );
    const indexes = await c.query<{ d: string }>(`SELECT indexdef AS d FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY indexname`, [tables]);
    return { columns: columns.rows.map((r) => r.d), indexes: indexes.rows.map((r) => r.d) };
  } finally {
    await c.end();
  }
}

describe('the event-store tables reach every service migrated alike', () => {
  it('intake, dispatch and records end with identical streams/events/outbox/processed_messages; statistics with the same processed_messages', async () => {
    const shapes: Record<string, { columns: string[]; indexes: string[] }> = {};
    for (const svc of ['intake', 'dispatch', 'records', 'statistics']) {
      const db = await tempDatabase(join(SERVICES, svc, 'prisma', 'migrations'));
      try {
        shapes[svc] = await shapeOf(db.url);
      } finally {
        await db.drop();
      }
    }
    expect(shapes.intake!.columns).toContain('streams.snapshot_version integer YES ');
    expect(shapes.intake!.columns.filter((c) => c.startsWith('events.'))).toHaveLength(10);
    expect(shapes.dispatch).toEqual(shapes.intake);
    expect(shapes.records).toEqual(shapes.intake);
    const only = (s: { columns: string[]; indexes: string[] }) => ({ columns: s.columns.filter((c) => c.startsWith('processed_messages.')), indexes: s.indexes.filter((i) => i.includes('processed_messages')) });
    expect(shapes.statistics).toEqual(only(shapes.intake!));
  });
});
