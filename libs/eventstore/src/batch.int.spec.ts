import { join } from 'node:path';
import { Pool } from 'pg';
import { ConcurrencyError, DependencyFailedError, NotFoundError } from '@cad110/contracts';
import { pgTransaction, type RunInTransaction, type Sql } from '@cad110/db';
import { tempDatabase, useInMemoryTracing } from '@cad110/testkit';
import { context, createContextKey } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { callStreamId, eventRegistry } from '@cad110/contracts';
import { groupCommit, runBatch } from './batch';
import { handleCommand, loadStream, type StreamType } from './command-handler';

// any service's migrations make a database; the batch writes a scratch table of its own
const MIGRATIONS = join(__dirname, '..', '..', '..', 'services', 'intake', 'prisma', 'migrations');

/** A call stream counting its narrative notes, for the tests that run commands in a batch. */
type Ev = { type: string; data: { callId: string; text?: string } };
const calls: StreamType<{ notes: number }, Ev> = {
  streamType: 'call',
  source: 'intake',
  initialState: () => ({ notes: 0 }),
  evolve: (st, e) => (e.type === 'CallNarrativeAppended' ? { notes: st.notes + 1 } : st),
  snapshotTag: 'test.v1',
  routing: (id) => ({ partitionKey: id, correlationId: id }),
};

