#!/usr/bin/env node
/**
 * Compiles the services and the libraries they run on to plain JavaScript for the production image
 * (infra/docker/Dockerfile) and lays out the image's /app in OUT (default `.cad110/image-app`):
 *
 * - every `.ts` under `<workspace>/src` of the runtime workspaces (the five services and the libraries
 *   they depend on, found from the package.json files) is transpiled by esbuild, one file at a time,
 *   to `<workspace>/dist` at the same depth — so the `__dirname`-relative paths of the sources
 *   (`join(__dirname, '..', 'seed', …)`, `${__dirname}/..` as the service folder) still point at the
 *   same files; specs, the generated Prisma clients (types only at run time) and `*-cli.ts` tools of
 *   the test side stay out;
 * - each runtime workspace's package.json with `main` on `dist/index.js` and no scripts (dev
 *   dependencies stay listed, as package-lock.json has them; `--omit=dev` leaves them out); the root package.json and package-lock.json as they are (`npm ci --omit=dev`
 *   installs from them);
 * - the files the code reads at run time (taxonomy, seed and config files, migrations, gazetteer,
 *   the console's built SPA).
 *
 * `node infra/docker/compile.mjs [OUT] [--without-web]`; prints one JSON line { out, workspaces, files }.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { transformSync } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..', '..');
const args = process.argv.slice(2);
/** `--without-web`: leave the console's SPA out (the tests' smoke run; the image always builds it first) */
const withoutWeb = args.includes('--without-web');
const OUT = resolve(args.find((a) => !a.startsWith('--')) ?? join(ROOT, '.cad110', 'image-app'));
const SERVICES = ['services/intake', 'services/dispatch', 'services/records', 'services/statistics', 'services/console'];
/** data the code reads relative to its own folder or the repository (see each loader's default path) */
const ASSETS = [
  'libs/contracts/taxonomy',
  'libs/eventstore/prisma',
  'services/dispatch/seed',
  'services/dispatch/config',
  'data/gazetteer',
  ...SERVICES.map((s) => `${s}/prisma/migrations`),
  ...(withoutWeb ? [] : ['services/console/web/dist']),
];

const pkgOf = (dir) => JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'));
/** workspace folder of every @cad110 package */
const byName = new Map();
for (const base of ['libs', 'services', 'tools']) {
  for (const d of readdirSync(join(ROOT, base))) if (existsSync(join(ROOT, base, d, 'package.json'))) byName.set(pkgOf(`${base}/${d}`).name, `${base}/${d}`);
}
/** the services and the @cad110 production dependencies they reach */
const runtime = new Set();
const visit = (dir) => {
  if (runtime.has(dir)) return;
  runtime.add(dir);
  for (const dep of Object.keys(pkgOf(dir).dependencies ?? {})) if (byName.has(dep)) visit(byName.get(dep));
};
SERVICES.forEach(visit);

const skip = (rel) => /\.spec\.ts$|\.test\.ts$|(^|\/)generated\/|\.d\.ts$/.test(rel);
function* tsFiles(dir, base = dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p, base);
    else if (e.name.endsWith('.ts') && !skip(relative(base, p))) yield p;
  }
}

rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
let files = 0;
for (const ws of [...runtime].sort()) {
  const src = join(ROOT, ws, 'src');
  for (const file of tsFiles(src)) {
    const rel = relative(src, file);
    const { code } = transformSync(readFileSync(file, 'utf8'), { loader: 'ts', format: 'cjs', platform: 'node', target: 'node24', sourcefile: `${ws}/src/${rel}`, sourcemap: 'inline', sourcesContent: false });
    const out = join(OUT, ws, 'dist', rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, code);
    files++;
  }
  // plain JavaScript helpers beside the sources (e.g. .mjs/.cjs/.json) are copied as they are
  for (const e of readdirSync(src, { recursive: true })) {
    const p = join(src, e);
    if (/\.(mjs|cjs|json)$/.test(e) && statSync(p).isFile() && !skip(e)) cpSync(p, join(OUT, ws, 'dist', e));
  }
  const pkg = pkgOf(ws);
  delete pkg.scripts;
  pkg.main = 'dist/index.js';
  delete pkg.types;
  writeFileSync(join(OUT, ws, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
}
// every other workspace's package.json, unchanged, so package-lock.json stays in step with the workspaces (`npm ci` checks)
for (const ws of [...byName.values(), 'services/console/web', 'bench']) {
  if (!runtime.has(ws) && existsSync(join(ROOT, ws, 'package.json'))) {
    mkdirSync(join(OUT, ws), { recursive: true });
    cpSync(join(ROOT, ws, 'package.json'), join(OUT, ws, 'package.json'));
  }
}
for (const f of ['package.json', 'package-lock.json', '.node-version']) cpSync(join(ROOT, f), join(OUT, f));
for (const a of ASSETS) {
  if (!existsSync(join(ROOT, a))) throw new Error(`${a} is missing (build the console's SPA first: npm run build -w @cad110/console-web)`);
  cpSync(join(ROOT, a), join(OUT, a), { recursive: true });
}
console.log(JSON.stringify({ out: OUT, workspaces: [...runtime].sort(), files }));
