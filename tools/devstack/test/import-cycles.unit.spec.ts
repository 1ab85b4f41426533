/**
 * No import cycles in the source of the services, libraries and tools — type-only imports
 * included (issue 12: statistics' `server.ts` ⇄ `consumers.ts` ⇄ `admin/routes.ts` was one).
 * Imports are read with TypeScript's own pre-processor (`import`, `import type`, `export … from`,
 * `require`); relative paths resolve to `.ts`/`.tsx` files or `index.ts`, `@cad110/<pkg>` to the
 * workspace package's `main` (and its sub-paths); other packages are left out. Cycles are the
 * strongly connected components of that graph (Tarjan). `npx madge --circular --extensions ts
 * services libs tools bench` gives the same answer with a tool of its own.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../src/paths';

const TOPS = ['services', 'libs', 'tools'];

/** Workspace package name → its directory and entry file. */
function workspacePackages(): Map<string, { dir: string; main: string }> {
  const out = new Map<string, { dir: string; main: string }>();
  for (const top of TOPS)
    for (const name of readdirSync(join(ROOT, top))) {
      const pkg = join(ROOT, top, name, 'package.json');
      if (!existsSync(pkg)) continue;
      const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name: string; main?: string };
      out.set(json.name, { dir: join(ROOT, top, name), main: join(ROOT, top, name, json.main ?? 'src/index.ts') });
    }
  return out;
}

/** Source files (no tests, no generated code, no dependencies). */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) {
        if (!['node_modules', 'generated', 'dist', 'test'].includes(f)) walk(p);
      } else if (/\.tsx?$/.test(f) && !/\.(spec|d)\.tsx?$/.test(f)) out.push(p);
    }
  };
  for (const top of TOPS) for (const name of readdirSync(join(ROOT, top))) if (statSync(join(ROOT, top, name)).isDirectory()) walk(join(ROOT, top, name));
  return out;
}

function resolveFile(base: string): string | undefined {
  for (const c of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), join(base, 'index.tsx')]) if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

/** Imports of `file` that are source files of the repository. */
function importsOf(file: string, packages: Map<string, { dir: string; main: string }>): string[] {
  const out: string[] = [];
  for (const { fileName: spec } of ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles) {
    let target: string | undefined;
    if (spec.startsWith('.')) target = resolveFile(join(dirname(file), spec));
    else {
      const m = /^(@cad110\/[^/]+)(\/.*)?$/.exec(spec);
      const pkg = m ? packages.get(m[1]!) : undefined;
      if (pkg) target = m![2] ? resolveFile(join(pkg.dir, m![2])) : pkg.main;
    }
    if (target) out.push(target);
  }
  return out;
}

/** Strongly connected components with more than one file (or a file importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('import cycles', () => {
  it('none in services, libs and tools (type-only imports included)', () => {
    const packages = workspacePackages();
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(200);
    const graph = new Map(files.map((f) => [f, importsOf(f, packages)]));
    expect(cycles(graph).map((c) => c.map((f) => relative(ROOT, f)))).toEqual([]);
  });

  it('the check can fail: a ⇄ b through a type-only import is found', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'a.ts']],
      ['c.ts', []],
    ]);
    expect(cycles(graph)).toEqual([['a.ts', 'b.ts']]);
    const dir = join(ROOT, 'services', 'statistics', 'src', 'projections');
    expect(importsOf(join(dir, 'response-hist.ts'), workspacePackages())).toContain(join(dir, 'summary-change.ts'));
  });
});
