/**
 * Role × route matrix of every service (tables in ./role-matrix/routes.ts): the five processes
 * of a Stack on the real broker and PostgreSQL, each route asked without a token, with a forged
 * token, with an expired token, and with every role. The four services' routes are asked
 * directly and through the console's gateway, which must give the same answers. Write routes
 * get fresh fixtures for every allowed request, so each allowed role's command must succeed
 * (2xx), not merely pass the role check. A guard builds each service's express app with its own
 * createServer() and fails when a registered route is missing from the tables (or a table line
 * names a route that is gone).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROLES, signToken, type Role } from '@cad110/auth';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId, waitFor } from '@cad110/testkit';
import { Stack } from '../src';
import { registeredRoutes } from './role-matrix/registered-routes';
import { CALL_BODY, PUBLIC, ROUTES, SHARED_DISTRICT, TARGETS, unitBody, type FixtureApi, type Fixtures, type Method, type RouteCase, type Target } from './role-matrix/routes';

jest.setTimeout(240_000);

interface Outcome {
  who: string;
  expected: number;
  got: number;
  /** the answer's problem detail when it was not the expected status */
  detail?: string;
}

describe('role × route matrix (401 without a token, 403 for a wrong role, 2xx for an allowed role)', () => {
  const mapDir = mkdtempSync(join(tmpdir(), 'cad110-map-'));
  const mapFile = join(mapDir, 'county-map.geojson');
  writeFileSync(mapFile, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: SHARED_DISTRICT }, geometry: { type: 'Polygon', coordinates: [[[-93.3, 44.95], [-93.2, 44.95], [-93.2, 45.0], [-93.3, 44.95]]] } }] }));
  const demoPassword = randomBytes(12).toString('base64url');
  const stack = new Stack({
    brokers: kafkaBrokers().join(','),
    topicPrefix: `${uniqueId('roles')}.`,
    dbPrefix: uniqueId('cad110roles_'),
    fresh: true,
    console: true,
    demoPassword,
    env: { LOG_LEVEL: 'warn', CONSOLE_MAP_FILE: mapFile },
  });
  let fx: Fixtures;
  const forged = signToken({ sub: 'mallory', role: 'admin' }, 'not-the-secret-of-this-stack-0123456789');
  /** signed with the stack's secret, expired a minute ago */
  const expired = () => signToken({ sub: 'matrix-expired', role: 'admin' }, stack.authSecret, -60);
  const adminToken = () => stack.token('admin', 'matrix-fixtures');

  /** An admin request straight to a service; anything but 2xx throws with the answer. */
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

  // ---- pools of pending incidents and open cases, each of a call of its own, made in batches

  const pools = { incidents: [] as string[], cases: [] as string[] };
  let seq = 0;
  const unique = (prefix: string) => `${prefix}-${++seq}-${randomBytes(3).toString('hex')}`;

  /** Hands `n` new calls to dispatch and waits for what dispatch (incident) or records (case) made of them. */
  async function fill(kind: 'incidents' | 'cases', n: number): Promise<void> {
    if (n <= 0) return;
    const callIds: string[] = [];
    for (let i = 0; i < n; i++) callIds.push(((await admin('intake', 'POST', '/calls', { ...CALL_BODY, narrative: `role matrix ${kind} fixture` })) as { callId: string }).callId);
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
      const out = (await admin('intake', 'POST', '/calls', { ...rest, ...(opts?.classified ? { classification } : {}), narrative: 'role matrix open call' })) as { callId: string };
      return out.callId;
    },
    pendingIncident: () => take('incidents'),
    openCase: () => take('cases'),
    async newUnit(district = SHARED_DISTRICT) {
      const id = unique('RM-U');
      await admin('dispatch', 'POST', '/units', unitBody(id, district));
      return id;
    },
    unique,
    admin,
  };

  /** allowed requests of a row: its roles and admin, directly and (services) through the gateway */
  const allowedRequests = (target: Target, r: RouteCase) => (new Set([...r.allowed, 'admin']).size) * (target === 'console' ? 1 : 2);

  beforeAll(async () => {
    await stack.start();
    const callId = ((await admin('intake', 'POST', '/calls', CALL_BODY)) as { callId: string }).callId;
    const byCall = async <T extends { callId: string }>(target: Target, path: string) =>
      ((await admin(target, 'GET', path)) as { items: T[] }).items.find((x) => x.callId === callId);
    const incident = await waitFor(() => byCall<{ id: string; callId: string }>('dispatch', `/incidents?callId=${callId}`), { timeoutMs: 60_000, intervalMs: 250, message: 'incident of the fixture call' });
    const kase = await waitFor(() => byCall<{ id: string; callId: string }>('records', `/cases?callId=${callId}`), { timeoutMs: 60_000, intervalMs: 250, message: 'case of the fixture call' });
    fx = { callId, incidentId: incident!.id, caseId: kase!.id, unitId: await api.newUnit(), district: SHARED_DISTRICT, otherCallId: callId };
    // every pooled fixture the write rows will take, made in two batches
    const need = { incidents: 0, cases: 0 };
    for (const t of TARGETS)
      for (const r of ROUTES[t]) {
        need.incidents += (r.pools?.incidents ?? 0) * allowedRequests(t, r);
        need.cases += (r.pools?.cases ?? 0) * allowedRequests(t, r);
      }
    await Promise.all([fill('incidents', need.incidents), fill('cases', need.cases)]);
  });

  afterAll(async () => {
    await stack.stop();
    await stack.dropDatabases();
    rmSync(mapDir, { recursive: true, force: true });
  });

  async function ask(base: string, r: RouteCase, f: Fixtures, token: string | undefined): Promise<{ status: number; detail?: string }> {
    const ctrl = new AbortController();
    const headers: Record<string, string> = { accept: r.stream ? 'text/event-stream' : 'application/json', ...(r.headers?.(f) ?? {}) };
    if (token) headers.authorization = `Bearer ${token}`;
    const body = r.body ? JSON.stringify(r.body(f)) : undefined;
    if (body) headers['content-type'] = 'application/json';
    const method = r.route.split(' ')[0]!;
    const res = await fetch(`${base}${r.path(f)}`, { method, headers, ...(body ? { body } : {}), signal: ctrl.signal });
    if (r.stream) {
      ctrl.abort();
      return { status: res.status };
    }
    const text = await res.text();
    return { status: res.status, ...(res.status >= 300 ? { detail: text.slice(0, 300) } : {}) };
  }

  /** Every outcome of one row: no token, forged token, expired token, each role (allowed roles on fresh fixtures). */
  async function matrix(base: string, r: RouteCase): Promise<Outcome[]> {
    const out: Outcome[] = [];
    const note = (who: string, expected: number, a: { status: number; detail?: string }) =>
      out.push({ who, expected, got: a.status, ...(a.status !== expected && a.detail ? { detail: a.detail } : {}) });
    note('no token', 401, await ask(base, r, fx, undefined));
    note('forged token', 401, await ask(base, r, fx, forged));
    note('expired token', 401, await ask(base, r, fx, expired()));
    for (const role of ROLES as readonly Role[]) {
      const allowed = role === 'admin' || r.allowed.includes(role);
      const f = allowed && r.fresh ? { ...fx, ...(await r.fresh(api, fx)) } : fx;
      note(role, allowed ? (r.ok ?? 200) : 403, await ask(base, r, f, stack.token(role, `matrix-${role}`)));
    }
    return out;
  }

  /** `METHOD /route` plus the row's query string, e.g. `GET /stats/counts?by=category&format=csv` */
  const title = (r: RouteCase) => {
    const query = r.path({ callId: 'c', incidentId: 'i', caseId: 'k', unitId: 'u', district: 'd', otherCallId: 'o' }).split('?')[1];
    return `${r.route}${query ? `?${query}` : ''}`;
  };
  const cases = TARGETS.flatMap((target) => ROUTES[target].map((r) => [target, title(r), r] as const));

  it.each(TARGETS.map((t) => [t]))('%s: every route its createServer() registers is in the tables, and every table line names a registered route', async (target) => {
    const env = Object.fromEntries(Object.entries(stack.envFor(target, 0)).filter((e): e is [string, string] => e[1] !== undefined));
    const registered = await registeredRoutes(target, env);
    const listed = new Set<string>([...ROUTES[target].map((r) => r.route), ...PUBLIC[target].map((p) => p.route)]);
    expect({
      notInTheMatrix: [...new Set(registered)].filter((r) => !listed.has(r)),
      notRegistered: [...listed].filter((r) => !registered.includes(r)),
    }).toEqual({ notInTheMatrix: [], notRegistered: [] });
  });

  it.each(TARGETS.flatMap((t) => PUBLIC[t].flatMap((p) => [[t, '', p.route, p] as const, ...(p.gateway && t !== 'console' ? [[t, 'through the gateway: ', p.route, p] as const] : [])])))(
    '%s: %spublic %s answers without a token',
    async (target, via, _route, p) => {
      const base = via ? `${stack.url('console')}/api/${target}` : stack.url(target);
      const body = p.body ? JSON.stringify(p.body({ demoPassword })) : undefined;
      const res = await fetch(`${base}${p.path}`, {
        method: p.route.split(' ')[0]!,
        headers: { accept: p.accept ?? 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body } : {}),
      });
      await res.arrayBuffer();
      expect([p.ok].flat()).toContain(res.status);
    },
  );

  it.each(cases)('%s: %s', async (target, _t, r) => {
    const got = await matrix(stack.url(target), r);
    expect(got.filter((o) => o.got !== o.expected)).toEqual([]);
  });

  it.each(cases.filter(([t]) => t !== 'console'))('through the gateway: /api/%s %s', async (target, _t, r) => {
    const got = await matrix(`${stack.url('console')}/api/${target}`, r);
    expect(got.filter((o) => o.got !== o.expected)).toEqual([]);
  });
});
