import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureChromium } from './browser';
import { ensureKafka } from './kafka-broker';
import { ROOT } from './paths';

/**
 * `npm test`: starts what the suite needs (the local Kafka broker unless KAFKA_BROKERS is set;
 * PostgreSQL is expected at POSTGRES_URL, default 127.0.0.1:5432; Debian's Chromium and a CJK
 * font for the console's browser tests, installed with apt-get when missing) and runs jest over
 * every workspace. Extra arguments go to jest (e.g. `npm test -- services/intake`).
 */
export async function runTests(args: string[]): Promise<number> {
  ensureChromium();
  const kafka = ensureKafka();
  try {
    return await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), ...args], {
        cwd: ROOT,
        stdio: 'inherit',
        env: { ...process.env, KAFKA_BROKERS: kafka.brokers, CAD110_DB_PREFIX: process.env.CAD110_DB_PREFIX ?? 'cad110test', LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
      });
      const forward = (sig: NodeJS.Signals) => child.kill(sig);
      process.on('SIGINT', forward);
      process.on('SIGTERM', forward);
      child.on('exit', (code) => resolve(code ?? 1));
    });
  } finally {
    kafka.stop();
  }
}
