import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const ROOT = join(__dirname, '..', '..');

/**
 * docker-compose.yml cannot run here (no Docker engine): check what can be checked by reading
 * it, and run `docker-compose config` when the machine has it.
 */
describe('docker-compose.yml', () => {
  const text = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const doc = parse(text, { merge: true }) as { services: Record<string, { image?: string; environment?: Record<string, string>; ports?: string[]; build?: { args?: Record<string, string> } }> };

  it('describes Kafka in KRaft mode, PostgreSQL, Jaeger, the four services and the console', () => {
    expect(Object.keys(doc.services).sort()).toEqual(['console', 'dispatch', 'intake', 'jaeger', 'kafka', 'postgres', 'records', 'statistics']);
    expect(doc.services.kafka!.image).toBe('apache/kafka:3.9.1');
    expect(doc.services.kafka!.environment).toMatchObject({ KAFKA_PROCESS_ROLES: 'broker,controller', KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false', KAFKA_LOG_RETENTION_MS: -1 });
  });

  it.each([
    ['intake', '8081'],
    ['dispatch', '8082'],
    ['records', '8083'],
    ['statistics', '8084'],
    ['console', '8085'],
  ])('%s gets the broker, the database server, the token secret, OTLP and port %s', (name, port) => {
    const s = doc.services[name]!;
    expect(s.build?.args).toEqual({ SERVICE: name });
    expect(s.environment).toMatchObject({ KAFKA_BROKERS: 'kafka:9092', POSTGRES_URL: expect.stringContaining('@postgres:5432'), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318', PORT: port });
    expect(s.environment!.CAD110_AUTH_SECRET).toMatch(/^\$\{CAD110_AUTH_SECRET:\?/);
    expect(s.ports).toEqual([`${port}:${port}`]);
  });

  it('points the console gateway at the four services', () => {
    expect(doc.services.console!.environment).toMatchObject({ INTAKE_URL: 'http://intake:8081', DISPATCH_URL: 'http://dispatch:8082', RECORDS_URL: 'http://records:8083', STATISTICS_URL: 'http://statistics:8084' });
  });

  const compose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  (compose.status === 0 ? it : it.skip)('passes `docker-compose config` (when docker-compose is installed)', () => {
    const r = spawnSync('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8', env: { ...process.env, CAD110_AUTH_SECRET: 'x'.repeat(40) } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
