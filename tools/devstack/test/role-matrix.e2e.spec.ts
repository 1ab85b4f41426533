/**
 * Role × route matrix of every service: the five processes of a Stack on the real broker and
 * PostgreSQL, each route asked without a token, with a forged token, with an expired token, and
 * with every role. Who may ask is each service's route table (the `roles` of its RouteSpecs, read
 * from the express app its own createServer() builds); how to ask is ./role-matrix/routes.ts. The
 * four services' routes are asked directly and through the console's gateway, which must give the
 * same answers. Write routes get fresh fixtures for every allowed request, so each allowed role's
 * command must succeed (2xx), not merely pass the role check, and every allowed JSON answer must
 * be exactly the response schema its table documents (a shaped DTO, not a raw row). A guard fails
 * when a table route has no request line (or a line names a route no table has), and when a table
 * leaves a route public that may not be.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAuthKeys, ROLES, signingKey, signToken, type Role } from '@cad110/auth';
import { kafkaBrokers } from '@cad110/kafka';
import { documentedShapeError, uniqueId, waitFor } from '@cad110/testkit';
import { routeKey } from '@cad110/http';
import { Stack } from '../src';
import { builtApp, type BuiltApp } from './role-matrix/registered-routes';
import { CALL_BODY, mayBePublic, PUBLIC, ROUTES, SHARED_DISTRICT, TARGETS, unitBody, type FixtureApi, type Fixtures, type Method, type RouteCase, type Target } from './role-matrix/routes';

jest.setTimeout(240_000);

interface Outcome {
  who: string;
  expected: number;
  got: number;
  /** the answer's problem detail when it was not the expected status */
  detail?: string;
  /** an allowed JSON answer that is not exactly its documented response schema */
  shape?: string;
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
  /** each service's app as its createServer() builds it: route table (roles, schemas) and routes */
  const built = new Map<Target, BuiltApp>();
  /** the roles a route's table gives it besides admin; undefined: public */
  const rolesOf = (target: Target, route: string): readonly string[] | undefined => {
    const r = built.get(target)!.table.find((x) => routeKey(x) === route);
    if (!r) throw new Error(`${target}: no route ${route} in its route table`);
    return r.roles;
  };
  /**
   * signed by a foreign EC P-256 key under the kid of the stack's own key (issue 19.5: a token
   * signed with any key but the console's is refused by every service)
   */
  const forged = (() => {
    const foreign = generateAuthKeys(signingKey({ ...stack.authKeys }).kid);
    return signToken({ sub: 'mallory', role: 'admin' }, signingKey(foreign.env));
  })();
  /** signed with the console's key, expired a minute ago */
  const expired = () => stack.token('admin', 'matrix-expired', -60);
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
    for (let i = 0; i < n; i++) callIds.push(((await admin('intake', 'POST', '/calls', { ...CALL_BODY, narrative: `role matrix ${kind} fixture ${unique('n')}` })) as { callId: string }).callId);
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
      const out = (await admin('intake', 'POST', '/calls', { ...rest, ...(opts?.classified ? { classification } : {}), narrative: `role matrix open call ${unique('c')}` })) as { callId: string };
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
  const allowedRequests = (target: Target, r: RouteCase) => new Set([...(rolesOf(target, r.route) ?? []), 'admin']).size * (target === 'console' ? 1 : 2);

  beforeAll(async () => {
    await stack.start();
    for (const t of TARGETS) {
      const env = Object.fromEntries(Object.entries(stack.envFor(t, 0)).filter((e): e is [string, string] => e[1] !== undefined));
      built.set(t, await builtApp(t, env));
    }
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

  async function ask(target: Target, base: string, r: RouteCase, f: Fixtures, token: string | undefined): Promise<{ status: number; detail?: string; shape?: string }> {
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
    const json = res.status < 300 && /json/.test(res.headers.get('content-type') ?? '');
    const shape = json ? documentedShapeError(built.get(target)!.table, r.route, res.status, JSON.parse(text)) : undefined;
    return { status: res.status, ...(res.status >= 300 ? { detail: text.slice(0, 300) } : {}), ...(shape ? { shape } : {}) };
  }

  /** Every outcome of one row: no token, forged token, expired token, each role (allowed roles on fresh fixtures). */
  async function matrix(target: Target, base: string, r: RouteCase): Promise<Outcome[]> {
    const out: Outcome[] = [];
    const note = (who: string, expected: number, a: { status: number; detail?: string; shape?: string }) =>
      out.push({ who, expected, got: a.status, ...(a.status !== expected && a.detail ? { detail: a.detail } : {}), ...(a.shape ? { shape: a.shape } : {}) });
    const roles = rolesOf(target, r.route);
    if (!roles) throw new Error(`${target} ${r.route} is public in its route table: list it in PUBLIC`);
    note('no token', 401, await ask(target, base, r, fx, undefined));
    note('forged token', 401, await ask(target, base, r, fx, forged));
    note('expired token', 401, await ask(target, base, r, fx, expired()));
    for (const role of ROLES as readonly Role[]) {
      const allowed = role === 'admin' || roles.includes(role);
      const f = allowed && r.fresh ? { ...fx, ...(await r.fresh(api, fx)) } : fx;
      note(role, allowed ? (r.ok ?? 200) : 403, await ask(target, base, r, f, stack.token(role, `matrix-${role}`)));
    }
    return out;
  }

  /** `METHOD /route` plus the row's query string, e.g. `GET /stats/counts?by=category&format=csv` */
  const title = (r: RouteCase) => {
    const query = r.path({ callId: 'c', incidentId: 'i', caseId: 'k', unitId: 'u', district: 'd', otherCallId: 'o' }).split('?')[1];
    return `${r.route}${query ? `?${query}` : ''}`;
  };
  const cases = TARGETS.flatMap((target) => ROUTES[target].map((r) => [target, title(r), r] as const));

  it.each(TARGETS.map((t) => [t]))('%s: every route of its table (and router) has a request line, every line names a table route, public routes are exactly those without roles', async (target) => {
    const b = built.get(target)!;
    const table = b.table.map(routeKey);
    const spa = PUBLIC[target].filter((p) => p.route.startsWith('GET /^')).map((p) => p.route);
    const asked = new Set<string>(ROUTES[target].map((r) => r.route));
    const askedPublic = new Set<string>(PUBLIC[target].map((p) => p.route).filter((r) => !spa.includes(r)));
    const publicInTable = b.table.filter((r) => !r.roles).map(routeKey);
    expect({
      notAsked: table.filter((r) => !asked.has(r) && !askedPublic.has(r)),
      notInTheTable: [...asked, ...askedPublic].filter((r) => !table.includes(r)),
      notInTheRouter: [...new Set([...table, ...spa])].filter((r) => !b.routes.includes(r)),
      publicNotAskedAsPublic: publicInTable.filter((r) => !askedPublic.has(r)),
      askedAsPublicButHasRoles: [...askedPublic].filter((r) => !publicInTable.includes(r)),
      publicThatMayNotBe: publicInTable.filter((r) => !mayBePublic(target, r)),
    }).toEqual({ notAsked: [], notInTheTable: [], notInTheRouter: [], publicNotAskedAsPublic: [], askedAsPublicButHasRoles: [], publicThatMayNotBe: [] });
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
    const got = await matrix(target, stack.url(target), r);
    expect(got.filter((o) => o.got !== o.expected || o.shape)).toEqual([]);
  });

  it.each(cases.filter(([t]) => t !== 'console'))('through the gateway: /api/%s %s', async (target, _t, r) => {
    const got = await matrix(target, `${stack.url('console')}/api/${target}`, r);
    expect(got.filter((o) => o.got !== o.expected || o.shape)).toEqual([]);
  });
});
