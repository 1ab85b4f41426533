import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postJson } from './post-calls';

/** intake as a fault makes it look: a 503, then a connection dropped without answer, then the 201. */
describe('postJson retries with one Idempotency-Key', () => {
  let server: Server;
  const keys: string[] = [];
  beforeAll(async () => {
    let n = 0;
    server = createServer((req, res) => {
      keys.push(String(req.headers['idempotency-key']));
      req.resume();
      req.on('end', () => {
        n++;
        if (n === 1) return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":503}');
        if (n === 2) return void req.socket.destroy();
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"callId":"c1","version":1}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it('retries a 5xx and a dropped connection, then returns the 201', async () => {
    const retries: number[] = [];
    const r = await postJson(`http://127.0.0.1:${(server.address() as AddressInfo).port}/calls`, { a: 1 }, { onRetry: (s) => retries.push(s) });
    expect(r).toMatchObject({ status: 201, body: { callId: 'c1' }, attempts: 3 });
    expect(retries).toEqual([503, 0]);
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives up after `attempts` connection errors', async () => {
    const r = await postJson('http://127.0.0.1:1/calls', {}, { attempts: 2 });
    expect(r.status).toBe(0); // nothing listens on port 1: two attempts, connection refused
    expect(r.attempts).toBe(2);
  });
});
