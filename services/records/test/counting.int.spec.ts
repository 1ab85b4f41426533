/**
 * The counting rule in records (issue 13 item 2; libs/contracts/src/counting.ts): a case is
 * listed and exported under its call's latest classification — also one made after the
 * hand-over — and on the local day its call was answered, as statistics counts the call.
 * Events are fed through records' consumer handler on the real PostgreSQL, one transaction each
 * as the Kafka consumer would (and two at once where the consumer's partitions race).
 */
import request from 'supertest';
import type { Express } from 'express';
import { parse } from 'csv-parse/sync';
import type { EventEnvelope } from '@cad110/contracts';
import { bearer } from '@cad110/testkit';
import type { RecordsRuntime } from '../src/server';
import { onEvent } from '../src/cases/on-event';
import { callEvents, startRecords, stopRecords } from './helpers';

jest.setTimeout(120_000);
process.env.LOG_LEVEL ??= 'warn';
const TZ = 'Asia/Shanghai';

describe('records counts a case as statistics counts its call', () => {
  let app: Express;
  let rt: RecordsRuntime;
  const analyst = bearer('analyst');

  const feed = async (events: (EventEnvelope | undefined)[]) => {
    for (const e of events) if (e) await rt.db.transaction((tx) => onEvent(e, tx, rt.registry, TZ));
  };
  const listed = async (query: string): Promise<string[]> => {
    const res = await request(app).get(`/cases?${query}&limit=500`).set('authorization', analyst).expect(200);
    return res.body.items.map((c: { callId: string }) => c.callId);
  };

  beforeAll(async () => {
    ({ rt, app } = await startRecords(TZ));
  });

  afterAll(async () => {
    await stopRecords(rt);
  });

  it('lists a case reclassified after the hand-over under the new category, in list and export', async () => {
    // 20 Nov 10:00 Shanghai: a dispute, handed over, then reclassified as a robbery
    const c = callEvents({ answeredAt: '2026-11-20T02:00:00.000Z', handedAt: '2026-11-20T02:01:00.000Z', category: 'dispute', subtype: 'neighbour-dispute', reclassifiedAt: '2026-11-20T02:20:00.000Z', to: { category: 'criminal', subtype: 'robbery' } });
    await feed([c.received, c.classified, c.handed, c.opened, c.reclassified]);
    expect(await listed('category=criminal&from=2026-11-20&to=2026-11-20')).toEqual([c.callId]);
    expect(await listed('category=dispute&from=2026-11-20&to=2026-11-20')).toEqual([]);
    expect(await listed('subtype=robbery')).toContain(c.callId);
    const csv = await request(app).get('/cases/export.csv?category=criminal&from=2026-11-20&to=2026-11-20').set('authorization', analyst).expect(200);
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.call_id, r.category, r.subtype])).toEqual([[c.callId, 'criminal', 'robbery']]);
  });

  it('follows the latest classification whatever order the calls and dispatch topics are read in', async () => {
    // the reclassification is read before the incident (another topic): the case opens under it
    const early = callEvents({ answeredAt: '2026-11-22T02:00:00.000Z', handedAt: '2026-11-22T02:01:00.000Z', category: 'dispute', subtype: 'neighbour-dispute', reclassifiedAt: '2026-11-22T02:20:00.000Z', to: { category: 'criminal', subtype: 'robbery' } });
    await feed([early.received, early.classified, early.handed, early.reclassified, early.opened]);
    // the first classification is read after the reclassification (a lagging consumer): ignored
    const late = callEvents({ answeredAt: '2026-11-22T03:00:00.000Z', handedAt: '2026-11-22T03:01:00.000Z', category: 'dispute', subtype: 'neighbour-dispute', reclassifiedAt: '2026-11-22T03:20:00.000Z', to: { category: 'criminal', subtype: 'robbery' } });
    await feed([late.received, late.handed, late.opened, late.reclassified, late.classified]);
    expect((await listed('category=criminal&from=2026-11-22&to=2026-11-22')).sort()).toEqual([early.callId, late.callId].sort());
    expect(await listed('category=dispute&from=2026-11-22&to=2026-11-22')).toEqual([]);
  });

  it('loses no reclassification consumed at the same time as the incident that opens the case', async () => {
    const calls = Array.from({ length: 6 }, (_, i) =>
      callEvents({ answeredAt: `2026-11-23T0${i}:00:00.000Z`, handedAt: `2026-11-23T0${i}:01:00.000Z`, category: 'dispute', subtype: 'neighbour-dispute', reclassifiedAt: `2026-11-23T0${i}:20:00.000Z`, to: { category: 'criminal', subtype: 'robbery' } }),
    );
    for (const c of calls) {
      await feed([c.received, c.classified, c.handed]);
      // the calls and the dispatch partitions are consumed concurrently, each in its own transaction
      await Promise.all([feed([c.opened]), feed([c.reclassified])]);
    }
    expect((await listed('category=criminal&from=2026-11-23&to=2026-11-23')).sort()).toEqual(calls.map((c) => c.callId).sort());
  });

  it('lists a call answered at 23:59:50 local and handed over after midnight on the day it was answered', async () => {
    const c = callEvents({ answeredAt: '2026-11-21T15:59:50.000Z', handedAt: '2026-11-21T16:00:10.000Z', category: 'criminal', subtype: 'theft' });
    await feed([c.received, c.classified, c.handed, c.opened]);
    expect(await listed('category=criminal&from=2026-11-21&to=2026-11-21')).toEqual([c.callId]);
    expect(await listed('from=2026-11-22&to=2026-11-22')).not.toContain(c.callId);
    const res = await request(app).get(`/cases?callId=${c.callId}`).set('authorization', analyst).expect(200);
    expect(res.body.items[0]).toMatchObject({ answeredAt: '2026-11-21T15:59:50.000Z', countingDay: '2026-11-21', openedAt: '2026-11-21T16:00:10.000Z' });
    const csv = await request(app).get('/cases/export.csv?from=2026-11-21&to=2026-11-21').set('authorization', analyst).expect(200);
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows.find((r) => r.call_id === c.callId)).toMatchObject({ answered_at_local: '2026-11-21T23:59:50.000+08:00' });
  });

  it('lists a case relocated after the hand-over under the new district, in list and export', async () => {
    const c = callEvents({ answeredAt: '2026-11-24T02:00:00.000Z', handedAt: '2026-11-24T02:01:00.000Z', category: 'criminal', subtype: 'theft', district: 'xicheng', relocatedTo: 'dongcheng' });
    await feed([c.received, c.located, c.classified, c.handed, c.opened]);
    expect(await listed('district=xicheng&from=2026-11-24&to=2026-11-24')).toEqual([c.callId]);
    await feed([c.relocated]);
    expect(await listed('district=dongcheng&from=2026-11-24&to=2026-11-24')).toEqual([c.callId]);
    expect(await listed('district=xicheng&from=2026-11-24&to=2026-11-24')).toEqual([]);
    const csv = await request(app).get('/cases/export.csv?district=dongcheng&from=2026-11-24&to=2026-11-24').set('authorization', analyst).expect(200);
    const rows = parse(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.call_id, r.district])).toEqual([[c.callId, 'dongcheng']]);
  });

  it('follows the latest location whatever order the calls and dispatch topics are read in, also when relocated concurrently', async () => {
    // the relocation is read before the incident (another topic): the case opens under it
    const early = callEvents({ answeredAt: '2026-11-25T02:00:00.000Z', handedAt: '2026-11-25T02:01:00.000Z', category: 'criminal', subtype: 'theft', district: 'xicheng', relocatedTo: 'dongcheng' });
    await feed([early.received, early.located, early.classified, early.handed, early.relocated, early.opened]);
    // the first location read after the relocation (a replay): ignored, it is earlier in the stream
    const late = callEvents({ answeredAt: '2026-11-25T03:00:00.000Z', handedAt: '2026-11-25T03:01:00.000Z', category: 'criminal', subtype: 'theft', district: 'xicheng', relocatedTo: 'dongcheng' });
    await feed([late.received, late.classified, late.handed, late.opened, late.relocated, late.located]);
    const racing = Array.from({ length: 4 }, (_, i) =>
      callEvents({ answeredAt: `2026-11-25T0${4 + i}:00:00.000Z`, handedAt: `2026-11-25T0${4 + i}:01:00.000Z`, category: 'criminal', subtype: 'theft', district: 'xicheng', relocatedTo: 'dongcheng' }),
    );
    for (const c of racing) {
      await feed([c.received, c.located, c.classified, c.handed]);
      await Promise.all([feed([c.opened]), feed([c.relocated])]);
    }
    expect((await listed('district=dongcheng&from=2026-11-25&to=2026-11-25')).sort()).toEqual([early, late, ...racing].map((c) => c.callId).sort());
    expect(await listed('district=xicheng&from=2026-11-25&to=2026-11-25')).toEqual([]);
  });
});
