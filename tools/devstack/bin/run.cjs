#!/usr/bin/env node
/*
 * Entry point of `npm run demo`, `npm test` and `npm run bench` on a fresh clone.
 * Plain JavaScript so it runs before any dependency is installed (and on any Node the machine
 * has): first makes sure it runs on the supported Node LTS (the version in .node-version; when the
 * machine's node is another line, that release is installed once from the npm registry, package
 * node-<platform>-<arch>, into .cad110/runtime, and this script re-runs itself on it with its bin
 * folder first on PATH, so npm, npx and every child use it too). Then installs the locked
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

/** The Node.js release cad110 is tested on (an LTS line), from .node-version. */
const NODE_VERSION = fs.readFileSync(path.join(root, '.node-version'), 'utf8').trim();
const [wantMajor] = NODE_VERSION.split('.').map(Number);
/** The oldest release of that line that `engines` in package.json accepts (its first LTS release). */
const MIN_MINOR = 11;

/**
 * Whether `version` (e.g. "24.22.3") is on the supported line: same major as .node-version and at
 * least `<major>.11` (Node 24's first LTS release was 24.11.0).
 */
function supported(version) {
  const [major, minor] = version.split('.').map(Number);
  return major === wantMajor && minor >= MIN_MINOR;
}

/**
 * Path of the pinned Node binary in .cad110/runtime, installed from the npm registry when missing
 * (the registry's node-<platform>-<arch> packages hold the official binaries; npm checks their
 * integrity against the registry). npm's output goes to stderr so `runtime-path` prints one line.
 */
function ensureRuntime() {
  const pkg = `node-${process.platform}-${process.arch}`;
  const prefix = path.join(root, '.cad110', 'runtime', `node-v${NODE_VERSION}-${process.platform}-${process.arch}`);
  const bin = path.join(prefix, 'node_modules', pkg, 'bin', 'node');
  if (!fs.existsSync(bin)) {
    console.error(`[cad110] Node.js ${process.versions.node} is not the supported ${wantMajor} LTS line; installing Node.js ${NODE_VERSION} (npm package ${pkg}) into ${path.relative(root, prefix)}`);
    fs.mkdirSync(prefix, { recursive: true });
    const r = spawnSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', prefix, `${pkg}@${NODE_VERSION}`], {
      cwd: prefix,
      stdio: ['ignore', process.stderr, 'inherit'],
    });
    if (r.status !== 0 || !fs.existsSync(bin)) {
      console.error(`[cad110] could not install ${pkg}@${NODE_VERSION}; install Node.js ${NODE_VERSION} (or any ${wantMajor}.${MIN_MINOR}+) yourself`);
      process.exit(1);
    }
  }
  return bin;
}

if (!supported(process.versions.node)) {
  if (process.env.CAD110_RUNTIME_REEXEC === '1') {
    console.error(`[cad110] still on Node.js ${process.versions.node} after switching to ${NODE_VERSION}; giving up`);
    process.exit(1);
  }
  const bin = ensureRuntime();
  const env = { ...process.env, CAD110_RUNTIME_REEXEC: '1', PATH: `${path.dirname(bin)}${path.delimiter}${process.env.PATH ?? ''}` };
  const child = spawn(bin, [__filename, ...process.argv.slice(2)], { stdio: 'inherit', env });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  main();
}

function main() {

  if (process.argv[2] === 'runtime-path') {
    // for .ci/run and shells: `export PATH="$(node tools/devstack/bin/run.cjs runtime-path):$PATH"`
    console.log(path.dirname(process.execPath));
    process.exit(0);
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
}
