/**
 * Role × route matrix of every service (tables in ./role-matrix/routes.ts): the five processes
 * of a Stack on the real broker and PostgreSQL, each route asked without a token, with a forged
 * token, and with every role. The four services' routes are asked directly and through the
 * console's gateway, which must give the same answers.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROLES, signToken, type Role } from '@cad110/auth';
import { dropDatabase } from '@cad110/db';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId, waitFor } from '@cad110/testkit';
import { SERVICES, Stack } from '../src';
import { CALL_BODY, ROUTES, type Fixtures, type RouteCase, type Target } from './role-matrix/routes';

jest.setTimeout(240_000);

interface Outcome {
  who: string;
  expected: number;
  got: number;
}

describe('role × route matrix (401 without a token, 403 for a wrong role, 2xx for an allowed role)', () => {
  const mapDir = mkdtempSync(join(tmpdir(), 'cad110-map-'));
  const mapFile = join(mapDir, 'county-map.geojson');
  writeFileSync(mapFile, JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', properties: { name: 'Precinct 1' }, geometry: { type: 'Polygon', coordinates: [[[-93.3, 44.95], [-93.2, 44.95], [-93.2, 45.0], [-93.3, 44.95]]] } }] }));
  const stack = new Stack({
    brokers: kafkaBrokers().join(','),
    topicPrefix: `${uniqueId('roles')}.`,
    dbPrefix: uniqueId('cad110roles_'),
    fresh: true,
    console: true,
    env: { LOG_LEVEL: 'warn', CONSOLE_MAP_FILE: mapFile },
  });
  let fx: Fixtures;
  const forged = signToken({ sub: 'mallory', role: 'admin' }, 'not-the-secret-of-this-stack-0123456789');

  beforeAll(async () => {
    await stack.start();
    const created = await fetch(`${stack.url('intake')}/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.token('call_taker')}` },
      body: JSON.stringify(CALL_BODY),
    });
    expect(created.status).toBe(201);
    const { callId } = (await created.json()) as { callId: string };
    const auth = { authorization: `Bearer ${stack.token('supervisor')}` };
    const incident = await waitFor(
      async () => ((await (await fetch(`${stack.url('dispatch')}/incidents?limit=500`, { headers: auth })).json()) as { items: { id: string; callId: string }[] }).items.find((i) => i.callId === callId),
      { timeoutMs: 60_000, intervalMs: 250, message: 'incident of the fixture call' },
    );
    const kase = await waitFor(
      async () => ((await (await fetch(`${stack.url('records')}/cases?limit=500`, { headers: auth })).json()) as { items: { id: string; callId: string }[] }).items.find((c) => c.callId === callId),
      { timeoutMs: 60_000, intervalMs: 250, message: 'case of the fixture call' },
    );
    fx = { callId, incidentId: incident!.id, caseId: kase!.id, unitId: 'P1-CAR-1', district: 'Precinct 1' };
  });

  afterAll(async () => {
    await stack.stop();
    await Promise.all([...SERVICES, 'console' as const].map((n) => dropDatabase(stack.databaseUrl(n))));
    rmSync(mapDir, { recursive: true, force: true });
  });

  async function status(base: string, r: RouteCase, token: string | undefined): Promise<number> {
    const ctrl = new AbortController();
    const headers: Record<string, string> = { accept: r.stream ? 'text/event-stream' : 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const body = r.body ? JSON.stringify(r.body(fx)) : undefined;
    if (body) headers['content-type'] = 'application/json';
    const res = await fetch(`${base}${r.path(fx)}`, { method: r.method, headers, ...(body ? { body } : {}), signal: ctrl.signal });
    if (r.stream) ctrl.abort();
    else await res.arrayBuffer();
    return res.status;
  }

  /** Every outcome of one route: no token, forged token, each role. */
  async function matrix(base: string, r: RouteCase): Promise<Outcome[]> {
    const out: Outcome[] = [
      { who: 'no token', expected: 401, got: await status(base, r, undefined) },
      { who: 'forged token', expected: 401, got: await status(base, r, forged) },
    ];
    for (const role of ROLES as readonly Role[]) {
      const allowed = role === 'admin' || r.allowed.includes(role);
      out.push({ who: role, expected: allowed ? (r.ok ?? 200) : 403, got: await status(base, r, stack.token(role, `matrix-${role}`)) });
    }
    return out;
  }

  const cases = (Object.keys(ROUTES) as Target[]).flatMap((target) => ROUTES[target].map((r) => [target, r] as const));
  const PLACEHOLDERS: Fixtures = { callId: ':callId', incidentId: ':incidentId', caseId: ':caseId', unitId: ':unitId', district: ':district' };

  it.each(cases.map(([t, r]) => [t, r.method, r.path(PLACEHOLDERS), r] as const))('%s %s %s', async (target, _m, _p, r) => {
    const got = await matrix(stack.url(target), r);
    expect(got.filter((o) => o.got !== o.expected)).toEqual([]);
  });

  it.each(cases.filter(([t]) => t !== 'console').map(([t, r]) => [t, r.method, r.path(PLACEHOLDERS), r] as const))(
    'through the gateway: /api/%s %s %s',
    async (target, _m, _p, r) => {
      const got = await matrix(`${stack.url('console')}/api/${target}`, r);
      expect(got.filter((o) => o.got !== o.expected)).toEqual([]);
    },
  );
});
