import request from 'supertest';
import type { Express } from 'express';
import { openApiPath, routesOf } from '@cad110/http';
import { openApiOperations, validateOpenApi as validate } from '@cad110/testkit';
import { startIntake } from './harness';

/** Every (method, path) registered on the express app, nested routers included, in OpenAPI form. */
function expressRoutes(app: Express): string[] {
  return [...new Set(routesOf(app).map((r) => { const [m, p] = r.split(' '); return `${m} ${openApiPath(p!)}`; }))].sort();
}

describe('intake OpenAPI document', () => {
  let app: Express;
  let h: Awaited<ReturnType<typeof startIntake>>;

  beforeAll(async () => {
    h = await startIntake();
    app = h.app;
  });
  afterAll(() => h.stop());

  it('is served at GET /openapi.json without a token and validates against the OpenAPI 3.1 schema', async () => {
    const res = await request(app).get('/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    const result = validate(res.body);
    expect(result).toMatchObject({ valid: true, version: '3.1' });
  });

  it('the validator does reject a broken document (the check can fail)', async () => {
    const res = await request(app).get('/openapi.json').expect(200);
    const broken = { ...res.body, paths: { ...res.body.paths, '/calls': { post: { responses: 'none' } } } };
    expect(validate(broken).valid).toBe(false);
  });

  it('documents every registered express route, and nothing that is not registered', async () => {
    const doc = (await request(app).get('/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    const documented = openApiOperations(doc);
    const registered = expressRoutes(app);
    expect(registered.length).toBeGreaterThanOrEqual(18);
    expect(documented).toEqual(registered);
  });

  it('derives request schemas from the validating zod schemas (limits, enums, If-Match, Idempotency-Key, problem responses)', async () => {
    const doc = (await request(app).get('/openapi.json').expect(200)).body;
    const narrative = doc.paths['/calls/{id}/narrative'].post;
    expect(narrative.requestBody.content['application/json'].schema.properties.text).toMatchObject({ type: 'string', minLength: 1, maxLength: 4000 });
    expect(narrative.parameters.map((p: { name: string; in: string; required: boolean }) => `${p.in}:${p.name}:${p.required}`)).toEqual(['path:id:true', 'header:If-Match:true', 'header:Idempotency-Key:false']);
    expect(Object.keys(narrative.responses).sort()).toEqual(['200', '400', '401', '403', '404', '409', '412', '413', '415', '422', '428']);
    expect(narrative.responses['409'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    const cancel = doc.paths['/calls/{id}/cancel'].post.requestBody.content['application/json'].schema;
    expect(cancel.properties.reason.enum).toEqual(['silent', 'misdial', 'prank', 'caller-hung-up', 'other']);
    const loc = doc.paths['/calls/{id}/location'].post.requestBody.content['application/json'].schema;
    expect(loc.properties.lat).toMatchObject({ type: 'number', minimum: -90, maximum: 90 });
    expect(loc.additionalProperties).toBe(false);
    const create = doc.paths['/calls'].post;
    expect(create.requestBody.content['application/json'].schema.properties.classification.properties.category.enum).toContain('criminal');
    expect(doc.components.schemas.Problem).toBeDefined();
    expect(doc.components.schemas.DuplicateCandidate.properties.distanceMetres).toBeDefined();
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.paths['/calls/{id}'].get.security).toEqual([{ bearerAuth: [] }]);
  });
});
