/**
 * Route table = router = role matrix = OpenAPI, per service, without starting a stack: each
 * service's express app is built with its own createServer() on a real runtime (broker; database
 * untouched) and compared with
 * - the routes express really routes (`routesOf`),
 * - the role matrix (role-matrix/routes.ts): a request line for every route of the table and none
 *   for another; the roles it asks with are the table's own, so the only check left is that the
 *   public request lines are exactly the routes without roles, and only routes that may be public,
 * - the paths and operations of the OpenAPI document it serves, which must validate as OpenAPI 3.1.
 */
import { openApiPath, routeKey } from '@cad110/http';
import { kafkaBrokers } from '@cad110/kafka';
import { openApiOperations, uniqueId, validateOpenApi } from '@cad110/testkit';
import { Stack } from '../src';
import { builtApp, type BuiltApp } from './role-matrix/registered-routes';
import { mayBePublic, PUBLIC, ROUTES, type Target } from './role-matrix/routes';

jest.setTimeout(120_000);

/** Services whose routes are a route table: all five. */
const WITH_TABLES: Target[] = ['intake', 'dispatch', 'records', 'statistics', 'console'];

describe('route table = router = role matrix = OpenAPI document', () => {
  const stack = new Stack({ brokers: kafkaBrokers().join(','), topicPrefix: `${uniqueId('rt')}.`, dbPrefix: uniqueId('cad110rt_') });
  const built = new Map<Target, BuiltApp>();

  beforeAll(async () => {
    for (const t of WITH_TABLES) {
      const env = Object.fromEntries(Object.entries(stack.envFor(t, 0)).filter((e): e is [string, string] => e[1] !== undefined));
      built.set(t, await builtApp(t, env));
    }
  });

  it.each(WITH_TABLES.map((t) => [t]))('%s: the router routes exactly its route table', (t) => {
    const b = built.get(t)!;
    const table = b.table.map(routeKey).sort();
    const spa: string[] = PUBLIC[t].filter((p) => p.route.startsWith('GET /^')).map((p) => p.route);
    expect([...new Set(b.routes)].filter((r) => !spa.includes(r)).sort()).toEqual(table);
    expect(new Set(table).size).toBe(table.length);
  });

  it.each(WITH_TABLES.map((t) => [t]))('%s: the role matrix asks every route of the table (public ones without a token) and no other', (t) => {
    const b = built.get(t)!;
    const kindOf = (roles: readonly string[] | undefined) => (roles ? 'with roles' : 'public');
    const fromTable = Object.fromEntries(b.table.map((r) => [routeKey(r), kindOf(r.roles)]));
    const fromMatrix: Record<string, string> = {};
    for (const row of ROUTES[t]) fromMatrix[row.route] = 'with roles';
    for (const p of PUBLIC[t]) if (!p.route.startsWith('GET /^')) fromMatrix[p.route] = 'public';
    expect(fromMatrix).toEqual(fromTable);
    expect(b.table.filter((r) => !r.roles && !mayBePublic(t, routeKey(r))).map(routeKey)).toEqual([]);
  });

  it.each(WITH_TABLES.map((t) => [t]))('%s: /openapi.json documents exactly the table and is a valid OpenAPI 3.1 document', (t) => {
    const b = built.get(t)!;
    expect(b.openapi).toBeDefined();
    expect(openApiOperations(b.openapi as { paths: Record<string, Record<string, unknown>> })).toEqual(b.table.map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`).sort());
    expect(validateOpenApi(b.openapi)).toMatchObject({ valid: true, version: '3.1' });
  });

  it('the validator rejects a broken document (the check can fail)', () => {
    const doc = built.get('records')!.openapi as { paths: Record<string, unknown> };
    expect(validateOpenApi({ ...doc, paths: { ...doc.paths, '/cases': { get: { responses: 'none' } } } }).valid).toBe(false);
  });
});
