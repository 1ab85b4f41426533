/**
 * Case records end to end: real Minneapolis and San Diego calls replayed through intake →
 * dispatch → records (the four services as processes on the real broker and PostgreSQL), their
 * source dispositions recorded with the importer's replayDispositions, then the timeline order
 * across services, EIDO exports validated against the shared NENA schema, and the records
 * service's captured log checked for personal fields.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTaxonomy } from '@cad110/contracts';
import { loadMapping, postCalls, readCalls, replayDispositions, type MappedCall, type PostResult } from '@cad110/importer';
import { kafkaBrokers } from '@cad110/kafka';
import { describeErrors, loadEidoSchema } from '@cad110/records';
import { describeWithShared, uniqueId } from '@cad110/testkit';
import { SHARED_CALLS_DIR, Stack } from '../src';

jest.setTimeout(600_000);

const MPLS_ROWS = 40;
const SD_ROWS = 15;
const SOURCE_RANK: Record<string, number> = { intake: 1, dispatch: 2, records: 3 };

interface TimelineEntry {
  eventId: string;
  type: string;
  source: string;
  occurredAt: string;
  occurredAtLocal: string;
  recordedAt: string;
  actor: { id: string; role: string | null };
  workstation: string | null;
  data: Record<string, unknown>;
}

describeWithShared('case records with real calls through the pipeline', ['standards/eido/Schema/openapi.yaml', 'data/calls/minneapolis-mpd-911-cad.csv', 'data/calls/san-diego-pd-calls-for-service.csv'], () => {
  const taxonomy = loadTaxonomy();
  const mpls = loadMapping('minneapolis-mpd', taxonomy);
  const sd = loadMapping('san-diego-pd', taxonomy);
  let stack: Stack;
  const replayed: { call: MappedCall; callId: string }[] = [];
  let dispatcher: string;
  let supervisor: string;
  let first: Awaited<ReturnType<typeof replayDispositions>>;
  let schema: ReturnType<typeof loadEidoSchema>;

  async function get<T>(path: string, token = dispatcher): Promise<T> {
    const res = await fetch(`${stack.url('records')}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) throw new Error(`GET ${path} → ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async function caseOf(callId: string) {
    return (await get<{ items: { id: string; caseNumber: string; status: string; openedAt: string; dispositionCodes: string[]; suspectsCaught: number }[] }>(`/cases?callId=${callId}`)).items[0];
  }

  beforeAll(async () => {
    // compiled before any HTTP traffic: compiling blocks this process for seconds, and pooled
    // keep-alive sockets the server closes meanwhile would be reused afterwards
    schema = loadEidoSchema();
    stack = new Stack({
      brokers: kafkaBrokers().join(','),
      topicPrefix: `${uniqueId('e2r')}.`,
      dbPrefix: uniqueId('cad110e2r_'),
      fresh: true,
      timeZone: mpls.timeZone,
      // records logs everything it logs at all; the log file is checked for personal fields
      env: { LOG_LEVEL: 'warn', EIDO_VALIDATE: 'true' },
    });
    const envFor = stack.envFor.bind(stack);
    stack.envFor = (name, port) => ({ ...envFor(name, port), ...(name === 'records' ? { LOG_LEVEL: 'trace' } : {}) });
    await stack.start();
    dispatcher = stack.token('dispatcher', 'replay-officer');
    supervisor = stack.token('supervisor', 'sup-e2e');
    for (const [m, rows] of [
      [mpls, MPLS_ROWS],
      [sd, SD_ROWS],
    ] as const) {
      const { calls } = await readCalls(join(SHARED_CALLS_DIR, m.dataset), m, taxonomy, rows);
      const posted: PostResult = await postCalls(calls, { intakeUrl: stack.url('intake'), concurrency: 4, progress: false, headers: { authorization: `Bearer ${stack.token('call_taker', 'importer')}` } });
      expect(posted.failed).toEqual([]);
      const byId = new Map(calls.map((c) => [c.body.externalRef.id, c]));
      for (const a of posted.accepted) replayed.push({ call: byId.get(a.externalId)!, callId: a.callId });
    }
    first = await replayDispositions(
      replayed.map((r) => ({ externalId: r.call.body.externalRef.id, callId: r.callId, handedToDispatch: r.call.body.handToDispatch, disposition: r.call.disposition })),
      { recordsUrl: stack.url('records'), headers: { authorization: `Bearer ${dispatcher}` }, caseTimeoutMs: 120_000 },
    );
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('records and closes every replayed call that has a mapped source disposition, once', async () => {
    const expected = replayed.filter((r) => r.call.body.handToDispatch && r.call.disposition?.kind === 'outcome').length;
    expect(first.failed).toEqual([]);
    expect(first.unmapped).toEqual([]);
    expect(expected).toBeGreaterThan(30);
    expect({ recorded: first.recorded, closed: first.closed }).toEqual({ recorded: expected, closed: expected });
    expect(first.recorded + first.skipped).toBe(replayed.length);
    const again = await replayDispositions(
      replayed.map((r) => ({ externalId: r.call.body.externalRef.id, callId: r.callId, handedToDispatch: r.call.body.handToDispatch, disposition: r.call.disposition })),
      { recordsUrl: stack.url('records'), headers: { authorization: `Bearer ${dispatcher}` } },
    );
    expect({ recorded: again.recorded, alreadyClosed: again.alreadyClosed, failed: again.failed }).toEqual({ recorded: 0, alreadyClosed: expected, failed: [] });
    // the counts statistics will read: an arrest in the source is one suspect caught
    const arrests = replayed.filter((r) => r.call.disposition?.kind === 'outcome' && r.call.disposition.outcome.codes.includes('suspects-caught'));
    for (const r of arrests) expect(await caseOf(r.callId)).toMatchObject({ status: 'closed', suspectsCaught: 1, dispositionCodes: expect.arrayContaining(['suspects-caught']) });
  });

  it('orders each replayed call’s timeline across intake, dispatch and records, with actors, workstations and local times', async () => {
    const withClose = replayed.filter((r) => r.call.disposition?.kind === 'outcome' && r.call.disposition.at && r.call.body.handToDispatch).slice(0, 8);
    expect(withClose.length).toBe(8);
    for (const r of withClose) {
      const c = (await caseOf(r.callId))!;
      const t = await get<{ timeZone: string; entries: TimelineEntry[] }>(`/cases/${c.id}/timeline`);
      const types = t.entries.map((e) => e.type);
      for (const needed of ['CallReceived', 'CallClassified', 'CallHandedToDispatch', 'IncidentOpened', 'UnitsRecommended', 'CaseOpened', 'DispositionRecorded', 'CaseClosed']) expect(types).toContain(needed);
      // sorted by when it happened, cause before effect at the same instant
      for (let i = 1; i < t.entries.length; i++) {
        const a = t.entries[i - 1]!;
        const b = t.entries[i]!;
        const key = (e: TimelineEntry) => [Date.parse(e.occurredAt), SOURCE_RANK[e.source] ?? 4, Date.parse(e.recordedAt)] as const;
        const [ka, kb] = [key(a), key(b)];
        expect(ka[0] < kb[0] || (ka[0] === kb[0] && (ka[1] < kb[1] || (ka[1] === kb[1] && ka[2] <= kb[2])))).toBe(true);
      }
      const at = (type: string) => types.indexOf(type);
      // one stream's events of one append stay in version order
      const call = t.entries.filter((e) => e.source === 'intake');
      expect(call.map((e) => e.type).slice(0, 1)).toEqual(['CallReceived']);
      expect(at('CallReceived')).toBeLessThan(at('CallHandedToDispatch'));
      expect(at('CallHandedToDispatch')).toBeLessThan(at('IncidentOpened'));
      expect(at('IncidentOpened')).toBeLessThan(at('CaseOpened'));
      expect(at('CaseOpened')).toBeLessThan(at('DispositionRecorded'));
      expect(at('DispositionRecorded')).toBeLessThan(at('CaseClosed'));
      // real source times, UTC and Chicago local time, and who acted
      const received = t.entries[at('CallReceived')]!;
      expect(received.occurredAt).toBe(r.call.body.answeredAt);
      expect(received.occurredAtLocal).toMatch(/^2020-0[67]-\d\dT\d\d:\d\d:\d\d\.000-05:00$/);
      expect(received.actor).toEqual({ id: 'importer', role: 'call_taker' });
      const closed = t.entries[at('CaseClosed')]!;
      const sourceClose = (r.call.disposition as { at: string }).at;
      expect(closed.occurredAt).toBe(Date.parse(sourceClose) < Date.parse(c.openedAt) ? new Date(c.openedAt).toISOString() : sourceClose);
      expect(closed.actor).toEqual({ id: 'replay-officer', role: 'dispatcher' });
      expect(t.entries[at('IncidentOpened')]!.actor.id).toBe('system:dispatch');
      expect(t.timeZone).toBe('America/Chicago');
    }
  });

  it('exports real incidents as EIDOs that validate against EmergencyIncidentDataObjectType', async () => {
    const sample = replayed.filter((r) => r.call.body.handToDispatch).filter((_, i) => i % 5 === 0);
    expect(sample.length).toBeGreaterThanOrEqual(10);
    const types = new Set<string>();
    for (const r of sample) {
      const c = (await caseOf(r.callId))!;
      const eido = await get<Record<string, any>>(`/cases/${c.id}/eido`, supervisor);
      const ok = schema.validate(eido);
      expect({ case: c.caseNumber, errors: describeErrors(schema.validate.errors) }).toEqual({ case: c.caseNumber, errors: [] });
      expect(ok).toBe(true);
      expect(eido.incidentComponent.internalIncidentId).toBe(c.caseNumber);
      expect(eido.callComponent[0].answerDate).toBe(r.call.body.answeredAt);
      if (c.dispositionCodes.length) expect(eido.incidentComponent.dispositionComponent.map((d: { dispositionCategoryText: string }) => d.dispositionCategoryText)).toEqual(c.dispositionCodes);
      types.add(eido.incidentComponent.incidentTypeCommonRegistryText);
    }
    expect(types.size).toBeGreaterThan(1);
  });

  it('never writes a party’s personal fields to the records log (captured at trace level)', async () => {
    const target = (await caseOf(replayed.find((r) => r.call.body.handToDispatch && r.call.disposition?.kind === 'outcome')!.callId))!;
    const reopen = await fetch(`${stack.url('records')}/cases/${target.id}/reopen`, { method: 'POST', headers: { authorization: `Bearer ${supervisor}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'victim came forward' }) });
    expect(reopen.status).toBe(200);
    const personal = { name: 'Ouyang Xiaoming', idNumber: '330781199912310099', phone: '13987654321', address: '99 Lotus Lane' };
    const add = await fetch(`${stack.url('records')}/cases/${target.id}/parties`, { method: 'POST', headers: { authorization: `Bearer ${supervisor}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'victim', ...personal }) });
    expect(add.status).toBe(201);
    // refused commands log too: a bad body and a stale If-Match carrying the same personal fields
    const bad = await fetch(`${stack.url('records')}/cases/${target.id}/parties`, { method: 'POST', headers: { authorization: `Bearer ${supervisor}`, 'content-type': 'application/json' }, body: JSON.stringify({ role: 'bystander', ...personal }) });
    expect(bad.status).toBe(400);
    const stale = await fetch(`${stack.url('records')}/cases/${target.id}/parties`, { method: 'POST', headers: { authorization: `Bearer ${supervisor}`, 'content-type': 'application/json', 'if-match': '"1"' }, body: JSON.stringify({ role: 'witness', ...personal }) });
    expect(stale.status).toBe(412);
    const revealed = await get<{ parties: Record<string, string>[] }>(`/cases/${target.id}?reveal=parties`, supervisor);
    expect(revealed.parties[0]).toMatchObject(personal); // stored in records
    await new Promise((r) => setTimeout(r, 500)); // let the child's stdout reach the file
    const log = readFileSync(join(stack.logDir, 'records.log'), 'utf8');
    expect(log).toContain('case command applied'); // the capture works: command logs are there
    expect(log).toContain(target.id);
    for (const value of Object.values(personal)) expect(log).not.toContain(value);
  });
});
