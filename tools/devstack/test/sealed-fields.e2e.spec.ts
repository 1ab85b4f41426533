/**
 * Sealed personal fields on the wire (issue 19 item 6, README "Personal data"), through the
 * running services (intake → dispatch → records, statistics; real broker and PostgreSQL).
 *
 * One call with a caller name, an address and a narrative carrying a token unique to this run,
 * handed to dispatch; the dispatcher adds a note. Then:
 * - no raw message value on the calls, dispatch or cases topic contains any of those strings (nor
 *   the case narrative and disposition note records publishes), and those event types carry
 *   `sealed:v1:` values;
 * - statistics' database (every row of every table, as text) has no trace of them (nor of a sealed value);
 * - dispatch's and records' APIs still show the clear address, narrative and note (the desks work);
 * - a message sealed with a key the stack does not hold is dead-lettered by dispatch and records
 *   with the reason (never lost silently), and statistics (no key) ignores the sealed fields.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { Pool } from 'pg';
import { topicName } from '@cad110/contracts';
import { generateKeyringEntry, kafkaBrokers, parseKeyring, sealMessageValue } from '@cad110/kafka';
import { uniqueId, waitFor } from '@cad110/testkit';
import { readTopicValues, Stack } from '../src';

jest.setTimeout(300_000);

describe('personal fields are sealed on Kafka; only intake, dispatch and records read them', () => {
  let stack: Stack;
  let taker: string;
  let dispatcher: string;
  let analyst: string;
  let statsDb: Pool;
  const prefix = `${uniqueId('e2sf')}.`;
  const token = uniqueId('sf');
  const personal = {
    name: `Caller${token}`,
    address: `7 ${token} Lindenstrasse`,
    narrative: `the caller ${token}n says a man is shouting at the door`,
    note: `dispatcher ${token}x called back the neighbour`,
    caseNarrative: `officer ${token}c spoke to both neighbours`,
    dispositionNote: `mediated by ${token}d on the doorstep`,
  };
  const kafka = new Kafka({ clientId: 'sealed-fields-e2e', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });

  async function http<T>(method: string, url: string, auth: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(url, { method, headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json', ...headers }, ...(body ? { body: JSON.stringify(body) } : {}) });
    if (!res.ok) throw new Error(`${method} ${url} → ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** Every message value of the topics (each partition from its low to its high offset), as text. */
  async function messagesOf(topics: string[]): Promise<string[]> {
    return readTopicValues(kafka, topics, { groupPrefix: `${prefix}sf-read-` });
  }

  /** Every row of every table of statistics' database, as text. */
  async function statisticsRows(): Promise<string> {
    const tables = await statsDb.query<{ t: string }>(`SELECT quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
    const out: string[] = [];
    for (const { t } of tables.rows) for (const r of (await statsDb.query<{ row: string }>(`SELECT x::text AS row FROM ${t} x`)).rows) out.push(r.row);
    return out.join('\n');
  }

  let callId: string;
  let incidentId: string;
  let caseId: string;

  beforeAll(async () => {
    stack = new Stack({ brokers: kafkaBrokers().join(','), topicPrefix: prefix, dbPrefix: uniqueId('cad110e2sf_'), fresh: true, timeZone: 'Asia/Shanghai', env: { LOG_LEVEL: 'warn' } });
    await stack.start();
    statsDb = new Pool({ connectionString: stack.databaseUrl('statistics'), max: 2 });
    taker = stack.token('call_taker', 'taker-sf');
    dispatcher = stack.token('dispatcher', 'dispatcher-sf');
    analyst = stack.token('analyst', 'analyst-sf');
    ({ callId } = await http<{ callId: string }>(
      'POST',
      `${stack.url('intake')}/calls`,
      taker,
      {
        channel: '110',
        caller: { number: '13912345678', name: personal.name },
        location: { address: personal.address, lat: 39.91, lon: 116.41, district: 'dongcheng' },
        classification: { subtype: 'disturbance' },
        narrative: personal.narrative,
        handToDispatch: true,
      },
      { 'idempotency-key': randomUUID() },
    ));
    const incident = await waitFor(async () => (await http<{ items: { id: string; address: string | null }[] }>('GET', `${stack.url('dispatch')}/incidents?callId=${callId}`, dispatcher)).items[0], {
      timeoutMs: 40_000,
      message: 'dispatch opened the incident',
    });
    incidentId = incident!.id;
    await http('POST', `${stack.url('dispatch')}/incidents/${incidentId}/notes`, dispatcher, { text: personal.note });
    // settled: records has the note on the case's timeline, statistics counted the call
    await waitFor(
      async () => {
        const cases = await http<{ items: { id: string; callId: string }[] }>('GET', `${stack.url('records')}/cases?limit=50`, analyst);
        const c = cases.items.find((x) => x.callId === callId);
        return !!c && JSON.stringify(await http('GET', `${stack.url('records')}/cases/${c.id}/timeline`, analyst)).includes(personal.note);
      },
      { timeoutMs: 40_000, message: 'records has the dispatcher note' },
    );
    // the case file's free text (published on cases.v1, which statistics reads)
    const cases = await http<{ items: { id: string; callId: string }[] }>('GET', `${stack.url('records')}/cases?limit=50`, analyst);
    caseId = cases.items.find((x) => x.callId === callId)!.id;
    await http('POST', `${stack.url('records')}/cases/${caseId}/narratives`, dispatcher, { text: personal.caseNarrative });
    await http('POST', `${stack.url('records')}/cases/${caseId}/disposition`, dispatcher, { codes: ['dispute-mediated'], note: personal.dispositionNote });
    const recordsDb = new Pool({ connectionString: stack.databaseUrl('records'), max: 1 });
    const written = (
      await recordsDb.query<{ id: string }>(`SELECT event_id::text AS id FROM events WHERE stream_id = $1 AND type IN ('CaseNarrativeAdded', 'DispositionRecorded')`, [`case-${caseId}`]).finally(() => recordsDb.end())
    ).rows.map((r) => r.id);
    expect(written).toHaveLength(2);
    await waitFor(async () => (await statsDb.query('SELECT 1 FROM processed_messages WHERE event_id = ANY($1::uuid[])', [written])).rowCount === 2, { timeoutMs: 40_000, message: 'statistics consumed the case events' });
  });

  afterAll(async () => {
    await statsDb?.end();
    await stack?.stop();
    await stack?.dropDatabases();
  });

  it('no clear personal value or case file text in any message of the calls, dispatch and cases topics; those event types carry sealed values', async () => {
    const values = await messagesOf([topicName('calls', prefix), topicName('dispatch', prefix), topicName('cases', prefix)]);
    const types = values.map((v) => (JSON.parse(v) as { type: string }).type);
    expect(types).toEqual(expect.arrayContaining(['CallerRecorded', 'CallLocated', 'CallNarrativeAppended', 'CallHandedToDispatch', 'IncidentOpened', 'IncidentNoteAdded', 'CaseNarrativeAdded', 'DispositionRecorded']));
    for (const [name, v] of Object.entries(personal)) expect({ name, found: values.filter((m) => m.includes(v) || m.includes(token)).length }).toEqual({ name, found: 0 });
    for (const v of values) {
      const env = JSON.parse(v) as { type: string; data: Record<string, unknown> & { location?: { address?: unknown; district?: unknown } } };
      if (env.type === 'CallLocated') expect(env.data.address).toMatch(/^sealed:v1:stack1:/);
      if (env.type === 'CallNarrativeAppended') expect(env.data.text).toMatch(/^sealed:v1:stack1:/);
      if (env.type === 'CallHandedToDispatch' || env.type === 'IncidentOpened') expect(env.data.location).toMatchObject({ address: expect.stringMatching(/^sealed:v1:stack1:/), district: 'dongcheng' });
      if (env.type === 'IncidentNoteAdded' || env.type === 'CaseNarrativeAdded') expect(env.data.text).toMatch(/^sealed:v1:stack1:/);
      if (env.type === 'DispositionRecorded') expect(env.data).toMatchObject({ codes: ['dispute-mediated'], note: expect.stringMatching(/^sealed:v1:stack1:/) });
    }
  });

  it("statistics' database has no trace of the personal values, clear or sealed", async () => {
    const rows = await statisticsRows();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.includes(token)).toBe(false);
    expect(rows.includes('sealed:v1:')).toBe(false);
  });

  it("dispatch's and records' APIs show the clear address, narrative and note", async () => {
    const incident = await http<{ address: string | null; narrative?: { text: string }[] }>('GET', `${stack.url('dispatch')}/incidents/${incidentId}`, dispatcher);
    expect(incident.address).toBe(personal.address);
    expect(JSON.stringify(incident)).toContain(personal.note);
    const timeline = JSON.stringify(await http('GET', `${stack.url('records')}/cases/${caseId}/timeline`, analyst));
    for (const v of [personal.address, personal.narrative, personal.note, personal.caseNarrative, personal.dispositionNote]) expect(timeline).toContain(v);
    expect(timeline).not.toContain('sealed:v1:');
  });

  it('a message sealed with a key the stack does not hold is dead-lettered by dispatch and records with the reason', async () => {
    const foreign = parseKeyring(generateKeyringEntry('stack1'));
    const forgedCall = randomUUID();
    // a type both dispatch and records act on (dispatch neither opens nor validates the call
    // events it does not act on: it leaves a bad one of those to the consumers that do)
    const at = new Date().toISOString();
    const envelope = {
      eventId: randomUUID(),
      type: 'CallHandedToDispatch',
      schemaVersion: 1,
      streamId: `call-${forgedCall}`,
      streamVersion: 2,
      occurredAt: at,
      recordedAt: at,
      source: 'intake',
      metadata: { actor: { id: 'e2e' }, correlationId: forgedCall, causationId: null },
      data: { callId: forgedCall, handedAt: at, answeredAt: at, kind: 'report', category: 'criminal', subtype: 'snatching', priority: 2, flags: [], location: { address: `9 ${token} Forged Road`, district: 'dongcheng' } },
    };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: topicName('calls', prefix), acks: -1, messages: [{ key: forgedCall, value: sealMessageValue(JSON.stringify(envelope), foreign) }] });
    await producer.disconnect();
    const letters = await waitFor(
      async () => {
        const found = (await messagesOf([topicName('deadLetter', prefix)])).map((v) => JSON.parse(v) as { reason: string; consumer: string; original: { key: string } }).filter((d) => d.original.key === forgedCall);
        return found.length >= 2 ? found : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 1000, message: 'dispatch and records dead-lettered the forged message' },
    );
    for (const d of letters!) expect({ consumer: d.consumer, reason: d.reason }).toEqual({ consumer: d.consumer, reason: 'personal data does not open: CallHandedToDispatch.location.address: authentication failed (wrong key stack1 or altered value)' });
    // statistics (no key) never opens: it applied the event with the address as [redacted], no dead letter
    await waitFor(async () => (await statsDb.query('SELECT 1 FROM processed_messages WHERE event_id = $1::uuid', [envelope.eventId])).rowCount === 1, { timeoutMs: 40_000, message: 'statistics applied the forged event' });
    const all = (await messagesOf([topicName('deadLetter', prefix)])).map((v) => JSON.parse(v) as { consumer: string; original: { key: string } }).filter((d) => d.original.key === forgedCall);
    expect(all.map((d) => d.consumer).sort()).toEqual(['dispatch.calls', 'records.calls+dispatch']);
  });
});
