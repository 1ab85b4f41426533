/**
 * Issue 13 item 8 at the shared edge (createBaseApp): malformed requests are answered 400/415
 * problem+json before a route runs, and an unhandled database error is logged without its text
 * (which quotes the row: a caller's number reached intake's log).
 */
import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger } from '@cad110/logging';
import { createMetrics } from '@cad110/telemetry';
import { createBaseApp, finishApp } from './app';
import { badTextFields } from './problem';

const lines: string[] = [];
const logger = createLogger('malformed-test', { level: 'info' }, new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }));
const base = createBaseApp({ service: 'malformed-test', logger, metrics: createMetrics('malformed_test'), readiness: [] });
base.post('/things/:id', (req, res) => {
  res.json({ id: req.params.id, body: req.body });
});
base.post('/db', () => {
  // what pg throws for a NOT NULL violation: the message and detail quote the row
  throw Object.assign(new Error('null value in column "caller_name" violates not-null constraint'), {
    name: 'DatabaseError',
    code: '23502',
    severity: 'ERROR',
    detail: 'Failing row contains (13907310529, x).',
    table: 'calls',
    column: 'caller_name',
  });
});
base.post('/prisma', () => {
  throw Object.assign(new Error('Invalid `prisma.call.create()` invocation: { callerNumber: "13907310529" } Raw query failed. Code: `22P05`'), {
    name: 'PrismaClientKnownRequestError',
    code: 'P2010',
    clientVersion: '7.0.0',
    meta: { code: '22P05' },
  });
});
const app = finishApp(base, logger);

const problem = (res: request.Response, status: number) => {
  expect({ status: res.status, type: res.headers['content-type'] }).toEqual({ status, type: expect.stringMatching(/application\/problem\+json/) });
  return res.body as { errors?: { field: string }[] };
};

describe('malformed input at the shared edge', () => {
  it('NUL and lone surrogates in any string of the body (values, nested, arrays, keys) → 400 naming the fields', async () => {
    const body = { a: 'ok', b: 'x\u0000y', c: { d: ['fine', 'z\ud800'] }, e: '\udc00', f: '😀 paired surrogates are text', ['k\u0000']: 1 };
    const p = problem(await request(app).post('/things/1').send(body), 400);
    expect(p.errors!.map((e) => e.field).sort()).toEqual(['(key)', 'b', 'c.d.1', 'e']);
    expect(badTextFields({ text: '警情 😀' })).toEqual([]);
    await request(app).post('/things/1').send({ text: '警情 😀' }).expect(200);
  });

  it('Content-Encoding gzip on a plain body → 415', async () => {
    problem(await request(app).post('/things/1').set('content-type', 'application/json').set('content-encoding', 'gzip').send('{"a":1}'), 415);
  });

  it('NUL or lone surrogates in the path or query, malformed % escapes → 400', async () => {
    for (const path of ['/things/1%00', '/things/%00', '/things/1?x=%00', '/things/1?x=a%00b', '/things/%E0%A4%A', '/things/%zz1', '/things/%ED%A0%80', '/things/1?x=%ED%A0%80']) {
      problem(await request(app).post(path).send({ a: 1 }), 400);
    }
    const ok = await request(app).post('/things/%E8%AD%A6?x=100%25').send({ a: 1 });
    expect(ok.status).toBe(200);
    expect(ok.body.id).toBe('警');
  });

  it('an unhandled database error → 500 problem+json, logged with its code but without its text', async () => {
    lines.length = 0;
    problem(await request(app).post('/db').send({}), 500);
    problem(await request(app).post('/prisma').send({}), 500);
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l).not.toMatch(/13907310529|Failing row|violates|prisma\.call/);
      expect(JSON.parse(l).err).toMatchObject({ database: true, message: '[database error text withheld]' });
    }
    expect(JSON.parse(lines[0]!).err).toMatchObject({ type: 'DatabaseError', code: '23502', table: 'calls', column: 'caller_name' });
    expect(JSON.parse(lines[1]!).err).toMatchObject({ type: 'PrismaClientKnownRequestError', code: 'P2010', sqlState: '22P05' });
  });
});
