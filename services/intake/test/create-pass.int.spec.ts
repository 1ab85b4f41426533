import { randomUUID } from 'node:crypto';
import { loadTaxonomy } from '@cad110/contracts';
import type { RunInTransaction, Sql } from '@cad110/db';
import { CallService, type CreateInput, type Respond } from '../src/calls/call-service';
import { claimKeys, itemIdempotency, keyIdOf, saveResponses } from '../src/http/idempotency';
import { startIntake } from './harness';

/**
 * The creates that share a transaction (calls/create-pass.ts, issue 17) on the real PostgreSQL:
 * their keys are claimed with one statement, their responses and `calls` rows written with one
 * each, so a create's only statement of its own is the duplicate lookup — and every create still
 * answers as if it had run alone: it sees the earlier creates of its transaction as duplicate
 * candidates, a repeated key replays, a reused key with another body is 422.
 */
describe('creates sharing a transaction (create pass)', () => {
  let h: Awaited<ReturnType<typeof startIntake>>;
  let statements: string[] = [];
  let service: CallService;

  beforeAll(async () => {
    h = await startIntake();
    // the service's own transaction runner, counting the statements of each transaction
    const counting: RunInTransaction = (fn) =>
      h.rt.db.transaction((tx) =>
        fn({
          ...tx,
          query: (q: string, p?: readonly unknown[]) => (statements.push(q), tx.query(q, p)),
          exec: (q: string, p?: readonly unknown[]) => (statements.push(q), tx.exec(q, p)),
        } as Sql),
      ) as never;
    service = new CallService({ transaction: counting, registry: h.rt.registry, taxonomy: loadTaxonomy(), published: () => undefined, finder: h.server.finder });
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => (statements = []));

  const by = { actor: { id: 'u-pass', role: 'call_taker' } } as never;
  const created: Respond = (r) => ({ status: 201, body: r, headers: { ETag: `"${r.version}"`, Location: `/calls/${r.callId}` } });
  const call = (lat: number, caller: string, extra: Partial<CreateInput> = {}): CreateInput =>
    ({
      channel: '110',
      caller: { number: caller },
      location: { address: '88 Renmin Rd', lat, lon: 119.65, district: 'south', source: 'caller-reported' },
      classification: { subtype: 'snatching' },
      narrative: 'bag snatched',
      handToDispatch: true,
      ...extra,
    }) as CreateInput;
  const item = (input: CreateInput, key = randomUUID()) => ({ input, idempotency: itemIdempotency('u-pass', key, 'POST', '/calls', input) });
  const body = (o: { ok: boolean; value?: { body: unknown } }) => (o as { value: { body: { callId: string; events: string[]; duplicateCandidates?: { candidates: { callId: string; reasons: string[] }[] } } } }).value.body;

  it('writes a pass of twelve creates with 4 + 12 statements, each answered as if alone', async () => {
    const repeated = item(call(29.45, '13900000103'));
    const items = [
      item(call(29.3, '13900000001')), // 0
      item(call(29.3, '13900000002')), // 1: same place and time as 0 → flagged as its duplicate
      item(call(29.32, '13900000003')), // 2
      item(call(29.7, '13900000003')), // 3: same caller as 2, 44 km away → 2 is its candidate
      ...Array.from({ length: 7 }, (_, i) => item(call(29.35 + i * 0.01, `1390000011${i}`))), // 4..10
      repeated, // 11
      { ...repeated }, // 12: the same key and request again → 11's answer, nothing appended
    ];
    const out = await service.createMany(items, by, created);
    expect(out.map((o) => o.ok)).toEqual(items.map(() => true));
    // one transaction: the keys' claim, a duplicate look-up per create, then the calls rows, the
    // stored responses and the appends (the old code: claim, look-up, row and response per create)
    expect(statements.length).toBe(4 + 12);
    expect(statements.filter((q) => q.includes('FROM calls')).length).toBe(12);
    const ids = out.map((o) => body(o).callId);
    expect(new Set(ids).size).toBe(12);
    expect(ids[12]).toBe(ids[11]);
    expect((out[12] as { value: { replayed?: boolean } }).value.replayed).toBe(true);
    expect(body(out[1]!).events).toContain('CallDuplicateSuspected');
    expect(body(out[1]!).duplicateCandidates!.candidates[0]!.callId).toBe(ids[0]);
    expect(body(out[0]!).events).not.toContain('CallDuplicateSuspected');
    expect(body(out[3]!).duplicateCandidates!.candidates.map((c) => c.callId)).toContain(ids[2]);
    expect(body(out[3]!).duplicateCandidates!.candidates.find((c) => c.callId === ids[2])!.reasons).toContain('same-caller-number');
    // written: each call's row and stored answer, as a call alone would leave them
    const rows = await h.rt.db.query<{ id: string; status: string; caller_number: string; geo_cell: string | null }>(`SELECT id::text, status, caller_number, geo_cell::text FROM calls WHERE id = ANY($1::uuid[])`, [ids]);
    expect(rows.length).toBe(12);
    expect(rows.every((r) => r.status === 'handed-to-dispatch' && r.geo_cell !== null)).toBe(true);
    const keys = await h.rt.db.query<{ status: number; body: string }>(`SELECT status, body FROM idempotency_keys WHERE actor_id = 'u-pass' AND key = ANY($1::text[])`, [items.map((i) => i.idempotency.key)]);
    expect(keys.length).toBe(12);
    expect(keys.every((k) => k.status === 201 && JSON.parse(k.body).callId)).toBe(true);
    // the next transaction sees the pass's calls as stored ones (a create alone)
    statements = [];
    const [later] = await service.createMany([item(call(29.3, '13900000009'))], by, created);
    expect(body(later!).duplicateCandidates!.candidates.map((c) => c.callId).sort()).toEqual([ids[0], ids[1]].sort());
  });

  it('answers a key reused for another request 422 and a duplicate externalRef 409, the others of the pass committed', async () => {
    const key = randomUUID();
    const ref = { source: 'pass-test', id: randomUUID() };
    await service.createMany([item(call(28.9, '13900000201', { externalRef: ref }))], by, created);
    const items = [item(call(28.5, '13900000202'), key), item(call(28.6, '13900000203'), key), item(call(28.7, '13900000204', { externalRef: ref })), item(call(28.8, '13900000205'))];
    const out = await service.createMany(items, by, created);
    expect(out.map((o) => o.ok)).toEqual([true, false, false, true]);
    expect((out[1] as { error: { status?: number } }).error.status).toBe(422);
    expect((out[2] as { error: { code?: string } }).error.code).toBe('duplicate-external-ref');
    const [first, last] = [body(out[0]!).callId, body(out[3]!).callId];
    expect((await h.rt.db.query(`SELECT id FROM calls WHERE id = ANY($1::uuid[])`, [[first, last]])).length).toBe(2);
    expect((await h.rt.db.query(`SELECT 1 FROM calls WHERE external_id = $1`, [ref.id])).length).toBe(1);
    // no key is left claimed without its answer (status 0) by the failed transactions
    expect(await h.rt.db.query(`SELECT key FROM idempotency_keys WHERE actor_id = 'u-pass' AND status = 0`)).toEqual([]);
  });

  it('two transactions claiming the same key at once: one creates the call, the other replays its answer (waiting for it when they overlap)', async () => {
    const key = randomUUID();
    const same = call(27.5, '13900000301');
    const [a, b] = await Promise.all([
      service.createMany([item(same, key), item(call(27.6, '13900000302'))], by, created),
      service.createMany([item(call(27.7, '13900000303')), item(same, key)], by, created),
    ]);
    expect([...a, ...b].every((o) => o.ok)).toBe(true);
    const first = a[0] as { value: { body: { callId: string }; replayed?: boolean } };
    const second = b[1] as { value: { body: { callId: string }; replayed?: boolean } };
    expect(second.value.body.callId).toBe(first.value.body.callId);
    expect([first.value.replayed ?? false, second.value.replayed ?? false].sort()).toEqual([false, true]);
    expect((await h.rt.db.query(`SELECT 1 FROM events WHERE stream_id = $1 AND type = 'CallReceived'`, [`call-${first.value.body.callId}`])).length).toBe(1);
  });

  it('claims explicit and double-submit keys together: a double submit within its window is not claimed, after it the key is taken over', async () => {
    const explicit = itemIdempotency('u-claim', randomUUID(), 'POST', '/calls', { a: 1 });
    const double = (windowSeconds: number) => ({ actorId: 'u-claim', key: 'double-submit:abc', hash: 'abc', windowSeconds });
    const claim = (rs: Parameters<typeof claimKeys>[1]) =>
      h.rt.db.transaction(async (tx) => {
        const got = await claimKeys(tx, rs);
        await saveResponses(tx, rs.filter((r) => got.has(keyIdOf(r))).map((r) => ({ r, out: { status: 201, body: { r: r.key }, headers: {} } })));
        return [...got].map((k) => k.split('\u0000')[1]).sort();
      });
    // the double-submit key twice in one claim: claimed once
    expect(await claim([double(10), explicit, double(10)])).toEqual([explicit.key, 'double-submit:abc'].sort());
    // again within the window: neither (the explicit key exists, the double submit is recent)
    expect(await claim([double(10), explicit])).toEqual([]);
    // with a window of 0 s the stored double submit is older than the window: taken over
    expect(await claim([explicit, double(0)])).toEqual(['double-submit:abc']);
    const rows = await h.rt.db.query<{ key: string; status: number }>(`SELECT key, status FROM idempotency_keys WHERE actor_id = 'u-claim' ORDER BY key`);
    expect(rows.map((r) => r.status)).toEqual([201, 201]);
  });
});
