/**
 * Statistics and records agree for the same filter (issue 13 item 2), through the running
 * services (intake → dispatch → records, statistics; real broker and PostgreSQL). Both follow
 * the counting rule of libs/contracts/src/counting.ts (statistics README, "What counts where"):
 * a call counts under its latest classification, under the district of its latest location and on
 * the local day it was answered.
 *
 * The calls, all answered on 20 Nov 2026 in Asia/Shanghai:
 * - A: answered 10:00 as public-order/disturbance, handed over, then RECLASSIFIED after the
 *   hand-over as criminal/robbery;
 * - B: criminal/theft answered at 23:59:50, handed over at 00:00:10 on 21 Nov (after midnight);
 * - N: criminal/theft answered at 12:00 and NEVER handed over (still with the call taker).
 * And D, answered on 19 Nov 11:00 in district xicheng, handed over, then RELOCATED after the
 * hand-over to district dongcheng: both services count it under dongcheng only.
 *
 * Records holds cases, one per call handed over; statistics counts calls. N has no case, so
 * records CANNOT hold it: by the rule, records' count for a filter = statistics' count of the
 * calls of that filter that were handed over = statistics' count − the calls of the filter never
 * handed over (here N, in the filters that match it). Every filter below is compared that way.
 */
import { randomUUID } from 'node:crypto';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId, waitFor } from '@cad110/testkit';
import { Stack } from '../src';

jest.setTimeout(300_000);

const ZONE = 'Asia/Shanghai';
const DAY = '2026-11-20';
const NEXT_DAY = '2026-11-21';
const D_DAY = '2026-11-19';

interface Posted {
  name: string;
  callId: string;
  /** the counting classification and day the test expects (the rule) */
  category: string;
  subtype: string;
  day: string;
  handedOver: boolean;
  /** the counting district (the latest location's), when the call was located */
  district?: string;
}

