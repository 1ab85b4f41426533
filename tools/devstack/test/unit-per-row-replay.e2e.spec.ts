/**
 * A unit-per-row source (the committed fire/EMS fixture, tools/importer/test/fixtures: one row per
 * responding unit, US 12-hour times, WKT points) replayed through the real pipeline — the four
 * services on the real broker and PostgreSQL — with the importer's planned dispatch-history
 * replay (issue 18): every unit of a call on its incident with its own times, a unit sent after
 * the last one cleared reopening the incident (IncidentReopened), statistics' response times from
 * the first dispatch and the first arrival of any unit by definition, and the source's own call
 * types and groups counted as statistics dimensions.
 *
 * The expected response times are worked out by hand from the fixture's CSV text (local
 * America/Los_Angeles times, seconds):
 *   163660001 Structure Fire: received 23:57:56, first dispatch 23:59:10 (E01, T01), first on scene 00:03:05 (E01)
 *             → processing 74, travel 235, total 309
 *   163660002 Medical: received 00:06:00, first dispatch 00:07:00 (M12), first on scene 00:15:00 (M55, the
 *             second unit sent) → 60, 480, 540
 *   163660003 Alarms: 00:20:00, 00:21:00, 00:26:00 → 60, 300, 360 (E09 sent at 00:50 after E07 cleared at 00:35: reopened)
 *   163660004 Outside Fire: 00:30:00, 00:31:00, 00:36:00 → 60, 300, 360 (location outside the area: not posted)
 *   163660005 Traffic Collision: month 13 → rejected by the mapping, not replayed
 *   163660006 Medical: 00:40:00, 00:41:00, never on scene → 60, –, –
 *   163660007 Gas Leak (no call-type entry → default subtype): 00:45:00, 00:46:00, 00:52:00 → 60, 360, 420
 */
import { join } from 'node:path';
import { loadTaxonomy } from '@cad110/contracts';
import { loadMapping, postCalls, readCalls, replayDispatchHistory, type ReplayDispatchResult } from '@cad110/importer';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId, waitFor } from '@cad110/testkit';
import { Stack, waitForPipeline } from '../src';

jest.setTimeout(600_000);

const FIX = join(__dirname, '..', '..', 'importer', 'test', 'fixtures');

