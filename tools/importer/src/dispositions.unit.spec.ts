import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse';
import { loadTaxonomy } from '@cad110/contracts';
import { itWithShared, sharedPath } from '@cad110/testkit';
import { loadMapping } from './mapping';
import { dispositionOf } from './map-row';
import { replayDispositions } from './replay-dispositions';

const taxonomy = loadTaxonomy();
const SHARED = sharedPath('data/calls');
const mpls = loadMapping('minneapolis-mpd', taxonomy);
const sd = loadMapping('san-diego-pd', taxonomy);

async function rows(file: string): Promise<Record<string, string>[]> {
  const out: Record<string, string>[] = [];
  for await (const r of createReadStream(file).pipe(parse({ columns: true, bom: true })) as AsyncIterable<Record<string, string>>) out.push(r);
  return out;
}

describe('source dispositions onto DispositionCode + counts', () => {
  itWithShared('maps every Call_Disposition of the Minneapolis file (empty ones record nothing)', [`data/calls/${mpls.dataset}`], async () => {
    const file = join(SHARED, mpls.dataset);
    const all = await rows(file);
    const kinds = { outcome: 0, none: 0, unmapped: 0 };
    for (const r of all) {
      const d = dispositionOf(r, mpls)!;
      kinds[d.kind]++;
      if (d.kind === 'none') expect(r.Call_Disposition).toBe('');
      if (d.kind === 'outcome' && r.Time_CallClosed) expect(d.at).toMatch(/^2020-0[67]-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    }
    expect(kinds.unmapped).toBe(0);
    expect(kinds.none).toBe(all.filter((r) => !r.Call_Disposition && !(r.Cancel_Reason ?? '').startsWith('REFER')).length);
  });

  itWithShared('knows every code of the San Diego lookup and every value of its calls file but the unlisted DEF', ['data/calls/san-diego-pd-disposition-codes.csv', `data/calls/${sd.dataset}`], async () => {
    const lookup = join(SHARED, 'san-diego-pd-disposition-codes.csv');
    const codes = (await rows(lookup)).map((r) => r.dispo_code!);
    expect(codes.filter((c) => !(c in sd.dispositions!.codes))).toEqual([]);
    const unmapped = new Set<string>();
    for (const r of await rows(join(SHARED, sd.dataset))) {
      const d = dispositionOf(r, sd)!;
      if (d.kind === 'unmapped') unmapped.add(d.sourceCode);
    }
    expect([...unmapped]).toEqual(['DEF']);
  });

  const mplsRow = (disposition: string, extra: Record<string, string> = {}) => ({ Call_Disposition: disposition, Cancel_Reason: '', Time_CallClosed: '2020-07-13 23:10:05', ...extra });

  it.each([
    ['BKG-Booking', { codes: ['suspects-caught'], suspectsCaught: 1, peopleRescued: 0 }],
    ['RPT-Report', { codes: ['solved'], suspectsCaught: 0 }],
    ['ADV-Advised', { codes: ['advice-given'] }],
    ['FAL-False', { codes: ['false-report'] }],
    ['AOK- All OK,GOA-Gone on Arriva', { codes: ['no-offence-found'] }], // unresolved dropped beside an outcome
    ['AST-Assist,AST-Assist,AST-Assi', { codes: ['solved'] }], // repeated and cut values
  ])('Minneapolis %s', (value, expected) => {
    const d = dispositionOf(mplsRow(value), mpls);
    expect(d).toMatchObject({ kind: 'outcome', sourceCode: value, at: '2020-07-14T04:10:05.000Z', outcome: expected });
  });

  it('Minneapolis: a cancel referred to another agency is a transfer; no close time means none given', () => {
    expect(dispositionOf(mplsRow('CNL-Cancel', { Cancel_Reason: 'REFER-Refer to Other Agency', Time_CallClosed: '' }), mpls)).toEqual({ kind: 'outcome', sourceCode: 'CNL-Cancel', outcome: expect.objectContaining({ codes: ['transferred'] }) });
  });

  it.each([
    ['A', { kind: 'outcome', outcome: { codes: ['suspects-caught'], suspectsCaught: 1 } }],
    ['K', { kind: 'outcome', outcome: { codes: ['solved'] } }],
    ['U', { kind: 'outcome', outcome: { codes: ['no-offence-found'] } }],
    ['X', { kind: 'outcome', outcome: { codes: ['false-report'] } }],
    ['DUP', { kind: 'none' }],
    ['', { kind: 'none' }],
    ['DEF', { kind: 'unmapped', unknown: ['DEF'] }],
  ])('San Diego %j', (value, expected) => {
    const d = dispositionOf({ disposition: value }, sd);
    expect(d).toMatchObject(expected);
    expect(d).not.toHaveProperty('at'); // the file has no close time
  });
});

describe('replayDispositions without a records service', () => {
  it('refuses a close time in the future and skips rows with nothing to record, before calling records', async () => {
    const r = await replayDispositions(
      [
        { externalId: 'F1', callId: '00000000-0000-4000-8000-000000000001', handedToDispatch: true, disposition: { kind: 'outcome', sourceCode: 'A', outcome: { codes: ['suspects-caught'], suspectsCaught: 1, peopleRescued: 0 }, at: '2031-01-01T00:00:00.000Z' } },
        { externalId: 'N1', callId: '00000000-0000-4000-8000-000000000002', handedToDispatch: true, disposition: { kind: 'none', sourceCode: 'DUP' } },
        { externalId: 'T1', callId: '00000000-0000-4000-8000-000000000003', handedToDispatch: false, disposition: { kind: 'outcome', sourceCode: 'K', outcome: { codes: ['solved'], suspectsCaught: 0, peopleRescued: 0 } } },
        { externalId: 'U1', callId: '00000000-0000-4000-8000-000000000004', handedToDispatch: true, disposition: { kind: 'unmapped', sourceCode: 'DEF', unknown: ['DEF'] } },
      ],
      { recordsUrl: 'http://127.0.0.1:9', now: () => new Date('2026-11-30T00:00:00Z') },
    );
    expect(r).toMatchObject({ recorded: 0, closed: 0, skipped: 2, unmapped: [{ externalId: 'U1', sourceCode: 'DEF' }] });
    expect(r.failed).toEqual([{ externalId: 'F1', status: 0, detail: 'close time 2031-01-01T00:00:00.000Z is in the future: refused' }]);
  });
});

describe('replayDispositions against a stand-in records batch route', () => {
  const call = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const outcome = (n: number, at?: string) => ({ externalId: `E${n}`, callId: call(n), handedToDispatch: true, disposition: { kind: 'outcome' as const, sourceCode: ' RPT ', outcome: { codes: ['solved' as const], suspectsCaught: 0, peopleRescued: 0 }, ...(at ? { at } : {}) } });

  it('sends batches, retries calls with no case yet, counts closed, already closed, clamped and refused items, and splits a batch refused whole', async () => {
    const bodies: { callId: string; sourceCode?: string; at?: string; close: boolean; clampToOpening: boolean }[][] = [];
    const asked = new Map<string, number>();
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        expect([req.method, req.url, req.headers.authorization]).toEqual(['POST', '/cases/dispositions', 'Bearer t']);
        const items = (JSON.parse(raw) as { items: (typeof bodies)[number] }).items;
        bodies.push(items);
        const bad = items.findIndex((i) => i.callId === call(6));
        if (bad >= 0) {
          res.writeHead(400, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ status: 400, errors: [{ field: `items.${bad}.codes`, message: 'bad code' }] }));
          return;
        }
        const results = items.map((i) => {
          const n = Number(i.callId.slice(-12));
          asked.set(i.callId, (asked.get(i.callId) ?? 0) + 1);
          if (n === 2 && asked.get(i.callId)! < 3) return { status: 404, body: { status: 404, detail: 'no case yet' } };
          if (n === 3) return { status: 409, body: { status: 409, code: 'case-closed' } };
          if (n === 4) return { status: 409, body: { status: 409, code: 'concurrent-change', detail: 'changed concurrently' } };
          if (n === 7) return { status: 404, body: { status: 404 } };
          return { status: 200, body: { caseId: i.callId, version: 3, events: ['DispositionRecorded', 'CaseClosed'], clamped: n === 5 } };
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const r = await replayDispositions([1, 2, 3, 4, 5, 6, 7, 8].map((n) => outcome(n, '2026-01-01T00:00:00.000Z')), { recordsUrl: url, headers: { authorization: 'Bearer t' }, batchSize: 3, concurrency: 2, caseTimeoutMs: 1_500 });
      expect(r).toMatchObject({ recorded: 4, closed: 4, alreadyClosed: 1, clampedToOpening: 1, skipped: 0, unmapped: [] });
      expect(r.failed).toEqual(
        expect.arrayContaining([
          { externalId: 'E4', status: 409, detail: 'changed concurrently' },
          { externalId: 'E6', status: 400, detail: 'codes: bad code' },
          { externalId: 'E7', status: 0, detail: `no case for call ${call(7)} after 1500 ms` },
        ]),
      );
      expect(r.failed).toHaveLength(3);
      expect(asked.get(call(2))).toBe(3); // asked again until its case was there
      expect(bodies.every((b) => b.length <= 3)).toBe(true);
      expect(bodies[0]![0]).toEqual({ callId: call(1), codes: ['solved'], suspectsCaught: 0, peopleRescued: 0, sourceCode: 'RPT', at: '2026-01-01T00:00:00.000Z', close: true, clampToOpening: true });
    } finally {
      server.closeAllConnections(); // fetch's keep-alive sockets
      await new Promise((r) => server.close(r));
    }
  });
});
