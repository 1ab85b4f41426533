import { existsSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { Express } from 'express';
import { loadTaxonomy } from '@cad110/contracts';
import { haversineMetres } from '@cad110/geo';
import { loadMapping, readCalls, type MappedCall } from '@cad110/importer';
import { sharedPath } from '@cad110/testkit';
import { loadCategoryCompatibility } from '../src/duplicates/rules';
import { callTaker, createCall, startIntake } from './harness';

const ROOT = join(__dirname, '..', '..', '..');
/** The full Minneapolis file in ../shared (the bundled 2,000-row slice of the same file when absent). */
const CSV = [sharedPath('data/calls/minneapolis-mpd-911-cad.csv'), join(ROOT, 'data', 'calls', 'minneapolis-mpd-911-cad.slice-2000.csv')].find(existsSync)!;
const ROWS = 450;
const RADIUS = 200;
const WINDOW = 900;

/**
 * Duplicate detection on real Minneapolis calls (coordinates rounded by the source to 0.001°):
 * the lookup must propose exactly the pairs within 200 m and 15 min with compatible categories
 * — computed here by brute force over every pair — and nothing else.
 */
describe('duplicate detection on real calls', () => {
  let app: Express;
  let h: Awaited<ReturnType<typeof startIntake>>;
  let calls: (MappedCall & { callId: string })[];
  const taxonomy = loadTaxonomy();
  const compat = loadCategoryCompatibility(taxonomy);

  beforeAll(async () => {
    h = await startIntake();
    app = h.app;
    const { calls: mapped } = await readCalls(CSV, loadMapping('minneapolis-mpd', taxonomy), taxonomy, ROWS);
    calls = [];
    for (const c of mapped) {
      const { callId } = await createCall(app, c.body as unknown as Record<string, unknown>);
      calls.push({ ...c, callId });
    }
  }, 240_000);
  afterAll(() => h.stop());

  it(`proposes exactly the pairs within ${RADIUS} m and ${WINDOW / 60} min with compatible categories (brute force over every pair)`, async () => {
    const expected = new Map<string, Set<string>>();
    let nearButLate = 0;
    let soonButFar = 0;
    let nearSoonIncompatible = 0;
    for (const a of calls) {
      const set = new Set<string>();
      for (const b of calls) {
        if (a === b || a.body.location?.lat === undefined || b.body.location?.lat === undefined) continue;
        const d = haversineMetres({ lat: a.body.location.lat, lon: a.body.location.lon! }, { lat: b.body.location.lat, lon: b.body.location.lon! });
        const dt = Math.abs(Date.parse(a.body.answeredAt) - Date.parse(b.body.answeredAt)) / 1000;
        const rel = compat.relate({ category: a.category, subtype: a.subtype }, { category: b.category, subtype: b.subtype });
        if (d <= RADIUS && dt <= WINDOW && rel !== 'incompatible') set.add(b.callId);
        else if (d <= RADIUS && dt > WINDOW && dt < 4 * WINDOW) nearButLate++;
        else if (d > RADIUS && d < 3 * RADIUS && dt <= WINDOW) soonButFar++;
        else if (d <= RADIUS && dt <= WINDOW) nearSoonIncompatible++;
      }
      expected.set(a.callId, set);
    }
    const pairs = [...expected.values()].reduce((n, s) => n + s.size, 0);
    // the slice must exercise every case, or this test proves nothing
    expect(pairs).toBeGreaterThanOrEqual(10);
    expect(nearButLate).toBeGreaterThan(0);
    expect(soonButFar).toBeGreaterThan(0);
    expect(nearSoonIncompatible).toBeGreaterThan(0);

    let proposed = 0;
    for (const a of calls) {
      const res = await request(app).get(`/calls/${a.callId}/duplicates?limit=50`).set('authorization', callTaker()).expect(200);
      const got = new Set<string>(res.body.candidates.map((c: { callId: string }) => c.callId));
      expect({ call: a.body.externalRef.id, candidates: [...got].sort() }).toEqual({ call: a.body.externalRef.id, candidates: [...expected.get(a.callId)!].sort() });
      for (const c of res.body.candidates) {
        expect(c.distanceMetres).toBeLessThanOrEqual(RADIUS);
        expect(c.secondsApart).toBeLessThanOrEqual(WINDOW);
        expect(c.score).toBeGreaterThan(0);
        expect(c.score).toBeLessThanOrEqual(1);
        expect(c.reasons).toEqual(expect.arrayContaining(['near', 'close-in-time']));
      }
      proposed += got.size;
    }
    expect(proposed).toBe(pairs);
  }, 240_000);

  it('the typing-time search finds the same candidates for a real call\'s point and time before the call exists', async () => {
    const a = calls.find((c) => c.body.location?.lat !== undefined && calls.some((b) => b !== c && b.body.location?.lat === c.body.location?.lat && b.body.location?.lon === c.body.location?.lon && Math.abs(Date.parse(b.body.answeredAt) - Date.parse(c.body.answeredAt)) <= WINDOW * 1000))!;
    expect(a).toBeDefined();
    const byId = await request(app).get(`/calls/${a.callId}/duplicates?limit=50`).set('authorization', callTaker()).expect(200);
    const search = await request(app)
      .post('/duplicates/search')
      .set('authorization', callTaker())
      .send({ at: a.body.answeredAt, lat: a.body.location!.lat, lon: a.body.location!.lon, subtype: a.subtype, excludeCallId: a.callId, limit: 50 })
      .expect(200);
    expect(search.body.candidates).toEqual(byId.body.candidates);
    expect(search.body.candidates.length).toBeGreaterThan(0);
  });

  it('proposes calls from the same caller number within the window wherever they are, and not outside it', async () => {
    const t0 = Date.now() - 3600_000;
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();
    const first = await createCall(app, { answeredAt: at(0), caller: { number: '138 0000 9999' }, location: { lat: 31.2, lon: 121.4 }, classification: { subtype: 'noise' } });
    const second = await createCall(app, { answeredAt: at(600), caller: { number: '13800009999' }, location: { lat: 31.3, lon: 121.5 }, classification: { subtype: 'illegal-parking' } });
    const third = await createCall(app, { answeredAt: at(1400), caller: { number: '13800009999' } });
    const d2 = await request(app).get(`/calls/${second.callId}/duplicates`).set('authorization', callTaker()).expect(200);
    expect(d2.body.candidates.map((c: { callId: string }) => c.callId).sort()).toEqual([first.callId, third.callId].sort());
    const f = d2.body.candidates.find((c: { callId: string }) => c.callId === first.callId);
    // 14.6 km away and an incompatible category: proposed only because of the caller number
    expect(f).toMatchObject({ secondsApart: 600, reasons: ['same-caller-number', 'close-in-time'] });
    expect(f.distanceMetres).toBeGreaterThan(10_000);
    const d3 = await request(app).get(`/calls/${third.callId}/duplicates`).set('authorization', callTaker()).expect(200);
    expect(d3.body.candidates.map((c: { callId: string }) => c.callId)).toEqual([second.callId]);
    expect(d3.body.candidates[0].distanceMetres).toBeNull();
    // the typing-time form, caller number in the body (never in the URL)
    const s = await request(app).post('/duplicates/search').set('authorization', callTaker()).set('idempotency-key', 'search-1').send({ at: at(700), callerNumber: '138-0000-9999' }).expect(200);
    expect(s.body.candidates.map((c: { callId: string }) => c.callId).sort()).toEqual([first.callId, second.callId, third.callId].sort());
    const replay = await request(app).post('/duplicates/search').set('authorization', callTaker()).set('idempotency-key', 'search-1').send({ at: at(700), callerNumber: '138-0000-9999' }).expect(200);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.body).toEqual(s.body);
    // a radius and window can be asked per request
    const wide = await request(app).get(`/calls/${third.callId}/duplicates?windowSeconds=1800`).set('authorization', callTaker()).expect(200);
    expect(wide.body.windowSeconds).toBe(1800);
    expect(wide.body.candidates.map((c: { callId: string }) => c.callId).sort()).toEqual([first.callId, second.callId].sort());
  });
});
