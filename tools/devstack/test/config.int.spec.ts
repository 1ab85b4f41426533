/**
 * Every service stops at start-up on a malformed variable: exit code 78 and one stderr line
 * naming the variable, the value and what is allowed (libs/runtime/src/config.ts), before it
 * touches PostgreSQL or Kafka.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../src/paths';

const SERVICES = ['intake', 'dispatch', 'records', 'statistics', 'console'] as const;

function start(service: string, env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'services', service, 'src', 'main.ts')], {
    cwd: ROOT,
    env: { ...process.env, CAD110_AUTH_SECRET: 'x'.repeat(40), LOG_LEVEL: 'warn', ...env },
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
});
