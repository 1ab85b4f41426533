/**
 * Console latency benchmark (`npm run bench:console`): a Stack of the four services and the
 * console on the real broker and PostgreSQL (KAFKA_BROKERS, POSTGRES_URL), then
 *  1. sign-in: `POST /auth/login` (bcrypt cost 10), N_LOGIN times;
 *  2. call accepted: `POST /calls` straight to intake and `POST /api/intake/calls` through the
 *     console's gateway, N_CALLS each, one at a time (what a call taker waits for after Ctrl+Enter);
 *  3. live: for N_LIVE calls, time from sending `POST /api/intake/calls` until the dispatcher's
 *     `GET /api/live` stream delivers the call's `IncidentOpened` (the incident appears in the queue).
 * Prints p50 / p95 / p99 / max in milliseconds and, last, one JSON line. Timings depend on the
 * machine and on what else runs on it: quote them with the machine.
 */
import { randomBytes } from 'node:crypto';
import { dropDatabase } from '@cad110/db';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId } from '@cad110/testkit';
import { backgroundNice, SERVICES, Stack } from '../tools/devstack/src';

const N_LOGIN = Number(process.env.N_LOGIN ?? 20);
const N_CALLS = Number(process.env.N_CALLS ?? 200);
const N_LIVE = Number(process.env.N_LIVE ?? 50);

const CALL = {
  channel: '110',
  caller: { number: '13800000000' },
  location: { address: 'bench', lat: 44.9778, lon: -93.265, district: 'Precinct 1' },
  classification: { subtype: 'snatching' },
  narrative: 'benchmark call',
  handToDispatch: true,
};
/** each request a distinct call: an identical body within 10 s would be folded by intake's double-submit rule */
let callNo = 0;
const nextCall = () => ({ ...CALL, narrative: `benchmark call ${++callNo}` });

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

function summary(name: string, xs: number[]) {
  const r = { name, n: xs.length, p50: +pct(xs, 50).toFixed(1), p95: +pct(xs, 95).toFixed(1), p99: +pct(xs, 99).toFixed(1), max: +Math.max(...xs).toFixed(1) };
  process.stderr.write(`  ${name.padEnd(34)} n=${String(r.n).padStart(4)}  p50 ${String(r.p50).padStart(7)} ms  p95 ${String(r.p95).padStart(7)} ms  p99 ${String(r.p99).padStart(7)} ms  max ${String(r.max).padStart(7)} ms\n`);
  return r;
}

async function post(url: string, token: string, body: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}

async function main() {
  const password = randomBytes(12).toString('base64url');
  const stack = new Stack({ brokers: kafkaBrokers().join(','), topicPrefix: `${uniqueId('bench')}.`, dbPrefix: uniqueId('cad110bench_'), fresh: true, console: true, demoPassword: password, env: { LOG_LEVEL: 'warn' }, backgroundNice: backgroundNice(undefined, 3) });
  await stack.start();
  const base = stack.url('console');
  try {
    const login: number[] = [];
    let token = '';
    for (let i = 0; i < N_LOGIN; i++) {
      const t0 = performance.now();
      const r = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'calltaker', password }) });
      const j = (await r.json()) as { accessToken: string };
      login.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`login ${r.status}`);
      token = j.accessToken;
    }
    const direct: number[] = [];
    const gateway: number[] = [];
    for (let i = 0; i < N_CALLS; i++) {
      let t0 = performance.now();
      let r = await post(`${stack.url('intake')}/calls`, token, nextCall());
      direct.push(performance.now() - t0);
      if (r.status !== 201) throw new Error(`direct ${r.status}`);
      t0 = performance.now();
      r = await post(`${base}/api/intake/calls`, token, nextCall());
      gateway.push(performance.now() - t0);
      if (r.status !== 201) throw new Error(`gateway ${r.status}`);
    }

    // live: the dispatcher's stream
    const dispatcherToken = stack.token('dispatcher');
    const ctrl = new AbortController();
    const res = await fetch(`${base}/api/live?access_token=${dispatcherToken}`, { signal: ctrl.signal });
    const seen = new Map<string, number>();
    const decoder = new TextDecoder();
    let buf = '';
    void (async () => {
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += decoder.decode(chunk, { stream: true });
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block.split('\n').find((l) => l.startsWith('data: '));
            if (!data || block.includes('event: ready')) continue;
            const e = JSON.parse(data.slice(6)) as { type: string; ids: { callId?: string } };
            if (e.type === 'IncidentOpened' && e.ids.callId && !seen.has(e.ids.callId)) seen.set(e.ids.callId, performance.now());
          }
        }
      } catch {
        // aborted
      }
    })();
    await new Promise((r) => setTimeout(r, 1000));
    const live: number[] = [];
    for (let i = 0; i < N_LIVE; i++) {
      const t0 = performance.now();
      const r = await post(`${base}/api/intake/calls`, token, nextCall());
      if (r.status !== 201) throw new Error(`live call ${r.status}`);
      const id = r.json.callId as string;
      const deadline = Date.now() + 30_000;
      while (!seen.has(id) && Date.now() < deadline) await new Promise((x) => setTimeout(x, 5));
      if (!seen.has(id)) throw new Error(`no IncidentOpened for ${id} within 30 s`);
      live.push(seen.get(id)! - t0);
      if (seen.get(id)! - t0 > 1000) process.stderr.write(`  (live call #${i + 1} took ${(seen.get(id)! - t0).toFixed(0)} ms)\n`);
      await new Promise((x) => setTimeout(x, 100));
    }
    ctrl.abort();

    process.stderr.write(`\nconsole latency (${new Date().toISOString()}, ${require('node:os').cpus().length} CPUs)\n`);
    const out = [
      summary('sign-in POST /auth/login', login),
      summary('call accepted, intake direct', direct),
      summary('call accepted, via console gateway', gateway),
      summary('POST → IncidentOpened on /api/live', live),
    ];
    console.log(JSON.stringify(out));
  } finally {
    await stack.stop();
    await Promise.all([...SERVICES, 'console' as const].map((n) => dropDatabase(stack.databaseUrl(n))));
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