describe('runBatch on PostgreSQL: one transaction per batch, each item all-or-nothing', () => {
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let pool: Pool;
  let begun = 0;
  let run: RunInTransaction;

  beforeAll(async () => {
    db = await tempDatabase(MIGRATIONS);
    pool = new Pool({ connectionString: db.url, max: 2 });
    await pool.query('CREATE TABLE batch_items (n int PRIMARY KEY, note text)');
    const inner = pgTransaction(pool);
    run = (fn) => {
      begun++;
      return inner(fn);
    };
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });
  beforeEach(async () => {
    begun = 0;
    await pool.query('TRUNCATE batch_items');
  });

  const rows = async () => (await pool.query<{ n: number }>('SELECT n FROM batch_items ORDER BY n')).rows.map((r) => r.n);
  /** writes its row, then fails when the item says so (after writing: the write must be undone) */
  const insert = async (tx: Sql, item: { n: number; fail?: 'refused' | 'duplicate' }) => {
    await tx.query('INSERT INTO batch_items (n) VALUES ($1)', [item.n]);
    if (item.fail === 'refused') throw new NotFoundError(`thing ${item.n}`);
    if (item.fail === 'duplicate') await tx.query('INSERT INTO batch_items (n) VALUES ($1)', [item.n]); // unique violation: the transaction is aborted
    return item.n * 10;
  };

  it('commits a batch with no failure in one transaction, values in order', async () => {
    let commits = 0;
    const out = await runBatch(run, [1, 2, 3, 4].map((n) => ({ n })), insert, () => commits++);
    expect(out).toEqual([10, 20, 30, 40].map((value) => ({ ok: true, value })));
    expect(await rows()).toEqual([1, 2, 3, 4]);
    expect(begun).toBe(1);
    expect(commits).toBe(1);
  });

  it('leaves nothing of a refused item (a thrown error or a failed statement) and commits all the others', async () => {
    const items = [{ n: 1 }, { n: 2, fail: 'refused' as const }, { n: 3 }, { n: 4, fail: 'duplicate' as const }, { n: 5 }];
    const out = await runBatch(run, items, insert);
    expect(out.map((o) => o.ok)).toEqual([true, false, true, false, true]);
    expect((out[1] as { error: unknown }).error).toBeInstanceOf(NotFoundError);
    expect((out[3] as { error: { code?: string } }).error.code).toBe('23505');
    expect(await rows()).toEqual([1, 3, 5]);
    // 1st pass fails at 2 → [1] again, 2 alone; [3,4,5] fails at 4 → [3] again, 4 alone; [5]
    expect(begun).toBe(7);
    // one item alone: one transaction, no rerun when it fails
    begun = 0;
    expect((await runBatch(run, [{ n: 9, fail: 'refused' as const }], insert))[0]!.ok).toBe(false);
    expect(begun).toBe(1);
  });

  it('runs an item again alone with the lost-race retry of a single command', async () => {
    let tries = 0;
    const out = await runBatch(run, [{ n: 1 }, { n: 2 }], async (tx, item) => {
      if (item.n === 2 && tries++ < 2) throw new ConcurrencyError('s', 1);
      return insert(tx, item);
    });
    expect(out).toEqual([{ ok: true, value: 10 }, { ok: true, value: 20 }]);
    expect(await rows()).toEqual([1, 2]);
  });

  it('does not run an item whose dependency failed, nor the items depending on it', async () => {
    const items = [{ n: 1 }, { n: 2, fail: 'refused' as const }, { n: 3, after: 1 }, { n: 4, after: 2 }, { n: 5, after: 0 }];
    const out = await runBatch(run, items, insert, undefined, { after: (i) => i.after });
    expect(out.map((o) => o.ok)).toEqual([true, false, false, false, true]);
    expect((out[2] as { error: DependencyFailedError }).error).toEqual(new DependencyFailedError(1));
    expect((out[3] as { error: DependencyFailedError }).error.after).toBe(2);
    expect(await rows()).toEqual([1, 5]);
  });

  it('throws when the database refuses the transaction itself, having written nothing of that pass (one item: its outcome)', async () => {
    const broken: RunInTransaction = () => Promise.reject(new Error('connection terminated'));
    await expect(runBatch(broken, [{ n: 1 }, { n: 2 }], insert)).rejects.toThrow('connection terminated');
    const [alone] = await runBatch(broken, [{ n: 1 }], insert);
    expect(alone).toEqual({ ok: false, error: new Error('connection terminated') });
    expect(await rows()).toEqual([]);
  });

  it('prepare runs first in every transaction with its items, beforeCommit last; after a failing beforeCommit the items run once without them, so only the item at fault fails', async () => {
    const prepared: number[][] = [];
    /** the rows an item queues, written by beforeCommit with one statement (a unique violation for a taken n) */
    const queued = new WeakMap<Sql, number[]>();
    const opts = {
      prepare: async (tx: Sql, items: readonly { n: number }[]) => {
        prepared.push(items.map((i) => i.n));
        queued.set(tx, []);
      },
      beforeCommit: async (tx: Sql) => {
        const ns = queued.get(tx)!;
        if (ns.length) await tx.query('INSERT INTO batch_items (n) SELECT unnest($1::int[])', [ns]);
      },
    };
    /** queues its row when the transaction was prepared, else writes it at once (as intake's creates) */
    const queue = async (tx: Sql, item: { n: number }) => {
      const q = queued.get(tx);
      if (q) q.push(item.n);
      else await tx.query('INSERT INTO batch_items (n) VALUES ($1)', [item.n]);
      return item.n * 10;
    };
    await pool.query('INSERT INTO batch_items (n) VALUES (3)');
    begun = 0;
    const out = await runBatch(run, [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }], queue, undefined, opts);
    expect(out.map((o) => o.ok)).toEqual([true, true, false, true]);
    expect((out[2] as { error: { code?: string } }).error.code).toBe('23505');
    expect(await rows()).toEqual([1, 2, 3, 4]);
    // the pass of four failed at its end; once more without prepare (3 fails inside itself), then
    // [1, 2] together, 3 alone and 4 alone, each with its own prepare: 5 transactions, not 1 + 4
    expect(prepared).toEqual([[1, 2, 3, 4], [3], [4]]);
    expect(begun).toBe(5);
    // no failure: one transaction, prepare once with all its items
    prepared.length = 0;
    begun = 0;
    const ok = await runBatch(run, [{ n: 5 }, { n: 6 }], queue, undefined, opts);
    expect(ok.every((o) => o.ok)).toBe(true);
    expect(prepared).toEqual([[5, 6]]);
    expect(begun).toBe(1);
    expect(await rows()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('group commit: concurrent single commands share transactions, each answered as if alone, in its own trace context', async () => {
    useInMemoryTracing(); // registers the async-hooks context manager the services run with
    const key = createContextKey('request');
    const seen = new Map<number, unknown>();
    let commits = 0;
    const submit = groupCommit(
      run,
      async (tx, item: { n: number; fail?: 'refused' }) => {
        seen.set(item.n, context.active().getValue(key));
        return insert(tx, item);
      },
      { maxBatch: 8, maxInFlight: 1, afterCommit: () => commits++ },
    );
    const answers = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => context.with(context.active().setValue(key, `req-${i + 1}`), () => submit({ n: i + 1, ...(i + 1 === 7 ? { fail: 'refused' as const } : {}) }))),
    );
    expect(answers.map((a) => (a.status === 'fulfilled' ? a.value : 'refused'))).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1 === 7 ? 'refused' : (i + 1) * 10)));
    expect((answers[6] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
    expect(await rows()).toEqual(Array.from({ length: 20 }, (_, i) => i + 1).filter((n) => n !== 7));
    // the first alone (nothing was in flight), then the 19 waiting in batches of at most 8 (+ the reruns around 7)
    expect(begun).toBeLessThan(10);
    expect(commits).toBeLessThan(8);
    for (let n = 1; n <= 20; n++) expect(seen.get(n)).toBe(`req-${n}`);
  });

  it('loads a stream once per transaction: later commands of the batch on it read no row and see the earlier appends', async () => {
    const callId = randomUUID();
    const streamId = callStreamId(callId);
    const by = { actor: { id: 'u1', role: 'call_taker' } } as never;
    const received = { type: 'CallReceived', data: { callId, channel: '110', answeredAt: '2026-11-29T08:00:00.000Z', createdAt: '2026-11-29T08:00:01.000Z' } } as never;
    const note = (text: string) => ({ type: 'CallNarrativeAppended', data: { callId, text } });
    await run((tx) => handleCommand(tx, eventRegistry, calls, streamId, () => [received], { by, isNew: true }));
    let loads = 0;
    // one counting Sql per transaction (it is what keys the transaction's streams)
    const counting: RunInTransaction = (fn) =>
      run((tx) => fn({ ...tx, query: (q: string, p?: readonly unknown[]) => (q.includes('FROM streams s') && loads++, tx.query(q, p)) } as Sql));
    const out = await runBatch(counting, ['a', 'b', 'c'], async (tx, text) => {
      const loaded = await loadStream(tx, eventRegistry, calls, streamId);
      const r = await handleCommand(tx, eventRegistry, calls, streamId, () => [note(text)], { by, loaded });
      return [r.version, r.after.notes];
    });
    expect(loads).toBe(1);
    expect(out).toEqual([{ ok: true, value: [2, 1] }, { ok: true, value: [3, 2] }, { ok: true, value: [4, 3] }]);
    // a new transaction reads the stream again, with every append
    expect((await run((tx) => loadStream(tx, eventRegistry, calls, streamId))).version).toBe(4);
  });

  describe('deferred appends: a pass writes its items\' events with one statement before the commit', () => {
    const by = { actor: { id: 'u1', role: 'call_taker' } } as never;
    const received = (callId: string) => ({ type: 'CallReceived', data: { callId, channel: '110', answeredAt: '2026-11-29T08:00:00.000Z', createdAt: '2026-11-29T08:00:01.000Z' } }) as never;
    const note = (callId: string, text: string) => ({ type: 'CallNarrativeAppended', data: { callId, text } });
    let writes = 0;
    /** counts the statements that insert events (one Sql per transaction, as the services' runners) */
    const counting: RunInTransaction = (fn) => run((tx) => fn({ ...tx, query: (q: string, p?: readonly unknown[]) => (q.includes('INSERT INTO events') && writes++, tx.query(q, p)) } as Sql));
    /** the events stored, per stream in the order of `ids` */
    const events = async (ids: string[]) => {
      const rows = (await pool.query<{ stream_id: string; version: number; type: string }>('SELECT stream_id, version, type FROM events WHERE stream_id = ANY($1) ORDER BY version', [ids])).rows;
      return ids.flatMap((id) => rows.filter((r) => r.stream_id === id).map((r) => `${id.slice(-4)}:${r.version}:${r.type}`));
    };
    const outboxOrder = async (keys: string[]) => (await pool.query<{ key: string; payload: string }>('SELECT key, payload FROM outbox WHERE key = ANY($1) ORDER BY id', [keys])).rows.map((r) => `${r.key.slice(-4)}:${JSON.parse(r.payload).streamVersion}`);

    beforeEach(() => (writes = 0));

    it('new and held streams, several appends each: one write, every event and outbox row in the order made, snapshots current', async () => {
      const a = randomUUID();
      const b = randomUUID();
      const [sa, sb] = [callStreamId(a), callStreamId(b)];
      const items = [
        { id: a, s: sa, open: true },
        { id: b, s: sb, open: true },
        { id: a, s: sa, text: 'one' },
        { id: b, s: sb, text: 'two' },
        { id: a, s: sa, text: 'three' },
      ];
      const out = await runBatch(counting, items, async (tx, it) => {
        const r = it.open
          ? await handleCommand(tx, eventRegistry, calls, it.s, () => [received(it.id)], { by, isNew: true })
          : await handleCommand(tx, eventRegistry, calls, it.s, () => [note(it.id, it.text!)], { by });
        return r.version;
      });
      expect(out.map((o) => (o.ok ? o.value : 'failed'))).toEqual([1, 1, 2, 2, 3]);
      expect(writes).toBe(1);
      expect(await events([sa, sb])).toEqual([`${sa.slice(-4)}:1:CallReceived`, `${sa.slice(-4)}:2:CallNarrativeAppended`, `${sa.slice(-4)}:3:CallNarrativeAppended`, `${sb.slice(-4)}:1:CallReceived`, `${sb.slice(-4)}:2:CallNarrativeAppended`]);
      expect(await outboxOrder([sa, sb])).toEqual([`${sa.slice(-4)}:1`, `${sb.slice(-4)}:1`, `${sa.slice(-4)}:2`, `${sb.slice(-4)}:2`, `${sa.slice(-4)}:3`]);
      const later = await run((tx) => loadStream(tx, eventRegistry, calls, sa));
      expect(later).toMatchObject({ version: 3, state: { notes: 2 } });
      const snap = await pool.query('SELECT snapshot, snapshot_version FROM streams WHERE stream_id = $1', [sa]);
      expect(snap.rows[0]).toEqual({ snapshot: { tag: 'test.v1', state: { notes: 2 } }, snapshot_version: 3 });
    });

    it('a refused item leaves none of its events; the others are written', async () => {
      const a = randomUUID();
      const sa = callStreamId(a);
      await run((tx) => handleCommand(tx, eventRegistry, calls, sa, () => [received(a)], { by, isNew: true }));
      const out = await runBatch(counting, ['x', 'refuse', 'y'], async (tx, text) => {
        const r = await handleCommand(tx, eventRegistry, calls, sa, () => [note(a, text)], { by });
        if (text === 'refuse') throw new NotFoundError('refused after its append');
        return r.version;
      });
      expect(out.map((o) => (o.ok ? o.value : 'refused'))).toEqual([2, 'refused', 3]);
      expect((await pool.query('SELECT data->>\'text\' AS t FROM events WHERE stream_id = $1 AND version > 1 ORDER BY version', [sa])).rows.map((r) => r.t)).toEqual(['x', 'y']);
    });

    it('a flush that loses a race (a new stream\'s id taken meanwhile) writes nothing of the pass and runs each item alone', async () => {
      const a = randomUUID();
      const b = randomUUID();
      const [sa, sb] = [callStreamId(a), callStreamId(b)];
      let firstPass = true;
      const out = await runBatch(run, [a, b], async (tx, id) => {
        const s = callStreamId(id);
        if (id === b && firstPass) {
          firstPass = false;
          // another transaction creates b's stream after this one decided it was new
          await pool.query(`INSERT INTO streams (stream_id, type, version, updated_at) VALUES ($1, 'call', 1, now())`, [s]);
        }
        return (await handleCommand(tx, eventRegistry, calls, s, () => [received(id)], { by, isNew: true })).version;
      });
      expect(out).toEqual([{ ok: true, value: 1 }, { ok: false, error: expect.any(ConcurrencyError) }]);
      expect(await events([sa, sb])).toEqual([`${sa.slice(-4)}:1:CallReceived`]);
    });
  });
});
