import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MappedCall } from './map-row';
import { BATCH_MAX_BYTES, postCalls } from './post-calls';

interface Item {
  idempotencyKey: string;
  call: { externalRef: { id: string }; narrative?: string };
}

/**
 * postCalls against a fake intake: batches of at most 100 calls and under 60 kB, a whole batch
 * retried with the same keys on a 503 and a dropped connection, an item answered 503 retried
 * alone with its key, other item errors reported per call, `batchSize: 1` on POST /calls.
 */
describe('postCalls in batches', () => {
  let server: Server;
  let url: string;
  const batches: { path: string; items: Item[]; bytes: number; key?: string }[] = [];
  let fault: (n: number, items: Item[]) => 'drop' | 503 | undefined = () => undefined;
  let seen = new Map<string, number>();
  let n = 0;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        const json = JSON.parse(text) as { items?: Item[] } & Item['call'];
        if (req.url === '/calls') {
          batches.push({ path: req.url, items: [], bytes: text.length, key: String(req.headers['idempotency-key']) });
          return void res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ callId: `c-${json.externalRef.id}`, version: 1 }));
        }
        const items = json.items!;
        batches.push({ path: req.url!, items, bytes: Buffer.byteLength(text) });
        const f = fault(++n, items);
        if (f === 'drop') return void req.socket.destroy();
        if (f === 503) return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":503}');
        const results = items.map((it) => {
          const id = it.call.externalRef.id;
          const tries = (seen.get(it.idempotencyKey) ?? 0) + 1;
          seen.set(it.idempotencyKey, tries);
          if (id === 'bad') return { status: 400, body: { status: 400, detail: 'Invalid request', errors: [{ field: 'location.lat', message: 'too big' }] } };
          if (id === 'flaky' && tries === 1) return { status: 503, body: { status: 503 } };
          return { status: 201, body: { callId: `c-${id}`, version: 4 } };
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));
  beforeEach(() => {
    batches.length = 0;
    seen = new Map();
    n = 0;
    fault = () => undefined;
  });

  const calls = (n: number, narrative = ''): MappedCall[] =>
    Array.from({ length: n }, (_, i) => ({ body: { channel: '110', externalRef: { source: 't', id: `e${i}` }, ...(narrative ? { narrative } : {}) } as never, category: 'x', subtype: 'y', lines: [i + 2] }));

  it('sends at most 100 calls and under 60 kB per batch, every call once with its own key', async () => {
    const small = await postCalls(calls(250), { intakeUrl: url, progress: false });
    expect(small.accepted).toHaveLength(250);
    expect(batches.every((b) => b.path === '/calls/batch' && b.items.length <= 100)).toBe(true);
    expect(batches.length).toBe(3);
    batches.length = 0;
    const big = await postCalls(calls(120, 'x'.repeat(2000)), { intakeUrl: url, progress: false });
    expect(big.accepted).toHaveLength(120);
    expect(Math.max(...batches.map((b) => b.bytes))).toBeLessThan(BATCH_MAX_BYTES);
    expect(batches.length).toBeGreaterThanOrEqual(5);
    const keys = batches.flatMap((b) => b.items.map((i) => i.idempotencyKey));
    expect(new Set(keys).size).toBe(120);
  });

  it('retries a whole batch on a 503 and a dropped connection with the same keys, and an item answered 503 alone', async () => {
    fault = (n) => (n === 1 ? 503 : n === 2 ? 'drop' : undefined);
    const list = calls(5);
    list[2]!.body.externalRef.id = 'flaky';
    list[3]!.body.externalRef.id = 'bad';
    const r = await postCalls(list, { intakeUrl: url, progress: false });
    expect(r.accepted.map((a) => a.externalId).sort()).toEqual(['e0', 'e1', 'e4', 'flaky']);
    expect(r.failed).toEqual([{ externalId: 'bad', status: 400, detail: 'Invalid request' }]);
    expect(r.retried).toBe(3);
    expect(batches.map((b) => b.items.length)).toEqual([5, 5, 5, 1]);
    const key = (b: number, id: string) => batches[b]!.items.find((i) => i.call.externalRef.id === id)!.idempotencyKey;
    expect(key(0, 'e0')).toBe(key(2, 'e0'));
    expect(key(3, 'flaky')).toBe(key(0, 'flaky'));
  });

  it('keeps the rate: at 40 calls/s, 20 calls take about half a second in small batches', async () => {
    const r = await postCalls(calls(20), { intakeUrl: url, rate: 40, progress: false });
    expect(r.accepted).toHaveLength(20);
    expect(r.seconds).toBeGreaterThan(0.45);
    expect(r.seconds).toBeLessThan(2);
    expect(batches.length).toBeGreaterThan(5);
  });

  it('posts one call per POST /calls with batchSize 1', async () => {
    const r = await postCalls(calls(7), { intakeUrl: url, batchSize: 1, progress: false });
    expect(r.accepted).toHaveLength(7);
    expect(batches.map((b) => b.path)).toEqual(Array(7).fill('/calls'));
    expect(new Set(batches.map((b) => b.key)).size).toBe(7);
  });
});
