/**
 * Records' consumer chunk (issue 17): a chunk of events is applied in one transaction as
 * libs/kafka's `applyTogether` does (deferred rows and appends, the consumer's `prepare`), and
 * its case openings, counting locks and case look-ups cost statements per chunk, not per event —
 * with the same cases, numbers and counting as one event per transaction (counting.int.spec).
 * Real PostgreSQL; the statements are counted on the transaction the handlers are given.
 */
import type { EventEnvelope } from '@cad110/contracts';
import { withDeferredRows, type RunInTransaction } from '@cad110/db';
import { deferAppends, flushAppends } from '@cad110/eventstore';
import { useTestAuthKeys } from '@cad110/testkit';
import type { RecordsRuntime } from '../src/server';
import { onEvent } from '../src/cases/on-event';
import { lockCallsOf } from '../src/cases/counting';
import { callEvents, envelope, startRecords, stopRecords } from './helpers';

jest.setTimeout(120_000);
process.env.LOG_LEVEL ??= 'warn';
const TZ = 'Asia/Shanghai';

describe('records applies a consumer chunk with statements per chunk', () => {
  let rt: RecordsRuntime;

  beforeAll(async () => {
    useTestAuthKeys();
    ({ rt } = await startRecords(TZ));
  });

  afterAll(async () => {
    await stopRecords(rt);
  });

  /** One event per transaction, as the consumer's one-by-one retries apply them. */
  const feed = async (events: (EventEnvelope | undefined)[]) => {
    for (const e of events) if (e) await rt.db.transaction((tx) => onEvent(e, tx, rt.registry, TZ));
  };

  /**
   * `events` in one chunk transaction, as the consumer applies a chunk: appends and rows deferred,
   * `prepare` (records' consumers.ts) before the handlers. @returns the statements the chunk sent
   */
  const chunk = async (events: (EventEnvelope | undefined)[]): Promise<number> => {
    const list = events.filter((e): e is EventEnvelope => e !== undefined);
    let statements = 0;
    const count = <F extends (...a: never[]) => unknown>(f: F) => ((...a: Parameters<F>) => (statements++, f(...a))) as F;
    // every statement of the transaction is counted, the deferred rows' flush at its end too
    const counted: RunInTransaction = (fn) => rt.db.transaction((tx) => fn({ ...tx, query: count(tx.query), select: count(tx.select), exec: count(tx.exec) }));
    await withDeferredRows(counted)(async (tx) => {
      deferAppends(tx);
      await lockCallsOf(tx, list);
      for (const e of list) await onEvent(e, tx, rt.registry, TZ);
      await flushAppends(tx);
    });
    return statements;
  };

  const casesOf = (callIds: string[]) =>
    rt.db.select<{ callId: string; caseNumber: string; category: string; subtype: string; district: string | null; version: number }>(
      'SELECT call_id, case_number, category, subtype, district, version FROM cases WHERE call_id = ANY($1::uuid[]) ORDER BY case_number',
      [callIds],
    );

  it('opens 20 cases of one chunk with a fixed number of statements, gapless, each under its call’s latest classification and district', async () => {
    const calls = Array.from({ length: 20 }, (_, i) =>
      callEvents({
        answeredAt: `2028-03-0${1 + (i % 5)}T02:00:00.000Z`,
        handedAt: `2028-03-0${1 + (i % 5)}T02:01:00.000Z`,
        category: 'dispute',
        subtype: 'neighbour-dispute',
        district: `D${i % 3}`,
        // every other call is reclassified before its incident is read
        ...(i % 2 ? { reclassifiedAt: `2028-03-0${1 + (i % 5)}T02:00:30.000Z`, to: { category: 'criminal', subtype: 'robbery' } } : {}),
      }),
    );
    for (const c of calls) await feed([c.received, c.located, c.classified, c.handed, c.reclassified]);

    const statements = await chunk(calls.map((c) => c.opened));
    // lock + case look-up (prepare), timeline read, counter, appends, cases + timeline rows in one
    // statement: 6 for any number of cases (7 with the rows of each table apart; 122 before 70929c0)
    expect(statements).toBe(6);

    const cases = await casesOf(calls.map((c) => c.callId));
    expect(cases).toHaveLength(20);
    const seqs = cases.map((c) => Number(c.caseNumber.slice(-6)));
    expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => seqs[0]! + i));
    expect(cases.every((c) => c.caseNumber.startsWith('JY-2028-') && Number(c.version) === 1)).toBe(true);
    const byCall = new Map(cases.map((c) => [c.callId, c]));
    calls.forEach((c, i) => {
      expect(byCall.get(c.callId)).toMatchObject(i % 2 ? { category: 'criminal', subtype: 'robbery', district: `D${i % 3}` } : { category: 'dispute', subtype: 'neighbour-dispute', district: `D${i % 3}` });
    });

    // redelivered in another chunk: nothing opens twice, the counter does not move
    const [before] = await rt.db.query<{ last: number }>('SELECT last FROM case_number_counters WHERE year = 2028');
    await chunk(calls.slice(0, 5).map((c) => c.opened));
    expect(await casesOf(calls.map((c) => c.callId))).toHaveLength(20);
    const [after] = await rt.db.query<{ last: number }>('SELECT last FROM case_number_counters WHERE year = 2028');
    expect(after).toEqual(before);
  });

  it('reclassifies and relocates in one chunk the cases that are open, and opens the others under the chunk’s classification later', async () => {
    const calls = Array.from({ length: 10 }, (_, i) =>
      callEvents({
        answeredAt: `2028-04-0${1 + (i % 3)}T02:00:00.000Z`,
        handedAt: `2028-04-0${1 + (i % 3)}T02:01:00.000Z`,
        category: 'dispute',
        subtype: 'neighbour-dispute',
        district: 'D1',
        reclassifiedAt: `2028-04-0${1 + (i % 3)}T02:20:00.000Z`,
        to: { category: 'criminal', subtype: 'theft' },
        relocatedTo: 'D9',
      }),
    );
    const open = calls.slice(0, 5);
    const later = calls.slice(5);
    for (const c of calls) await feed([c.received, c.located, c.classified, c.handed]);
    await chunk(open.map((c) => c.opened));
    // one chunk of the calls topic: every call reclassified and relocated, half of them with a case
    const statements = await chunk(calls.flatMap((c) => [c.reclassified, c.relocated]));
    // locks + the cases (prepare); before COMMIT one read of the relocated calls' locations and one
    // UPDATE of the five cases, then the timeline rows: 2 + 2 + 1 (18 when each event of a call
    // with a case sent its own UPDATE and location read; 28 before the case rows were kept from prepare)
    expect(statements).toBe(5);
    await chunk(later.map((c) => c.opened));
    const cases = await casesOf(calls.map((c) => c.callId));
    expect(cases).toHaveLength(10);
    for (const c of cases) expect(c).toMatchObject({ category: 'criminal', subtype: 'theft', district: 'D9' });
  });

  it('writes a case’s latest classification and location when one chunk holds several of its call, in any order', async () => {
    const c = callEvents({
      answeredAt: '2028-06-01T02:00:00.000Z',
      handedAt: '2028-06-01T02:01:00.000Z',
      category: 'dispute',
      subtype: 'neighbour-dispute',
      district: 'D1',
      reclassifiedAt: '2028-06-01T02:20:00.000Z',
      to: { category: 'criminal', subtype: 'robbery' },
      relocatedTo: 'D9',
    });
    await feed([c.received, c.located, c.classified, c.handed]);
    await chunk([c.opened]);
    const stream = `call-${c.callId}`;
    const later = envelope('CallClassified', 'intake', stream, 7, '2028-06-01T02:30:00.000Z', { ...(c.reclassified!.data as object), subtype: 'theft', classifiedAt: '2028-06-01T02:30:00.000Z' });
    const relocatedLast = envelope('CallLocated', 'intake', stream, 8, '2028-06-01T02:31:00.000Z', { callId: c.callId, district: 'D7', beat: 'D7-2', source: 'manual' });
    // the later classification and location come first in the chunk; the earlier ones cannot replace them
    const statements = await chunk([later, relocatedLast, c.reclassified, c.relocated]);
    expect(statements).toBe(5);
    const [row] = await rt.db.select<{ subtype: string; classifiedAt: Date; district: string; beat: string }>('SELECT subtype, classified_at, district, beat FROM cases WHERE call_id = $1::uuid', [c.callId]);
    expect(row).toMatchObject({ subtype: 'theft', district: 'D7', beat: 'D7-2' });
    expect(row!.classifiedAt.toISOString()).toBe('2028-06-01T02:30:00.000Z');
    // one event per transaction afterwards: an older location changes nothing — nor does any event
    // delivered again (the row is not even written: updated_at stays) — and a newer one moves it
    const updatedAt = async () => (await rt.db.select<{ updatedAt: Date }>('SELECT updated_at FROM cases WHERE call_id = $1::uuid', [c.callId]))[0]!.updatedAt.getTime();
    const before = await updatedAt();
    await feed([envelope('CallLocated', 'intake', stream, 3, '2028-06-01T02:05:00.000Z', { callId: c.callId, district: 'D3', source: 'manual' }), relocatedLast, later, c.reclassified, c.relocated]);
    expect((await rt.db.select<{ district: string; subtype: string }>('SELECT district, subtype FROM cases WHERE call_id = $1::uuid', [c.callId]))[0]).toMatchObject({ district: 'D7', subtype: 'theft' });
    expect(await updatedAt()).toBe(before);
    await feed([envelope('CallLocated', 'intake', stream, 9, '2028-06-01T02:40:00.000Z', { callId: c.callId, district: 'D4', source: 'manual' })]);
    expect((await rt.db.select<{ district: string; beat: string | null }>('SELECT district, beat FROM cases WHERE call_id = $1::uuid', [c.callId]))[0]).toMatchObject({ district: 'D4', beat: null });
  });

  it('breaks a tie of classifiedAt by stream order, whatever order the two arrive in and however often', async () => {
    const c = callEvents({ answeredAt: '2028-07-01T02:00:00.000Z', handedAt: '2028-07-01T02:01:00.000Z', category: 'dispute', subtype: 'neighbour-dispute', reclassifiedAt: '2028-07-01T02:20:00.000Z', to: { category: 'criminal', subtype: 'theft' } });
    await feed([c.received, c.classified, c.handed]);
    await chunk([c.opened]);
    const stream = `call-${c.callId}`;
    // two classifications at the same instant: the later in the call's stream (v6) counts
    const v6 = envelope('CallClassified', 'intake', stream, 6, '2028-07-01T02:20:00.000Z', { ...(c.reclassified!.data as object), subtype: 'robbery' });
    const subtype = async () => (await rt.db.select<{ subtype: string }>('SELECT subtype FROM cases WHERE call_id = $1::uuid', [c.callId]))[0]!.subtype;
    await chunk([v6, c.reclassified]);
    expect(await subtype()).toBe('robbery');
    // the earlier one delivered again, alone and in a chunk: robbery still
    await feed([c.reclassified]);
    await chunk([c.reclassified]);
    expect(await subtype()).toBe('robbery');
  });

  it('runs two chunks that lock the same calls in opposite orders at once without a deadlock', async () => {
    const calls = Array.from({ length: 12 }, (_, i) =>
      callEvents({
        answeredAt: `2028-05-01T0${i % 10}:00:00.000Z`,
        handedAt: `2028-05-01T0${i % 10}:01:00.000Z`,
        category: 'dispute',
        subtype: 'neighbour-dispute',
        reclassifiedAt: `2028-05-01T0${i % 10}:20:00.000Z`,
        to: { category: 'criminal', subtype: 'robbery' },
      }),
    );
    for (const c of calls) await feed([c.received, c.classified, c.handed]);
    // the dispatch partition opens the cases while the calls partition reclassifies them, reversed
    await Promise.all([chunk(calls.map((c) => c.opened)), chunk([...calls].reverse().map((c) => c.reclassified))]);
    const cases = await casesOf(calls.map((c) => c.callId));
    expect(cases).toHaveLength(12);
    for (const c of cases) expect(c).toMatchObject({ category: 'criminal', subtype: 'robbery' });
  });
});
