import request from 'supertest';
import type { Express } from 'express';
import { parse } from 'csv-parse/sync';
import { trace } from '@opentelemetry/api';
import { Kafka, logLevel } from 'kafkajs';
import { bearer, uniqueId, waitFor, itWithShared } from '@cad110/testkit';
import { dropDatabase } from '@cad110/db';
import { kafkaBrokers } from '@cad110/kafka';
import { topicName } from '@cad110/contracts';
import { createRuntime } from '@cad110/runtime';
import { createServer, type RecordsRuntime } from '../src/server';
import type { Case } from '../src/generated/prisma/client';
import { CaseService } from '../src/cases/case-service';
import { buildEido } from '../src/eido/export';
import { loadEidoSchema, describeErrors } from '../src/eido/schema';
import { loadTaxonomy } from '@cad110/contracts';
import { timelineOf } from '../src/cases/routes';
import { openIncident, startRecords, stopRecords } from './helpers';

jest.setTimeout(120_000);
process.env.LOG_LEVEL ??= 'warn';
const TZ = 'Asia/Shanghai';

/** Records' case API on the real PostgreSQL (and Kafka for what it publishes). */
describe('records case API', () => {
  let app: Express;
  let rt: RecordsRuntime;
  const dispatcher = bearer('dispatcher', 'officer-7');
  const supervisor = bearer('supervisor', 'sup-1');
  const analyst = bearer('analyst');

  beforeAll(async () => {
    ({ rt, app } = await startRecords(TZ));
  });

  afterAll(async () => {
    await stopRecords(rt);
  });

  it('runs narrative → party → disposition → close → reopen with ETags, the actor in the metadata and the read model updated', async () => {
    const { case: c } = await openIncident(rt, TZ, { at: '2026-03-01T02:00:00.000Z', district: 'south' });
    expect(c).toMatchObject({ status: 'open', version: 1, caseNumber: expect.stringMatching(/^JY-2026-\d{6}$/) });
    const n = await request(app).post(`/cases/${c.id}/narratives`).set('authorization', dispatcher).set('x-workstation', 'ws-12').set('if-match', '"1"').send({ text: 'mediated at the scene' }).expect(201);
    expect(n.headers.etag).toBe('"2"');
    expect(n.body).toEqual({ caseId: c.id, version: 2, events: ['CaseNarrativeAdded'] });
    const p = await request(app).post(`/cases/${c.id}/parties`).set('authorization', dispatcher).send({ role: 'victim', name: 'Zhang San', phone: '13800001111', idNumber: '330781199001011234', address: '8 Hongqi Rd' }).expect(201);
    expect(p.body.partyId).toMatch(/^[0-9a-f-]{36}$/);
    const d = await request(app)
      .post(`/cases/${c.id}/disposition`)
      .set('authorization', dispatcher)
      .send({ codes: ['dispute-mediated', 'suspects-caught'], suspectsCaught: 1, at: '2026-03-01T03:00:00.000Z', note: 'both signed the agreement' })
      .expect(200);
    expect(d.headers.etag).toBe('"4"');
    await request(app).post(`/cases/${c.id}/close`).set('authorization', dispatcher).send({ at: '2026-03-01T03:10:00.000Z' }).expect(200);
    const row = (await rt.db.select<Case>('SELECT * FROM cases WHERE id = $1::uuid', [c.id]))[0]!;
    expect(row).toMatchObject({ status: 'closed', dispositionCodes: ['dispute-mediated', 'suspects-caught'], suspectsCaught: 1, dispositionRevision: 1, version: 5 });
    expect(row.closedAt?.toISOString()).toBe('2026-03-01T03:10:00.000Z');
    await request(app).post(`/cases/${c.id}/reopen`).set('authorization', dispatcher).send({ reason: 'new evidence' }).expect(403);
    await request(app).post(`/cases/${c.id}/reopen`).set('authorization', supervisor).send({ reason: 'new evidence' }).expect(200);
    const got = await request(app).get(`/cases/${c.id}`).set('authorization', analyst).expect(200);
    expect(got.headers.etag).toBe('"6"');
    expect(got.body).toMatchObject({ status: 'open', reopenCount: 1, closedAt: null, narratives: [{ text: 'mediated at the scene', author: 'officer-7' }], dispositions: [{ by: 'officer-7', revision: 1 }] });
    const service = new CaseService({ transaction: rt.db.transaction, registry: rt.registry, logger: rt.logger, published: () => undefined });
    const { events } = (await service.load(c.id))!;
    expect(events.map((e) => e.type)).toEqual(['CaseOpened', 'CaseNarrativeAdded', 'PartyAdded', 'DispositionRecorded', 'CaseClosed', 'CaseReopened']);
    expect(events[1]!.metadata).toMatchObject({ actor: { id: 'officer-7', role: 'dispatcher' }, workstation: 'ws-12', correlationId: c.callId });
    expect(events[5]!.metadata.actor).toEqual({ id: 'sup-1', role: 'supervisor' });
  });

  it('shows parties without personal fields, except to a supervisor who asks', async () => {
    const { case: c } = await openIncident(rt, TZ, { at: '2026-03-02T02:00:00.000Z' });
    await request(app).post(`/cases/${c.id}/parties`).set('authorization', dispatcher).send({ role: 'witness', name: 'Wang Wu', phone: '13911112222' }).expect(201);
    const plain = await request(app).get(`/cases/${c.id}?reveal=parties`).set('authorization', dispatcher).expect(200);
    expect(plain.body.parties).toEqual([expect.objectContaining({ role: 'witness', addedBy: 'officer-7' })]);
    expect(JSON.stringify(plain.body)).not.toMatch(/Wang Wu|13911112222/);
    const timeline = await request(app).get(`/cases/${c.id}/timeline`).set('authorization', supervisor).expect(200);
    expect(JSON.stringify(timeline.body)).not.toMatch(/Wang Wu|13911112222/);
    const revealed = await request(app).get(`/cases/${c.id}?reveal=parties`).set('authorization', supervisor).expect(200);
    expect(revealed.body.parties[0]).toMatchObject({ name: 'Wang Wu', phone: '13911112222' });
  });

  it('rejects commands the case state refuses with 409 problem+json and a code, stale If-Match with 412, bad bodies with 400 naming the fields', async () => {
    const { case: c } = await openIncident(rt, TZ, { at: '2026-03-03T02:00:00.000Z' });
    const r409 = await request(app).post(`/cases/${c.id}/close`).set('authorization', dispatcher).send({}).expect(409);
    expect(r409.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r409.body).toMatchObject({ status: 409, code: 'no-disposition' });
    const before = await request(app).post(`/cases/${c.id}/disposition`).set('authorization', dispatcher).send({ codes: ['solved'], at: '2026-03-03T01:00:00.000Z' }).expect(409);
    expect(before.body.code).toBe('time-before');
    const r412 = await request(app).post(`/cases/${c.id}/narratives`).set('authorization', dispatcher).set('if-match', '"7"').send({ text: 'x' }).expect(412);
    expect(r412.body).toMatchObject({ status: 412, currentVersion: 1 });
    await request(app).post(`/cases/${c.id}/narratives`).set('authorization', dispatcher).set('if-match', 'yesterday').send({ text: 'x' }).expect(400);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const r400 = await request(app).post(`/cases/${c.id}/disposition`).set('authorization', dispatcher).send({ codes: ['suspects-caught', 'bogus'], at: future, extra: 1 }).expect(400);
    expect(r400.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['codes.1', 'at', '(body)']));
    const counts = await request(app).post(`/cases/${c.id}/disposition`).set('authorization', dispatcher).send({ codes: ['suspects-caught'], suspectsCaught: 0 }).expect(400);
    expect(counts.body.errors.map((e: { field: string }) => e.field)).toEqual(['suspectsCaught']);
    await request(app).post(`/cases/${c.id}/narratives`).set('authorization', analyst).send({ text: 'x' }).expect(403);
    await request(app).post(`/cases/${c.id}/narratives`).send({ text: 'x' }).expect(401);
    await request(app).post(`/cases/00000000-0000-4000-8000-000000000000/narratives`).set('authorization', dispatcher).send({ text: 'x' }).expect(404);
    const row = (await rt.db.select<Case>('SELECT * FROM cases WHERE id = $1::uuid', [c.id]))[0]!;
    expect(row.version).toBe(1); // nothing was appended by the refused commands
  });

  it('has no route that edits or deletes, and the database refuses changes to the timeline and the event store', async () => {
    const { case: c } = await openIncident(rt, TZ, { at: '2026-03-04T02:00:00.000Z' });
    for (const [method, path] of [['put', `/cases/${c.id}`], ['patch', `/cases/${c.id}`], ['delete', `/cases/${c.id}`], ['delete', `/cases/${c.id}/timeline`], ['put', `/cases/${c.id}/timeline`]] as const) {
      await request(app)[method](path).set('authorization', supervisor).send({}).expect(404);
    }
    await expect(rt.db.exec('DELETE FROM timeline_entries WHERE call_id = $1::uuid', [c.callId])).rejects.toThrow(/insert-only/);
    await expect(rt.db.exec(`UPDATE events SET type = 'X' WHERE stream_id = $1`, [`case-${c.id}`])).rejects.toThrow(/insert-only/);
    const t = await request(app).get(`/cases/${c.id}/timeline`).set('authorization', analyst).expect(200);
    expect(t.body.entries.map((e: { type: string }) => e.type)).toEqual(['CallReceived', 'CallClassified', 'CallNarrativeAppended', 'CallHandedToDispatch', 'IncidentOpened', 'CaseOpened']);
    expect(t.body.entries[0]).toMatchObject({ occurredAt: '2026-03-04T02:00:00.000Z', occurredAtLocal: '2026-03-04T10:00:00.000+08:00', actor: { id: 'taker-1', role: 'call_taker' } });
  });

  it('orders the timeline by what happened and by version, not by arrival: dispatch and call events consumed out of order', async () => {
    // records consumes the calls and dispatch topics independently: the incident may arrive first
    const { case: c } = await openIncident(rt, TZ, { at: '2026-03-07T02:00:00.000Z' }, (events) => [events[4]!, events[3]!, events[1]!, events[0]!, events[2]!]);
    const t = await request(app).get(`/cases/${c.id}/timeline`).set('authorization', analyst).expect(200);
    expect(t.body.entries.map((e: { type: string }) => e.type)).toEqual(['CallReceived', 'CallClassified', 'CallNarrativeAppended', 'CallHandedToDispatch', 'IncidentOpened', 'CaseOpened']);
  });

  it('publishes case events with actor, correlation and trace context, and PartyAdded without personal fields', async () => {
    const { case: c } = await openIncident(rt, TZ, { at: '2026-03-05T02:00:00.000Z' });
    const service = new CaseService({ transaction: rt.db.transaction, registry: rt.registry, logger: rt.logger, published: () => rt.relay.nudge() });
    const span = trace.getTracer('test').startSpan('officer request');
    await trace.getTracer('test').startActiveSpan('officer request', async (s) => {
      await service.execute(c.id, { type: 'AddParty', partyId: '7d7d7d7d-1111-4222-8333-444444444444', role: 'suspect', name: 'Zhao Liu', phone: '13722223333' }, { actor: { id: 'officer-9', role: 'dispatcher' }, workstation: 'ws-2' });
      s.end();
    });
    span.end();
    const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, clientId: 'records-test' });
    const consumer = kafka.consumer({ groupId: uniqueId('g') });
    const seen: { key: string; value: Record<string, any> }[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: topicName('cases'), fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push({ key: message.key!.toString(), value: JSON.parse(message.value!.toString()) }) });
    rt.relay.start();
    const party = (await waitFor(() => seen.find((m) => m.value.type === 'PartyAdded' && m.value.data.caseId === c.id), { timeoutMs: 60_000, message: 'PartyAdded on the cases topic' }))!;
    await consumer.disconnect();
    expect(party.key).toBe(c.callId);
    expect(party.value.data).toEqual({ caseId: c.id, partyId: '7d7d7d7d-1111-4222-8333-444444444444', role: 'suspect' });
    expect(JSON.stringify(seen)).not.toMatch(/Zhao Liu|13722223333/);
    expect(party.value.metadata).toMatchObject({ actor: { id: 'officer-9', role: 'dispatcher' }, workstation: 'ws-2', correlationId: c.callId, traceparent: expect.stringMatching(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/) });
    const opened = seen.find((m) => m.value.type === 'CaseOpened' && m.value.data.caseId === c.id)!;
    expect(opened.value.metadata).toMatchObject({ actor: { id: 'system:records' }, correlationId: expect.any(String), causationId: expect.any(String) });
  });

  itWithShared('exports a case as an EIDO that validates against EmergencyIncidentDataObjectType, without personal fields', ['standards/eido/Schema/openapi.yaml'], async () => {
    const { case: c } = await openIncident(rt, TZ, { at: '2026-03-06T02:00:00.000Z', subtype: 'robbery', category: 'criminal', district: 'north', beat: 'N3', address: '12 Jiefang Rd <east>', lat: 28.66, lon: 120.07, priority: 1 });
    await request(app).post(`/cases/${c.id}/parties`).set('authorization', dispatcher).send({ role: 'victim', name: 'Qian Qi', phone: '13633334444' }).expect(201);
    await request(app).post(`/cases/${c.id}/narratives`).set('authorization', dispatcher).send({ text: 'suspect fled east on a scooter' }).expect(201);
    await request(app).post(`/cases/${c.id}/disposition`).set('authorization', dispatcher).send({ codes: ['suspects-caught', 'solved'], suspectsCaught: 2 }).expect(200);
    await request(app).post(`/cases/${c.id}/close`).set('authorization', dispatcher).send({}).expect(200);
    const res = await request(app).get(`/cases/${c.id}/eido`).set('authorization', analyst).expect(200);
    const schema = loadEidoSchema();
    const ok = schema.validate(res.body);
    expect(describeErrors(schema.validate.errors)).toEqual([]);
    expect(ok).toBe(true);
    expect(res.body.incidentComponent).toMatchObject({ incidentTypeCommonRegistryText: 'ROBBERY', internalIncidentId: c.caseNumber, incidentStatusInternalText: ['closed'], incidentCommonPriorityNumber: 10, beatOrDispatchGroupText: 'north / N3' });
    expect(res.body.incidentComponent.dispositionComponent.map((d: { dispositionCategoryText: string }) => d.dispositionCategoryText)).toEqual(['suspects-caught', 'solved']);
    expect(res.body.personComponent).toEqual([expect.objectContaining({ personIncidentRoleRegistryText: ['Victim'] })]);
    expect(res.body.callComponent[0]).toMatchObject({ direction: 'incoming', callStateRegistryText: 'callEnd', priorityIdentifier: 'highest' });
    expect(res.body.locationComponent[0].locationByValue).toContain('12 Jiefang Rd &lt;east&gt;');
    expect(JSON.stringify(res.body)).not.toMatch(/Qian Qi|13633334444/);
    // the validator is not vacuous: a broken component fails
    const broken = structuredClone(res.body);
    delete broken.incidentComponent.incidentTypeCommonRegistryText;
    broken.callComponent[0].direction = 'sideways';
    expect(schema.validate(broken)).toBe(false);
    expect(describeErrors(schema.validate.errors).join('\n')).toMatch(/incidentTypeCommonRegistryText[\s\S]*direction|direction[\s\S]*incidentTypeCommonRegistryText/);
    // the same builder over the stored data is deterministic
    const timeline = await timelineOf(rt.db, c.callId);
    const service = new CaseService({ transaction: rt.db.transaction, registry: rt.registry, logger: rt.logger, published: () => undefined });
    const row = (await rt.db.select<Case>('SELECT * FROM cases WHERE id = $1::uuid', [c.id]))[0]!;
    const again = buildEido({ case: row, caseEvents: (await service.load(c.id))!.events, timeline, agencyId: '110.bureau.example', taxonomy: loadTaxonomy() });
    expect(again).toEqual(res.body);
  });
});

