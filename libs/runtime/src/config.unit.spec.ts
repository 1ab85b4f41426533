import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig, personalDataKeysOrExit, RuntimeEnv } from './config';

describe('validated configuration (libs/runtime RuntimeEnv)', () => {
  it('parses numbers, flags and enums with their defaults', () => {
    const c = loadConfig(RuntimeEnv, { DB_POOL_SIZE: '4', DB_MIGRATE: 'false' });
    expect(c).toMatchObject({ DB_POOL_SIZE: 4, DB_MIGRATE: false, KAFKA_PARTITIONS: 3, KAFKA_TOPIC_PREFIX: 'cad110.', LOG_LEVEL: 'info' });
    // unset: the replication follows the cluster's size (libs/kafka replicationFor)
    expect(c.KAFKA_REPLICATION_FACTOR).toBeUndefined();
    expect(loadConfig(RuntimeEnv, { KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512' }).KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
    // the personal-data retention period: days, fractions allowed (tests use seconds' worth)
    expect(c.CAD110_PERSONAL_DATA_RETENTION_DAYS).toBe(180);
    expect(loadConfig(RuntimeEnv, { CAD110_PERSONAL_DATA_RETENTION_DAYS: '0.00104167' }).CAD110_PERSONAL_DATA_RETENTION_DAYS).toBe(0.00104167);
    // an idle service's wake-ups (issue 17, bench/idle.ts): the relay's poll and the event-loop histogram's tick
    expect(c).toMatchObject({ OUTBOX_IDLE_INTERVAL_MS: 1000, METRICS_EVENT_LOOP_RESOLUTION_MS: 100 });
    expect(loadConfig(RuntimeEnv, { OUTBOX_IDLE_INTERVAL_MS: '250' }).OUTBOX_IDLE_INTERVAL_MS).toBe(250);
  });

  it('a malformed value is one line naming the variable, the value and what is allowed', () => {
    expect(() => loadConfig(RuntimeEnv, { DB_POOL_SIZE: 'ten' })).toThrow(new ConfigError('invalid configuration: DB_POOL_SIZE="ten": allowed: an integer 1..200'));
    expect(() => loadConfig(RuntimeEnv, { KAFKA_SESSION_TIMEOUT_MS: '5s' })).toThrow('KAFKA_SESSION_TIMEOUT_MS="5s": allowed: an integer 1000..300000 (milliseconds)');
    expect(() => loadConfig(RuntimeEnv, { LOG_LEVEL: 'loud' })).toThrow('LOG_LEVEL="loud": allowed: one of fatal, error, warn, info, debug, trace, silent');
    expect(() => loadConfig(RuntimeEnv, { DB_MIGRATE: 'yes' })).toThrow('DB_MIGRATE="yes": allowed: true or false');
    expect(() => loadConfig(RuntimeEnv, { BUREAU_TIME_ZONE: 'Mars/Olympus' })).toThrow('BUREAU_TIME_ZONE="Mars/Olympus": allowed: an IANA time zone');
    expect(() => loadConfig(RuntimeEnv, { DB_POOL_SIZE: '0' })).toThrow('DB_POOL_SIZE="0"');
    expect(() => loadConfig(RuntimeEnv, { KAFKA_SASL_MECHANISM: 'kerberos' })).toThrow('KAFKA_SASL_MECHANISM="kerberos": allowed: one of scram-sha-512, scram-sha-256, plain');
    expect(() => loadConfig(RuntimeEnv, { KAFKA_SSL: 'yes' })).toThrow('KAFKA_SSL="yes": allowed: true or false');
    expect(() => loadConfig(RuntimeEnv, { KAFKA_REPLICATION_FACTOR: 'three' })).toThrow('KAFKA_REPLICATION_FACTOR="three": allowed: an integer 1..10');
    expect(() => loadConfig(RuntimeEnv, { CAD110_PERSONAL_DATA_RETENTION_DAYS: '6 months' })).toThrow('CAD110_PERSONAL_DATA_RETENTION_DAYS="6 months": allowed: a number 0.0001..3650 (days; fractions for tests)');
    expect(() => loadConfig(RuntimeEnv, { CAD110_PERSONAL_DATA_RETENTION_DAYS: '0' })).toThrow('CAD110_PERSONAL_DATA_RETENTION_DAYS="0"');
    expect(() => loadConfig(RuntimeEnv, { OUTBOX_IDLE_INTERVAL_MS: '1s' })).toThrow('OUTBOX_IDLE_INTERVAL_MS="1s": allowed: an integer 10..60000 (milliseconds)');
    expect(() => loadConfig(RuntimeEnv, { METRICS_EVENT_LOOP_RESOLUTION_MS: '0' })).toThrow('METRICS_EVENT_LOOP_RESOLUTION_MS="0": allowed: an integer 1..10000 (milliseconds)');
  });

  it('the personal-data key ring: validated, required where asked, its value never shown', () => {
    const ring = `k2:${Buffer.alloc(32, 2).toString('base64')},k1:${Buffer.alloc(32, 1).toString('base64')}`;
    expect(loadConfig(RuntimeEnv, { CAD110_PERSONAL_DATA_KEYS: ring }).CAD110_PERSONAL_DATA_KEYS).toBe(ring);
    expect(loadConfig(RuntimeEnv, {}).CAD110_PERSONAL_DATA_KEYS).toBeUndefined();
    const short = 'k1:c2VjcmV0LXNob3J0';
    expect(() => loadConfig(RuntimeEnv, { CAD110_PERSONAL_DATA_KEYS: short })).toThrow(
      new ConfigError('invalid configuration: CAD110_PERSONAL_DATA_KEYS=(hidden): allowed: kid:base64key[,kid:base64key...] with 32-byte keys (key k1: must be base64 of exactly 32 bytes)'),
    );
    expect(personalDataKeysOrExit('test', { CAD110_PERSONAL_DATA_KEYS: ring })).toMatchObject({ sealKid: 'k2' });
  });

  it("every variable of the schema is in the README's configuration table", () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
    const documented = new Set([...table.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]));
    expect(Object.keys(RuntimeEnv.shape).filter((v) => !documented.has(v))).toEqual([]);
  });
});