describe('statistics and records count the same calls for the same filter', () => {
  let stack: Stack;
  let taker: string;
  let analyst: string;
  const calls: Posted[] = [];

  async function http<T>(method: string, url: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await fetch(url, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, ...(body ? { body: JSON.stringify(body) } : {}) });
    if (!res.ok) throw new Error(`${method} ${url} → ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  async function post(name: string, body: Record<string, unknown>, expected: Omit<Posted, 'name' | 'callId'>): Promise<Posted> {
    const r = await http<{ callId: string }>('POST', `${stack.url('intake')}/calls`, taker, { channel: '110', ...body }, { 'idempotency-key': randomUUID() });
    const p = { name, callId: r.callId, ...expected };
    calls.push(p);
    return p;
  }

  /** statistics: calls of the filter (`scope=calls`), from the figure's own rows */
  async function statsCount(f: { category?: string; subtype?: string; day: string }): Promise<number> {
    const by = f.subtype ? 'subtype' : 'category';
    const q = new URLSearchParams({ by, scope: 'calls', from: f.day, to: f.day, ...(f.subtype && f.category ? { category: f.category } : {}) });
    const r = await http<{ rows: { key: string | null; count: number }[] }>('GET', `${stack.url('statistics')}/stats/counts?${q}`, analyst);
    return r.rows.find((row) => row.key === (f.subtype ?? f.category))?.count ?? 0;
  }

  /** records: cases of the filter (the list's total) */
  async function recordsCount(f: { category?: string; subtype?: string; day: string }): Promise<number> {
    const q = new URLSearchParams({ from: f.day, to: f.day, ...(f.category ? { category: f.category } : {}), ...(f.subtype ? { subtype: f.subtype } : {}) });
    return (await http<{ total: number }>('GET', `${stack.url('records')}/cases?${q}`, analyst)).total;
  }

  /** statistics: calls of a district on a day (`by=district`) */
  async function statsByDistrict(district: string, day: string): Promise<number> {
    const q = new URLSearchParams({ by: 'district', scope: 'calls', from: day, to: day });
    const r = await http<{ rows: { key: string | null; count: number }[] }>('GET', `${stack.url('statistics')}/stats/counts?${q}`, analyst);
    return r.rows.find((row) => row.key === district)?.count ?? 0;
  }

  /** records: cases listed under a district on a day */
  async function recordsByDistrict(district: string, day: string): Promise<number> {
    const q = new URLSearchParams({ district, from: day, to: day });
    return (await http<{ total: number }>('GET', `${stack.url('records')}/cases?${q}`, analyst)).total;
  }

  beforeAll(async () => {
    stack = new Stack({ brokers: kafkaBrokers().join(','), topicPrefix: `${uniqueId('e2c')}.`, dbPrefix: uniqueId('cad110e2c_'), fresh: true, timeZone: ZONE, env: { LOG_LEVEL: 'warn' } });
    await stack.start();
    taker = stack.token('call_taker', 'taker-cnt');
    analyst = stack.token('analyst', 'analyst-cnt');

    const a = await post(
      'A reclassified after the hand-over',
      { answeredAt: '2026-11-20T02:00:00.000Z', handedAt: '2026-11-20T02:01:00.000Z', classification: { subtype: 'disturbance' }, handToDispatch: true },
      { category: 'criminal', subtype: 'robbery', day: DAY, handedOver: true },
    );
    await post(
      'B answered 23:59:50, handed over after midnight',
      { answeredAt: '2026-11-20T15:59:50.000Z', handedAt: '2026-11-20T16:00:10.000Z', classification: { subtype: 'theft' }, handToDispatch: true },
      { category: 'criminal', subtype: 'theft', day: DAY, handedOver: true },
    );
    await post('N never handed over', { answeredAt: '2026-11-20T04:00:00.000Z', classification: { subtype: 'theft' } }, { category: 'criminal', subtype: 'theft', day: DAY, handedOver: false });
    const d = await post(
      'D relocated after the hand-over',
      { answeredAt: '2026-11-19T03:00:00.000Z', handedAt: '2026-11-19T03:01:00.000Z', classification: { subtype: 'theft' }, location: { district: 'xicheng' }, handToDispatch: true },
      { category: 'criminal', subtype: 'theft', day: D_DAY, handedOver: true, district: 'dongcheng' },
    );

    // A's and D's cases must exist before the reclassification / relocation, so that they really come after the hand-over
    await waitFor(async () => (await recordsCount({ day: DAY })) >= 1, { timeoutMs: 120_000, message: "A's case in records" });
    await http('POST', `${stack.url('intake')}/calls/${a.callId}/classification`, taker, { subtype: 'robbery', reason: 'the caller reports a knife: a robbery, not a disturbance' }, { 'if-match': '*' });
    await waitFor(async () => (await recordsByDistrict('xicheng', D_DAY)) === 1, { timeoutMs: 120_000, message: "D's case in records under its hand-over district" });
    await http('POST', `${stack.url('intake')}/calls/${d.callId}/location`, taker, { district: 'dongcheng', source: 'manual' }, { 'if-match': '*' });

    // settled: both cases in records with A's second classification on its timeline; statistics has all three calls and A's reclassification
    await waitFor(
      async () => {
        const list = await http<{ items: { id: string; callId: string }[] }>('GET', `${stack.url('records')}/cases?limit=50`, analyst);
        const caseA = list.items.find((c) => c.callId === a.callId);
        const caseD = list.items.find((c) => c.callId === d.callId);
        if (list.items.length !== 3 || !caseA || !caseD) return false;
        const t = await http<{ entries: { type: string }[] }>('GET', `${stack.url('records')}/cases/${caseA.id}/timeline`, analyst);
        const tD = await http<{ entries: { type: string }[] }>('GET', `${stack.url('records')}/cases/${caseD.id}/timeline`, analyst);
        return t.entries.filter((e) => e.type === 'CallClassified').length === 2 && tD.entries.filter((e) => e.type === 'CallLocated').length === 2;
      },
      { timeoutMs: 120_000, message: 'records consumed the three cases, the reclassification and the relocation' },
    );
    await waitFor(async () => (await statsByDistrict('dongcheng', D_DAY)) === 1, { timeoutMs: 120_000, message: "statistics counted D's relocation" });
    await waitFor(async () => (await statsCount({ category: 'criminal', subtype: 'robbery', day: DAY })) === 1 && (await statsCount({ category: 'criminal', day: DAY })) === 3, {
      timeoutMs: 120_000,
      message: 'statistics counted the three calls and the reclassification',
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await stack?.dropDatabases();
  });

  const filters = [
    { name: 'criminal on the answer day', category: 'criminal', day: DAY },
    { name: 'robbery (A after its reclassification) on the answer day', category: 'criminal', subtype: 'robbery', day: DAY },
    { name: 'theft on the answer day (B and N)', category: 'criminal', subtype: 'theft', day: DAY },
    { name: "public-order (A's category at the hand-over)", category: 'public-order', day: DAY },
    { name: "criminal on B's hand-over day", category: 'criminal', day: NEXT_DAY },
  ];

  it.each(filters)('gives records = statistics − the calls never handed over: $name', async (f) => {
    const matching = calls.filter((c) => c.day === f.day && c.category === f.category && (!f.subtype || c.subtype === f.subtype));
    // records cannot hold a call never handed over (no case): N, where the filter matches it
    const neverHandedOver = matching.filter((c) => !c.handedOver).length;
    const stats = await statsCount(f);
    const records = await recordsCount(f);
    expect({ stats, records, neverHandedOver }).toEqual({ stats: matching.length, records: matching.length - neverHandedOver, neverHandedOver });
    expect(records).toBe(stats - neverHandedOver);
  });

  it("shows each handed-over call's case under the rule's classification and day; the call never handed over has none", async () => {
    for (const c of calls) {
      const { items } = await http<{ items: { category: string; subtype: string; countingDay: string; district?: string }[] }>('GET', `${stack.url('records')}/cases?callId=${c.callId}`, analyst);
      if (c.handedOver) expect({ name: c.name, ...items[0] }).toMatchObject({ name: c.name, category: c.category, subtype: c.subtype, countingDay: c.day, ...(c.district ? { district: c.district } : {}) });
      else expect({ name: c.name, cases: items.length }).toEqual({ name: c.name, cases: 0 });
    }
  });

  it('counts exactly equal where every call of the filter was handed over', async () => {
    for (const f of [filters[1]!, filters[3]!, filters[4]!]) expect(await recordsCount(f)).toBe(await statsCount(f));
    expect(await statsCount(filters[1]!)).toBe(1);
  });

  it.each([
    { district: 'dongcheng', expected: 1 },
    { district: 'xicheng', expected: 0 },
  ])('gives records = statistics for a district filter over a call relocated after the hand-over: $district', async ({ district, expected }) => {
    const stats = await statsByDistrict(district, D_DAY);
    const records = await recordsByDistrict(district, D_DAY);
    expect({ district, stats, records }).toEqual({ district, stats: expected, records: expected });
  });
});
