import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { callStreamId, eventRegistry, ContractError } from '@cad110/contracts';
import { tempDatabase } from '@cad110/testkit';
import { appendToStream, ConcurrencyError, markProcessed, readStream } from './event-store';
import { sqlOf, type Sql } from '@cad110/db';

// The shared tables (streams, events, outbox, processed_messages) as intake's migrations create them.
const MIGRATIONS = join(__dirname, '..', '..', '..', 'services', 'intake', 'prisma', 'migrations');

async function inTx<T>(client: Client, fn: (tx: Sql) => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const r = await fn(sqlOf(client));
    await client.query('COMMIT');
    return r;
  } catch (e) {
    await client.query('ROLLBACK');
    throw e;
  }
}

const meta = (callId: string) => ({ actor: { id: 'u1', role: 'call_taker' }, workstation: 'ws-7', correlationId: callId, causationId: null });
const received = (callId: string) => ({ type: 'CallReceived', data: { callId, channel: '110', answeredAt: '2026-11-29T08:00:00.000Z', createdAt: '2026-11-29T08:00:01.000Z' } });

describe('event store on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let a: Client;
  let b: Client;

  beforeAll(async () => {
    db = await tempDatabase(MIGRATIONS);
    a = new Client({ connectionString: db.url });
    b = new Client({ connectionString: db.url });
    await Promise.all([a.connect(), b.connect()]);
  });
  afterAll(async () => {
    await Promise.all([a?.end(), b?.end()]);
    await db?.drop();
  });

  it('appends with an expected version, writes one outbox row per event, and reads back in order', async () => {
    const callId = randomUUID();
    const streamId = callStreamId(callId);
    const stored = await inTx(a, (tx) =>
      appendToStream(tx, eventRegistry, { streamId, streamType: 'call', expectedVersion: 0, source: 'intake', partitionKey: callId, metadata: meta(callId), events: [received(callId), { type: 'CallNarrativeAppended', data: { callId, text: 'two men, one with a knife' } }] }),
    );
    expect(stored.map((e) => [e.type, e.streamVersion])).toEqual([['CallReceived', 1], ['CallNarrativeAppended', 2]]);
    const outbox = await a.query('SELECT topic, key, payload FROM outbox WHERE key = $1 ORDER BY id', [callId]);
    expect(outbox.rows.map((r) => r.topic)).toEqual(['cad110.calls.v1', 'cad110.calls.v1']);
    expect(JSON.parse(outbox.rows[1].payload)).toMatchObject({ type: 'CallNarrativeAppended', streamVersion: 2, metadata: { workstation: 'ws-7' } });
    const read = await inTx(a, (tx) => readStream(tx, eventRegistry, streamId, 'intake'));
    expect(read.version).toBe(2);
    expect(read.events.map((e) => e.eventId)).toEqual(stored.map((e) => e.eventId));
  });

  it('lets exactly one of two concurrent appends with the same expected version win', async () => {
    const callId = randomUUID();
    const streamId = callStreamId(callId);
    await inTx(a, (tx) => appendToStream(tx, eventRegistry, { streamId, streamType: 'call', expectedVersion: 0, source: 'intake', metadata: meta(callId), events: [received(callId)] }));
    const append = (c: Client, text: string) =>
      inTx(c, (tx) => appendToStream(tx, eventRegistry, { streamId, streamType: 'call', expectedVersion: 1, source: 'intake', metadata: meta(callId), events: [{ type: 'CallNarrativeAppended', data: { callId, text } }] }));
    const results = await Promise.allSettled([append(a, 'first'), append(b, 'second')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ConcurrencyError);
    const { rows } = await a.query('SELECT count(*)::int AS n FROM events WHERE stream_id = $1', [streamId]);
    expect(rows[0].n).toBe(2);
  });

  it('refuses an expected version ahead of the stream (no gaps)', async () => {
    const callId = randomUUID();
    await expect(
      inTx(a, (tx) => appendToStream(tx, eventRegistry, { streamId: callStreamId(callId), streamType: 'call', expectedVersion: 3, source: 'intake', metadata: meta(callId), events: [received(callId)] })),
    ).rejects.toBeInstanceOf(ConcurrencyError);
  });

  it('validates event data before writing and writes nothing when it is invalid', async () => {
    const callId = randomUUID();
    await expect(
      inTx(a, (tx) => appendToStream(tx, eventRegistry, { streamId: callStreamId(callId), streamType: 'call', expectedVersion: 0, source: 'intake', metadata: meta(callId), events: [{ type: 'CallReceived', data: { callId, channel: 'pigeon' } }] })),
    ).rejects.toBeInstanceOf(ContractError);
    const { rows } = await a.query('SELECT count(*)::int AS n FROM streams WHERE stream_id = $1', [callStreamId(callId)]);
    expect(rows[0].n).toBe(0);
  });

  it('publishes personal data redacted but stores it in full', async () => {
    const callId = randomUUID();
    const streamId = callStreamId(callId);
    await inTx(a, (tx) =>
      appendToStream(tx, eventRegistry, { streamId, streamType: 'call', expectedVersion: 0, source: 'intake', partitionKey: callId, metadata: meta(callId), events: [received(callId), { type: 'CallerRecorded', data: { callId, callerNumber: '13812341234', callerName: 'Li Si' } }] }),
    );
    const { rows } = await a.query(`SELECT payload FROM outbox WHERE key = $1 AND payload LIKE '%CallerRecorded%'`, [callId]);
    expect(rows[0].payload).not.toContain('13812341234');
    expect(rows[0].payload).not.toContain('Li Si');
    expect(JSON.parse(rows[0].payload).data.callerNumberMasked).toBe('138****1234');
    const stored = await a.query(`SELECT data FROM events WHERE stream_id = $1 AND type = 'CallerRecorded'`, [streamId]);
    expect(stored.rows[0].data.callerNumber).toBe('13812341234');
  });

  it('markProcessed returns false for a message already applied', async () => {
    const eventId = randomUUID();
    const where = { topic: 't', partition: 0, offset: '42' };
    expect(await inTx(a, (tx) => markProcessed(tx, 'c1', eventId, where))).toBe(true);
    expect(await inTx(a, (tx) => markProcessed(tx, 'c1', eventId, where))).toBe(false);
    expect(await inTx(a, (tx) => markProcessed(tx, 'c2', eventId, where))).toBe(true);
  });
});
