/**
 * The production image's /app without Docker (no engine on this machine): infra/docker/compile.mjs lays
 * it out as the Dockerfile's build stage does, `npm ci --omit=dev` installs what the deps stage installs,
 * and the four services and the console start from it as the image starts them — plain `node
 * --enable-source-maps dist/main.js`, no tsx — after the migration job's command
 * (`node libs/db/dist/cli.js deploy`), with DB_MIGRATE=false, and answer /readyz (database, broker and
 * consumers).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId } from '@cad110/testkit';
import { ROOT, Stack } from '../../tools/devstack/src';

jest.setTimeout(600_000);

const APPS = ['intake', 'dispatch', 'records', 'statistics', 'console'];

describe('the production image layout (compiled JavaScript, production dependencies only)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cad110-image-'));
  const app = join(dir, 'app');
  const dbPrefix = uniqueId('cad110img_');
  let stack: Stack | undefined;

  afterAll(async () => {
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('compiles, installs production dependencies only, migrates with the job command and starts every service from dist/', async () => {
    const compiled = spawnSync(process.execPath, [join(ROOT, 'infra', 'docker', 'compile.mjs'), app, '--without-web'], { encoding: 'utf8' });
    expect(compiled.status).toBe(0);
    expect(JSON.parse(compiled.stdout).workspaces).toEqual(expect.arrayContaining(APPS.map((a) => `services/${a}`)));

    // the deps stage's command (npm's cache on this machine; the registry for what it lacks)
    const ci = spawnSync('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...APPS.flatMap((a) => ['-w', `@cad110/${a}`])], { cwd: app, encoding: 'utf8' });
    expect({ status: ci.status, err: ci.status ? ci.stderr.slice(-2000) : '' }).toEqual({ status: 0, err: '' });
    for (const devOnly of ['tsx', 'typescript', 'jest', 'prisma', '@prisma/client', 'esbuild', 'vite', 'supertest']) expect({ devOnly, installed: existsSync(join(app, 'node_modules', devOnly)) }).toEqual({ devOnly, installed: false });
    expect(existsSync(join(app, 'services', 'dispatch', 'dist', 'main.js'))).toBe(true);
    expect(existsSync(join(app, 'services', 'dispatch', 'src'))).toBe(false);

    const env = { ...process.env, CAD110_DB_PREFIX: dbPrefix, DATABASE_URL: '' };
    for (const a of APPS) {
      const m = spawnSync(process.execPath, ['libs/db/dist/cli.js', 'deploy', '--service', `services/${a}`], { cwd: app, env, encoding: 'utf8' });
      expect({ a, status: m.status, out: m.status ? `${m.stdout}${m.stderr}` : '' }).toEqual({ a, status: 0, out: '' });
      expect(m.stdout).toMatch(new RegExp(`^${a}: applied `));
    }

    stack = new Stack({ brokers: kafkaBrokers().join(','), topicPrefix: `${uniqueId('img')}.`, dbPrefix, appRoot: app, console: true, env: { LOG_LEVEL: 'warn', DB_MIGRATE: 'false', NODE_ENV: 'production' } });
    await stack.start(120_000);
    for (const a of APPS) {
      const r = await fetch(`${stack.url(a as never)}/readyz`);
      expect({ a, status: r.status }).toEqual({ a, status: 200 });
    }
    // started from compiled JavaScript, not from the TypeScript sources
    for (const a of APPS) expect(stack.services.get(a as never)!.process.spawnargs.slice(-1)).toEqual(['dist/main.js']);

  });
});