describe('records case search and CSV export', () => {
  let app: Express;
  let rt: RecordsRuntime;
  const analyst = bearer('analyst');
  const dispatcher = bearer('dispatcher');
  type Seed = { id: string; day: string; category: string; district: string; disposition?: string; closed: boolean; caseNumber: string };
  const seeds: Seed[] = [];

  beforeAll(async () => {
    process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
    process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
    rt = await createRuntime({ name: 'records', serviceDir: `${__dirname}/..` });
    app = createServer(rt, { timeZone: TZ, validateEido: false });
    const kinds = [
      ['dispute', 'neighbour-dispute'],
      ['criminal', 'theft'],
      ['traffic', 'property-damage-accident'],
    ] as const;
    const dispositions = [undefined, 'dispute-mediated', 'no-offence-found', 'solved'] as const;
    // 48 cases over 4 local days; 23:30 local (15:30Z) sits on the previous UTC day's evening,
    // 00:30 local (16:30Z the day before) on the next local day: the range must use local days
    for (let i = 0; i < 48; i++) {
      const dayN = 10 + (i % 4);
      const at = i % 3 === 0 ? `2026-05-${String(dayN - 1).padStart(2, '0')}T16:30:00.000Z` : `2026-05-${dayN}T${String(i % 12).padStart(2, '0')}:15:00.000Z`;
      const [category, subtype] = kinds[i % 3]!;
      const district = i % 2 ? 'east' : 'west';
      const { case: c } = await openIncident(rt, TZ, { at, category, subtype, district });
      const disposition = dispositions[i % 4];
      if (disposition) await request(app).post(`/cases/${c.id}/disposition`).set('authorization', dispatcher).send({ codes: [disposition] }).expect(200);
      const closed = !!disposition && i % 8 < 4;
      if (closed) await request(app).post(`/cases/${c.id}/close`).set('authorization', dispatcher).send({}).expect(200);
      seeds.push({ id: c.id, day: `2026-05-${dayN}`, category, district, disposition, closed, caseNumber: c.caseNumber });
    }
  });

  afterAll(async () => {
    await rt.producer.disconnect();
    await rt.pool.end();
    await dropDatabase(rt.databaseUrl);
  });

  async function listAll(qs: Record<string, string>): Promise<string[]> {
    const ids: string[] = [];
    for (let offset = 0; ; offset += 7) {
      const r = await request(app).get('/cases').query({ ...qs, limit: '7', offset: String(offset) }).set('authorization', analyst).expect(200);
      ids.push(...r.body.items.map((x: { id: string }) => x.id));
      if (offset + 7 >= r.body.total) {
        expect(ids).toHaveLength(r.body.total);
        return ids;
      }
    }
  }

  async function exportAll(qs: Record<string, string>): Promise<Record<string, string>[]> {
    const r = await request(app).get('/cases/export.csv').query(qs).set('authorization', analyst).buffer(true).parse((res, cb) => {
      let s = '';
      res.on('data', (c: Buffer) => (s += c.toString('utf8')));
      res.on('end', () => cb(null, s));
    }).expect(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    return parse(r.body as string, { columns: true }) as Record<string, string>[];
  }

  const expected = (f: (s: Seed) => boolean) => seeds.filter(f).map((s) => s.id).sort();

  it.each<[string, Record<string, string>, (s: Seed) => boolean]>([
    ['no filter', {}, () => true],
    ['one local day', { from: '2026-05-11', to: '2026-05-11' }, (s) => s.day === '2026-05-11'],
    ['day range + category', { from: '2026-05-10', to: '2026-05-11', category: 'criminal' }, (s) => s.day <= '2026-05-11' && s.category === 'criminal'],
    ['district + status', { district: 'east', status: 'closed' }, (s) => s.district === 'east' && s.closed],
    ['disposition', { disposition: 'dispute-mediated' }, (s) => s.disposition === 'dispute-mediated'],
    ['no disposition yet + open', { disposition: 'none', status: 'open' }, (s) => !s.disposition && !s.closed],
    ['everything at once', { from: '2026-05-12', to: '2026-05-13', category: 'traffic', district: 'west', disposition: 'no-offence-found', status: 'open' }, (s) => s.day >= '2026-05-12' && s.category === 'traffic' && s.district === 'west' && s.disposition === 'no-offence-found' && !s.closed],
    ['nothing matches', { category: 'fire' }, () => false],
  ])('list and export hold the same rows in the same order: %s', async (_name, qs, f) => {
    const listed = await listAll(qs);
    const exported = await exportAll(qs);
    expect(exported.map((r) => r.case_id)).toEqual(listed);
    expect([...listed].sort()).toEqual(expected(f));
    if (_name !== 'nothing matches') expect(listed.length).toBeGreaterThan(0); // every combination selects something
  });

  it('finds a case by its number and exports local times, disposition codes and no personal field', async () => {
    const s = seeds[5]!;
    const listed = await request(app).get('/cases').query({ caseNumber: s.caseNumber.toLowerCase() }).set('authorization', analyst).expect(200);
    expect(listed.body.items.map((x: { id: string }) => x.id)).toEqual([s.id]);
    const [row] = await exportAll({ caseNumber: s.caseNumber });
    expect(row).toMatchObject({ case_number: s.caseNumber, category: s.category, district: s.district, disposition_codes: s.disposition ?? '', opened_at_local: expect.stringMatching(/\+08:00$/) });
  });

  it('answers 400 naming bad filters for the list and the export alike', async () => {
    for (const path of ['/cases', '/cases/export.csv']) {
      const r = await request(app).get(path).query({ from: '2026-13-01', to: '2026-05-01', disposition: 'arrested', colour: 'red' }).set('authorization', analyst).expect(400);
      expect(r.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['from', 'disposition', '(body)']));
    }
    const reversed = await request(app).get('/cases/export.csv').query({ from: '2026-05-12', to: '2026-05-10' }).set('authorization', analyst).expect(400);
    expect(reversed.body.errors).toEqual([expect.objectContaining({ field: 'to' })]);
    await request(app).get('/cases/export.csv').query({ limit: '5' }).set('authorization', analyst).expect(400);
  });
});
