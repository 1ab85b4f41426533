#!/usr/bin/env node
/*
 * Entry point of `npm run demo`, `npm test` and `npm run bench` on a fresh clone.
 * Plain JavaScript so it runs before any dependency is installed: installs the locked
 * dependencies when node_modules is missing or older than package-lock.json, generates the
 * Prisma clients (four services and the console) when their schema changed, then hands over to
 * tools/devstack/src/cli.ts.
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..', '..');
const services = ['intake', 'dispatch', 'records', 'statistics', 'console'];

function mtime(p) {
  try {
    return fs.statSync(p).mtimeMs;
  } catch {
    return 0;
  }
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`[cad110] ${cmd} ${args.join(' ')} failed (exit ${r.status})`);
    process.exit(r.status || 1);
  }
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 6)) {
  console.error(`[cad110] Node.js 20.6 or newer is required (found ${process.versions.node})`);
  process.exit(1);
}

const marker = path.join(root, 'node_modules', '.package-lock.json');
if (mtime(marker) === 0 || mtime(path.join(root, 'package-lock.json')) > mtime(marker)) {
  console.error('[cad110] installing dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

for (const s of services) {
  const dir = path.join(root, 'services', s);
  const client = path.join(dir, 'src', 'generated', 'prisma', 'client.ts');
  if (mtime(client) < mtime(path.join(dir, 'prisma', 'schema.prisma'))) {
    console.error(`[cad110] generating the Prisma client of ${s}`);
    run(process.execPath, [path.join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'generate'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    });
  }
}

const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'tools', 'devstack', 'src', 'cli.ts'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
