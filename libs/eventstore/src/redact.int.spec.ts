import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { callStreamId, eventRegistry, REDACTED } from '@cad110/contracts';
import { sqlOf } from '@cad110/db';
import { tempDatabase } from '@cad110/testkit';
import { appendToStream, readStream } from './event-store';
import { dropStaleSnapshots, redactPersonalFields } from './redact';

// The shared tables (streams, events, outbox, processed_messages) as intake's migrations create them.
const MIGRATIONS = join(__dirname, '..', '..', '..', 'services', 'intake', 'prisma', 'migrations');

describe('redaction of personal fields in the event store', () => {
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let client: Client;

  beforeAll(async () => {
    db = await tempDatabase(MIGRATIONS);
    client = new Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  async function appendCall(callId: string) {
    const tx = sqlOf(client);
    await appendToStream(tx, eventRegistry, {
      streamId: callStreamId(callId),
      streamType: 'call',
      expectedVersion: 0,
      source: 'intake',
      metadata: { actor: { id: 'u1', role: 'call_taker' }, correlationId: callId, causationId: null },
      publish: false,
      snapshot: { tag: 't1', state: { address: '8 Hongqi Rd' } },
      events: [
        { type: 'CallReceived', data: { callId, channel: '110', answeredAt: '2026-11-29T08:00:00.000Z', createdAt: '2026-11-29T08:00:01.000Z' } },
        { type: 'CallerRecorded', data: { callId, callerNumber: '13912345678', callerName: 'Li Si' } },
        { type: 'CallLocated', data: { callId, address: '8 Hongqi Rd', lat: 39.9, lon: 116.4, district: 'dongcheng', source: 'caller-reported' } },
        { type: 'CallNarrativeAppended', data: { callId, text: 'Li Si at 8 Hongqi Rd', sopAnswers: [{ index: 0, question: 'armed?', answer: 'a knife' }] } },
      ],
    });
  }

  it('redacts only what was recorded before the cutoff, keeps every other field, and the stream still reads', async () => {
    const old = randomUUID();
    await appendCall(old);
    const cutoff = new Date(Date.now() + 1000);
    const recent = randomUUID();
    await new Promise((r) => setTimeout(r, 1100));
    await appendCall(recent);

    const tx = sqlOf(client);
    // 2 caller fields + address + narrative text + SOP answers of the old call
    expect(await redactPersonalFields(tx, cutoff)).toBe(5);
    expect(await redactPersonalFields(tx, cutoff)).toBe(0);
    expect(await dropStaleSnapshots(tx, cutoff, ['call'])).toBe(1);

    const { events } = await readStream(tx, eventRegistry, callStreamId(old), 'intake');
    expect(events.map((e) => e.data)).toEqual([
      expect.objectContaining({ callId: old, channel: '110' }),
      { callId: old, callerNumber: REDACTED, callerName: REDACTED },
      { callId: old, address: REDACTED, lat: 39.9, lon: 116.4, district: 'dongcheng', source: 'caller-reported' },
      { callId: old, text: REDACTED },
    ]);
    const oldText = JSON.stringify((await tx.query(`SELECT e.data, s.snapshot FROM events e JOIN streams s USING (stream_id) WHERE stream_id = $1`, [callStreamId(old)])));
    expect(oldText).not.toMatch(/13912345678|Li Si|Hongqi|knife/);

    const recentRows = JSON.stringify(await tx.query(`SELECT e.data, s.snapshot FROM events e JOIN streams s USING (stream_id) WHERE stream_id = $1`, [callStreamId(recent)]));
    expect(recentRows).toMatch(/13912345678/);
    expect(recentRows).toMatch(/Hongqi/);
  });
});
