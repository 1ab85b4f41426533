/**
 * Every service stops at start-up on a malformed variable: exit code 78 and one stderr line
 * naming the variable, the value and what is allowed (libs/runtime/src/config.ts), before it
 * touches PostgreSQL or Kafka.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { generateAuthKeys } from '@cad110/auth';
import { ROOT } from '../src/paths';

const SERVICES = ['intake', 'dispatch', 'records', 'statistics', 'console'] as const;
const KEYS = generateAuthKeys().env;

function start(service: string, env: Record<string, string | undefined>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'services', service, 'src', 'main.ts')], {
    cwd: ROOT,
    env: Object.fromEntries(Object.entries({ ...process.env, ...KEYS, LOG_LEVEL: 'warn', ...env }).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, lines: r.stderr.trim().split('\n').filter((l) => l.includes('invalid configuration')) };
}

jest.setTimeout(120_000);

describe('a malformed variable stops every service with one line naming it', () => {
  it.each(SERVICES.map((s) => [s]))('%s: DB_POOL_SIZE=ten → exit 78', (service) => {
    const r = start(service, { DB_POOL_SIZE: 'ten' });
    expect(r).toEqual({ status: 78, lines: [`cad110 ${service}: invalid configuration: DB_POOL_SIZE="ten": allowed: an integer 1..200`] });
  });

  it('dispatch: DISPATCH_TIMER_INTERVAL_MS=5s → exit 78 (was NaN: a 1 ms busy loop)', () => {
    expect(start('dispatch', { DISPATCH_TIMER_INTERVAL_MS: '5s' })).toEqual({ status: 78, lines: ['cad110 dispatch: invalid configuration: DISPATCH_TIMER_INTERVAL_MS="5s": allowed: an integer 100..3600000 (milliseconds)'] });
  });

  it('intake: DUPLICATE_WINDOW_SECONDS=15m → exit 78', () => {
    expect(start('intake', { DUPLICATE_WINDOW_SECONDS: '15m' })).toEqual({ status: 78, lines: ['cad110 intake: invalid configuration: DUPLICATE_WINDOW_SECONDS="15m": allowed: an integer 1..86400 (seconds)'] });
  });

  it('statistics: STATS_H3_RESOLUTION=16 → exit 78', () => {
    expect(start('statistics', { STATS_H3_RESOLUTION: '16' })).toEqual({ status: 78, lines: ['cad110 statistics: invalid configuration: STATS_H3_RESOLUTION="16": allowed: an integer 0..15'] });
  });

  it('console: CONSOLE_PROXY_TIMEOUT_MS=30s → exit 78', () => {
    expect(start('console', { CONSOLE_PROXY_TIMEOUT_MS: '30s' })).toEqual({ status: 78, lines: ['cad110 console: invalid configuration: CONSOLE_PROXY_TIMEOUT_MS="30s": allowed: an integer 100..600000 (milliseconds)'] });
  });

  it('records: EIDO_VALIDATE=maybe → exit 78', () => {
    expect(start('records', { EIDO_VALIDATE: 'maybe' })).toEqual({ status: 78, lines: ['cad110 records: invalid configuration: EIDO_VALIDATE="maybe": allowed: true or false'] });
  });

  it.each(SERVICES.map((s) => [s]))('%s: no or a malformed CAD110_AUTH_PUBLIC_KEYS → exit 78 naming it (issue 19.5)', (service) => {
    expect(start(service, { CAD110_AUTH_PUBLIC_KEYS: undefined, CAD110_AUTH_SECRET: undefined })).toEqual({ status: 78, lines: [expect.stringMatching(new RegExp(`^cad110 ${service}: invalid configuration: CAD110_AUTH_PUBLIC_KEYS must be set`))] });
    expect(start(service, { CAD110_AUTH_PUBLIC_KEYS: '{"k1": "replace-me"}' })).toEqual({ status: 78, lines: [`cad110 ${service}: invalid configuration: CAD110_AUTH_PUBLIC_KEYS: kid k1 is not a PEM public key; generate a pair with \`npx tsx libs/auth/src/keygen.ts\``] });
  });

  it.each([['intake'], ['dispatch'], ['records']])('%s: no or a malformed CAD110_PERSONAL_DATA_KEYS → exit 78 naming it, without echoing the key (issue 19.6)', (service) => {
    expect(start(service, { CAD110_PERSONAL_DATA_KEYS: undefined })).toEqual({ status: 78, lines: [`cad110 ${service}: invalid configuration: CAD110_PERSONAL_DATA_KEYS=(unset): allowed: a key ring kid:base64key[,...] (required)`] });
    expect(start(service, { CAD110_PERSONAL_DATA_KEYS: 'k1:c2VjcmV0' })).toEqual({ status: 78, lines: [`cad110 ${service}: invalid configuration: CAD110_PERSONAL_DATA_KEYS=(hidden): allowed: kid:base64key[,kid:base64key...] with 32-byte keys (key k1: must be base64 of exactly 32 bytes)`] });
  });

  it('console: no, a malformed or an unlisted CAD110_AUTH_PRIVATE_KEY → exit 78 naming it, without echoing the key', () => {
    expect(start('console', { CAD110_AUTH_PRIVATE_KEY: undefined }).lines).toEqual([expect.stringMatching(/^cad110 console: invalid configuration: CAD110_AUTH_PRIVATE_KEY must be set on the console/)]);
    expect(start('console', { CAD110_AUTH_PRIVATE_KEY: 'replace-with-the-private-key-line-of-keygen' })).toEqual({ status: 78, lines: ['cad110 console: invalid configuration: CAD110_AUTH_PRIVATE_KEY is not a PEM private key; generate a pair with `npx tsx libs/auth/src/keygen.ts`'] });
    const other = generateAuthKeys().privateKey;
    const r = start('console', { CAD110_AUTH_PRIVATE_KEY: other });
    expect(r).toEqual({ status: 78, lines: ['cad110 console: invalid configuration: CAD110_AUTH_PRIVATE_KEY: its public key is not in CAD110_AUTH_PUBLIC_KEYS (add it there, on every service, before switching)'] });
  });
});
