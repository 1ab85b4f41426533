/**
 * Issue 13 item 8: every malformed request to every write route of every service is answered
 * 4xx problem+json (never 500), and no log line carries the database's error text or a caller's
 * number. The route list is the role matrix's (./role-matrix/routes.ts: every write route of the
 * five services with a valid body and fresh fixtures), so a new write route is fuzzed too.
 *
 * Inputs, per write route (on a fixture of its own, made valid for the command):
 * - every text field of the valid body with a NUL byte, and with a lone UTF-16 surrogate;
 * - the valid body sent with `Content-Encoding: gzip` (it is not gzip);
 * - a NUL byte in each path parameter and in the query string;
 * - a malformed `%` escape in each path parameter;
 * plus: dates in year 0000 and 9999 in every date field of the write bodies, a bad `cursor` on
 * `GET /calls`, out-of-range unit coordinates, and NUL / lone surrogates in the console's sign-in.
 * Requests go straight to each service (the gateway forwards the same bytes).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId, waitFor } from '@cad110/testkit';
import { Stack } from '../src';
import { CALL_BODY, PUBLIC, ROUTES, SHARED_DISTRICT, TARGETS, unitBody, type FixtureApi, type Fixtures, type Method, type RouteCase, type Target } from './role-matrix/routes';

jest.setTimeout(300_000);

/** A caller number planted in malformed requests: it must never reach a log. */
const PLANTED_NUMBER = '13907310529';
/** Database error text (PostgreSQL and Prisma) that must never reach a log line. */
const DB_ERROR_TEXT = /invalid byte sequence|unsupported Unicode escape|Failing row contains|violates .* constraint|ConnectorError|PrismaClient|Invalid `prisma|invalid input syntax|DETAIL:|date\/time field value out of range|out of range for type/i;

const BAD_DATES = ['0000-01-01T00:00:00.000Z', '9999-12-31T23:59:59.000Z'];
/** The date fields of the write bodies (route → fields). */
const DATE_FIELDS: Record<string, string[]> = {
  'POST /calls': ['ringingAt', 'answeredAt', 'createdAt', 'handedAt'],
  'POST /incidents/:id/assignments': ['at'],
  'POST /incidents/:id/cancel': ['at'],
  'POST /incidents/:id/close': ['at'],
  'POST /incidents/:id/notes': ['at'],
  'POST /incidents/:id/priority': ['at'],
  'POST /incidents/:id/link': ['at'],
  'POST /units/:unitId/status': ['at'],
  'POST /units/:unitId/position': ['at'],
  'POST /duplicates/search': ['at'],
};

interface Answer {
  what: string;
  status: number;
  contentType: string;
  detail?: string;
}

/** Every string leaf of a JSON value, with a setter that returns a copy with that leaf replaced. */
function stringLeaves(v: unknown, path: (string | number)[] = []): { path: string; with: (s: string) => unknown }[] {
  const out: { path: string; with: (s: string) => unknown }[] = [];
  const setAt = (root: unknown, p: (string | number)[], s: string): unknown => {
    if (!p.length) return s;
    const [h, ...t] = p;
    if (Array.isArray(root)) return root.map((x, i) => (i === h ? setAt(x, t, s) : x));
    return { ...(root as object), [h!]: setAt((root as Record<string | number, unknown>)[h!], t, s) };
  };
  const walk = (x: unknown, p: (string | number)[]) => {
    if (typeof x === 'string') out.push({ path: p.join('.') || '(body)', with: (s) => setAt(v, p, s) });
    else if (Array.isArray(x)) x.forEach((y, i) => walk(y, [...p, i]));
    else if (x && typeof x === 'object') for (const [k, y] of Object.entries(x)) walk(y, [...p, k]);
  };
  walk(v, path);
  return out;
}

describe('malformed input → 4xx problem+json on every write route, no database error text in any log', () => {
  const mapDir = mkdtempSync(join(tmpdir(), 'cad110-map-'));
  const mapFile = join(mapDir, 'county-map.geojson');
  writeFileSync(mapFile, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: SHARED_DISTRICT }, geometry: { type: 'Polygon', coordinates: [[[-93.3, 44.95], [-93.2, 44.95], [-93.2, 45.0], [-93.3, 44.95]]] } }] }));
  const demoPassword = randomBytes(12).toString('base64url');
  const stack = new Stack({
    brokers: kafkaBrokers().join(','),
    topicPrefix: `${uniqueId('fuzz')}.`,
    dbPrefix: uniqueId('cad110fuzz_'),
    fresh: true,
    console: true,
    demoPassword,
    env: { LOG_LEVEL: 'info', CONSOLE_MAP_FILE: mapFile },
  });
  let fx: Fixtures;
  const adminToken = () => stack.token('admin', 'fuzz');

  async function admin(target: Target, method: Method, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${stack.url(target)}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken()}`, accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json', 'if-match': '*' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    if (res.status < 200 || res.status > 299) throw new Error(`fixture ${method} ${target}${path} → ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  let seq = 0;
  const unique = (prefix: string) => `${prefix}-${++seq}-${randomBytes(3).toString('hex')}`;
  const pools = { incidents: [] as string[], cases: [] as string[] };

  async function fill(kind: 'incidents' | 'cases', n: number): Promise<void> {
    if (n <= 0) return;
    const callIds: string[] = [];
    for (let i = 0; i < n; i++) callIds.push(((await admin('intake', 'POST', '/calls', { ...CALL_BODY, narrative: `fuzz ${kind} fixture ${unique('n')}` })) as { callId: string }).callId);
    const found = await waitFor(
      async () => {
        const page =
          kind === 'incidents'
            ? ((await admin('dispatch', 'GET', '/incidents?status=pending&limit=500')) as { items: { id: string; callId: string }[] }).items
            : ((await admin('records', 'GET', '/cases?status=open&limit=500')) as { items: { id: string; callId: string }[] }).items;
        const byCall = new Map(page.map((x) => [x.callId, x.id]));
        const ids = callIds.map((c) => byCall.get(c));
        return ids.every(Boolean) ? (ids as string[]) : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, message: `${kind} of ${n} fixture calls` },
    );
    pools[kind].push(...found!);
  }
  async function take(kind: 'incidents' | 'cases'): Promise<string> {
    if (!pools[kind].length) await fill(kind, 4);
    return pools[kind].shift()!;
  }

  const api: FixtureApi = {
    async openCall(opts) {
      const { handToDispatch: _h, classification, ...rest } = CALL_BODY;
      return ((await admin('intake', 'POST', '/calls', { ...rest, ...(opts?.classified ? { classification } : {}), narrative: `fuzz open call ${unique('c')}` })) as { callId: string }).callId;
    },
    pendingIncident: () => take('incidents'),
    openCase: () => take('cases'),
    async newUnit(district = SHARED_DISTRICT) {
      const id = unique('FZ-U');
      await admin('dispatch', 'POST', '/units', unitBody(id, district));
      return id;
    },
    unique,
    admin,
  };

  /** Sends one request as admin; `path` is sent byte for byte (no URL normalisation). */
  async function send(target: Target, method: string, path: string, opts: { body?: string; headers?: Record<string, string>; token?: boolean } = {}): Promise<{ status: number; contentType: string; text: string }> {
    const headers: Record<string, string> = { accept: 'application/json', ...(opts.token === false ? {} : { authorization: `Bearer ${adminToken()}` }), ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers };
    const res = await fetch(`${stack.url(target)}${path}`, { method, headers, ...(opts.body !== undefined ? { body: opts.body } : {}) });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text };
  }

  const writeRoutes = TARGETS.flatMap((t) => ROUTES[t].filter((r) => !r.route.startsWith('GET ')).map((r) => [t, r.route, r] as const));

  beforeAll(async () => {
    await stack.start();
    const callId = ((await admin('intake', 'POST', '/calls', CALL_BODY)) as { callId: string }).callId;
    const byCall = async <T extends { callId: string }>(target: Target, path: string) => ((await admin(target, 'GET', path)) as { items: T[] }).items.find((x) => x.callId === callId);
    const incident = await waitFor(() => byCall<{ id: string; callId: string }>('dispatch', `/incidents?callId=${callId}`), { timeoutMs: 60_000, intervalMs: 250, message: 'incident of the fixture call' });
    const kase = await waitFor(() => byCall<{ id: string; callId: string }>('records', `/cases?callId=${callId}`), { timeoutMs: 60_000, intervalMs: 250, message: 'case of the fixture call' });
    fx = { callId, incidentId: incident!.id, caseId: kase!.id, unitId: await api.newUnit(), district: SHARED_DISTRICT, otherCallId: callId };
    const need = { incidents: 0, cases: 0 };
    for (const [, , r] of writeRoutes) {
      need.incidents += r.pools?.incidents ?? 0;
      need.cases += r.pools?.cases ?? 0;
    }
    await Promise.all([fill('incidents', need.incidents), fill('cases', need.cases)]);
  });

  afterAll(async () => {
    await stack.stop();
    await stack.dropDatabases();
    rmSync(mapDir, { recursive: true, force: true });
  });

  /** Anything not 4xx problem+json. */
  const bad = (answers: Answer[]) => answers.filter((a) => a.status < 400 || a.status > 499 || !a.contentType.includes('application/problem+json'));
  const answer = (what: string, r: { status: number; contentType: string; text: string }): Answer => ({ what, status: r.status, contentType: r.contentType, ...(r.status >= 500 || r.status < 400 ? { detail: r.text.slice(0, 200) } : {}) });

  it.each(writeRoutes)('%s %s: NUL, lone surrogate, gzip claim, NUL and bad %% escapes in the path and query → 4xx problem+json', async (target, _route, r: RouteCase) => {
    const f = r.fresh ? { ...fx, ...(await r.fresh(api, fx)) } : fx;
    const method = r.route.split(' ')[0]!;
    const path = r.path(f);
    const headers = r.headers?.(f) ?? {};
    const valid = r.body ? r.body(f) : {};
    const answers: Answer[] = [];
    for (const leaf of stringLeaves(valid)) {
      const original = leaf.path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], valid) as string;
      for (const [name, s] of [['NUL', `${original}\u0000${PLANTED_NUMBER}`], ['lone surrogate', `${original}\ud800`]] as const) {
        answers.push(answer(`${name} in ${leaf.path}`, await send(target, method, path, { body: JSON.stringify(leaf.with(s)), headers })));
      }
    }
    answers.push(answer('Content-Encoding: gzip on a plain body', await send(target, method, path, { body: JSON.stringify(valid), headers: { ...headers, 'content-encoding': 'gzip' } })));
    // every path parameter value of the fixtures that appears in the path
    const params = [f.callId, f.incidentId, f.caseId, f.unitId, encodeURIComponent(f.district)].filter((p) => path.includes(p));
    for (const p of params) {
      answers.push(answer(`NUL in path parameter`, await send(target, method, path.replace(p, `${p}%00`), { body: JSON.stringify(valid), headers })));
      answers.push(answer(`malformed % escape in path parameter`, await send(target, method, path.replace(p, `${p}%E0%A4%A`), { body: JSON.stringify(valid), headers })));
      answers.push(answer(`bare % in path parameter`, await send(target, method, path.replace(p, `%zz${p}`), { body: JSON.stringify(valid), headers })));
    }
    answers.push(answer('NUL in the query', await send(target, method, `${path}${path.includes('?') ? '&' : '?'}x=%00`, { body: JSON.stringify(valid), headers })));
    for (const field of DATE_FIELDS[r.route] ?? []) {
      for (const d of BAD_DATES) answers.push(answer(`${field} = ${d}`, await send(target, method, path, { body: JSON.stringify({ ...(valid as object), [field]: d }), headers })));
    }
    expect(bad(answers)).toEqual([]);
  });

  it('console sign-in: NUL and lone surrogates in username, password and workstation → 400 problem+json', async () => {
    const login = PUBLIC.console.find((p) => p.route === 'POST /auth/login')!;
    const valid = login.body!({ demoPassword }) as Record<string, string>;
    const answers: Answer[] = [];
    for (const field of ['username', 'password', 'workstation']) {
      for (const s of [`calltaker\u0000${PLANTED_NUMBER}`, `calltaker\ud800`, `\u0000`]) {
        answers.push(answer(`${JSON.stringify(s)} in ${field}`, await send('console', 'POST', '/auth/login', { body: JSON.stringify({ ...valid, [field]: s }), token: false })));
      }
    }
    answers.push(answer('gzip claim', await send('console', 'POST', '/auth/login', { body: JSON.stringify(valid), headers: { 'content-encoding': 'gzip' }, token: false })));
    expect(bad(answers)).toEqual([]);
  });

  it('a bad cursor, NUL and bad escapes on GET /calls → 400 problem+json', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    const answers: Answer[] = [];
    for (const cursor of ['!!!', b64('2026-01-01T00:00:00.000Z|not-a-uuid'), b64('2026-01-01T00:00:00.000Z|\u0000'), b64('0000-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000'), b64('garbage')]) {
      answers.push(answer(`cursor ${cursor}`, await send('intake', 'GET', `/calls?cursor=${encodeURIComponent(cursor)}`)));
    }
    answers.push(answer('since year 0000', await send('intake', 'GET', `/calls?since=${BAD_DATES[0]}`)));
    answers.push(answer('until year 9999', await send('intake', 'GET', `/calls?until=${BAD_DATES[1]}`)));
    answers.push(answer('NUL in status', await send('intake', 'GET', '/calls?status=open%00')));
    answers.push(answer('NUL in id', await send('intake', 'GET', `/calls/${fx.callId}%00`)));
    answers.push(answer('bad escape in id', await send('intake', 'GET', `/calls/%E0%A4%A`)));
    expect(bad(answers)).toEqual([]);
  });

  it('coordinates are range-checked everywhere: unit geometry, unit position, call location', async () => {
    const answers: Answer[] = [];
    const unit = unitBody(unique('FZ-GEO'), SHARED_DISTRICT);
    for (const coordinates of [[999, -999], [-93.266, 91], [181, 44.9]]) {
      answers.push(answer(`unit geometry ${JSON.stringify(coordinates)}`, await send('dispatch', 'POST', '/units', { body: JSON.stringify({ ...unit, geometry: { type: 'Point', coordinates } }) })));
    }
    answers.push(answer('unit patrol line [999,-999]', await send('dispatch', 'POST', '/units', { body: JSON.stringify({ ...unit, geometry: { type: 'LineString', coordinates: [[-93.26, 44.97], [999, -999]] } }) })));
    answers.push(answer('unit position 999,-999', await send('dispatch', 'POST', `/units/${fx.unitId}/position`, { body: JSON.stringify({ lat: 999, lon: -999 }) })));
    answers.push(answer('call location 999,-999', await send('intake', 'POST', '/calls', { body: JSON.stringify({ ...CALL_BODY, location: { lat: 999, lon: -999 } }) })));
    expect(bad(answers)).toEqual([]);
  });

  it('no log line of any service carries database error text or the planted caller number', async () => {
    const offending: string[] = [];
    for (const file of readdirSync(stack.logDir).filter((f) => f.endsWith('.log'))) {
      for (const line of readFileSync(join(stack.logDir, file), 'utf8').split('\n')) {
        if (line.includes(PLANTED_NUMBER) || DB_ERROR_TEXT.test(line)) offending.push(`${file}: ${line.slice(0, 300)}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