describe('a unit-per-row source replayed unit by unit through the real pipeline (issue 18)', () => {
  const taxonomy = loadTaxonomy();
  const mapping = loadMapping(join(FIX, 'fire-ems-units.mapping.jsonc'), taxonomy);
  let stack: Stack;
  let replay: ReplayDispatchResult;
  const get = async (svc: 'dispatch' | 'statistics', path: string, token: string) => {
    const r = await fetch(`${stack.url(svc)}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!r.ok) throw new Error(`GET ${path} → ${r.status} ${await r.text()}`);
    return r.json() as Promise<any>;
  };

  beforeAll(async () => {
    stack = new Stack({ brokers: kafkaBrokers().join(','), topicPrefix: `${uniqueId('e2u')}.`, dbPrefix: uniqueId('cad110e2u_'), fresh: true, timeZone: mapping.timeZone, env: { LOG_LEVEL: 'warn' } });
    await stack.start();
    const { calls, rejected } = await readCalls(join(FIX, 'fire-ems-units.csv'), mapping, taxonomy);
    expect({ calls: calls.length, rejected: rejected.length }).toEqual({ calls: 6, rejected: 1 });
    const posted = await postCalls(calls, { intakeUrl: stack.url('intake'), concurrency: 4, progress: false, headers: { authorization: `Bearer ${stack.token('call_taker', 'importer')}` } });
    expect(posted.failed).toEqual([]);
    expect((await waitForPipeline(stack, { incidents: 6, cases: 6, statsTotal: 6 }, 180_000)).reached).toBe(true);
    replay = await replayDispatchHistory(calls, posted.accepted, { dispatchUrl: stack.url('dispatch'), headers: { authorization: `Bearer ${stack.token('supervisor', 'importer')}` }, mode: 'planned', concurrency: 8 });
  });

  afterAll(async () => {
    await stack?.stop();
    if (stack) await stack.dropDatabases();
  });

  it('puts every responding unit on its incident with its own times; a unit sent after the last one cleared reopens it', async () => {
    // 13 unit rows with a dispatch time in the six calls; M55 overlaps itself (sent to 163660002 before it was available from 163660001): a replay unit takes that row
    expect(replay).toMatchObject({ incidents: 6, dispatched: 13, reopened: 1, failed: [] });
    const token = stack.token('dispatcher', 'e2e');
    const incidentOf = async (id: string) => {
      const list = await get('dispatch', `/incidents?externalSource=fixture-fire-ems&externalId=${id}&limit=1`, token);
      return get('dispatch', `/incidents/${list.items[0].id}`, token);
    };
    const fire = await incidentOf('163660001');
    expect(fire).toMatchObject({ status: 'closed', firstDispatchedAt: '2017-01-01T07:59:10.000Z', firstOnSceneAt: '2017-01-01T08:03:05.000Z' });
    const byDispatch = (a: any[], b: any[]) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : 1);
    expect(fire.units.map((u: any) => [u.unitId, u.dispatchedAt, u.onSceneAt, u.clearedAt]).sort(byDispatch)).toEqual([
      ['E01', '2017-01-01T07:59:10.000Z', '2017-01-01T08:03:05.000Z', '2017-01-01T08:40:00.000Z'],
      ['T01', '2017-01-01T07:59:10.000Z', '2017-01-01T08:04:30.000Z', '2017-01-01T08:35:00.000Z'],
      ['B01', '2017-01-01T07:59:12.000Z', '2017-01-01T08:06:00.000Z', '2017-01-01T08:45:00.000Z'],
      ['M55', '2017-01-01T08:01:00.000Z', null, '2017-01-01T08:08:00.000Z'],
      ['E03', '2017-01-01T08:02:00.000Z', '2017-01-01T08:07:00.000Z', '2017-01-01T08:30:00.000Z'],
    ]);
    const alarm = await incidentOf('163660003');
    expect(alarm).toMatchObject({ status: 'closed', firstDispatchedAt: '2017-01-01T08:21:00.000Z', firstOnSceneAt: '2017-01-01T08:26:00.000Z' });
    expect(alarm.units.map((u: any) => [u.unitId, u.dispatchedAt, u.clearedAt]).sort(byDispatch)).toEqual([
      ['E07', '2017-01-01T08:21:00.000Z', '2017-01-01T08:35:00.000Z'],
      ['E09', '2017-01-01T08:50:00.000Z', '2017-01-01T09:05:00.000Z'],
    ]);
  });

  it("computes response times from the first dispatch and the first arrival of any unit (statistics' definition)", async () => {
    const token = stack.token('analyst', 'e2e');
    const rows = await waitFor(
      async () => {
        const r = (await get('statistics', '/stats/response-times?by=none', token)).rows as { measure: string; n: number }[];
        return r.find((x) => x.measure === 'travel')?.n === 5 ? r : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, message: 'statistics counted the replayed arrivals' },
    );
    const by = (m: string) => rows!.find((x) => x.measure === m);
    // nearest rank over processing [60×5, 74], travel [235, 300, 300, 360, 480], total [309, 360, 360, 420, 540]
    expect(by('processing')).toMatchObject({ n: 6, p50: 60, p90: 74, p95: 74 });
    expect(by('travel')).toMatchObject({ n: 5, p50: 300, p90: 480, p95: 480 });
    expect(by('total')).toMatchObject({ n: 5, p50: 360, p90: 540, p95: 540 });
  });

  it("counts the calls by the source's own call type and call-type group", async () => {
    const token = stack.token('analyst', 'e2e');
    expect((await get('statistics', '/stats/counts?by=source-code', token)).rows).toEqual([
      { key: 'Alarms', count: 1 },
      { key: 'Gas Leak (Natural and LP Gases)', count: 1 },
      { key: 'Medical Incident', count: 2 },
      { key: 'Outside Fire', count: 1 },
      { key: 'Structure Fire', count: 1 },
    ]);
    expect((await get('statistics', '/stats/counts?by=source-group', token)).rows).toEqual([
      { key: 'Alarm', count: 1 },
      { key: 'Fire', count: 3 },
      { key: 'Potentially Life-Threatening', count: 2 },
    ]);
    expect((await get('statistics', '/stats/counts?by=source-code&sourceGroup=Fire', token)).rows).toEqual([
      { key: 'Gas Leak (Natural and LP Gases)', count: 1 },
      { key: 'Outside Fire', count: 1 },
      { key: 'Structure Fire', count: 1 },
    ]);
  });
});
