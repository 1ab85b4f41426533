/**
 * The README's configuration table against the services' zod schemas (libs/runtime `RuntimeEnv`
 * and each `services/<svc>/src/config.ts`):
 * - every schema variable is in the table of README.md "Configuration" (a service's own may be in
 *   its README's table instead);
 * - every default the schema gives (numbers and non-empty words) is the one the table shows;
 * - every variable the services and libraries read (`env.X`, `process.env.X` in services/<svc>/src
 *   and libs/<lib>/src, CLIs, tests and the test kit aside) is declared in a schema, so start-up
 *   validates it.
 * The services' modules are loaded by path, as the role matrix does (devstack cannot depend on
 * statistics).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { RuntimeEnv } from '@cad110/runtime';
import { ROOT } from '../src/paths';

const SCHEMAS: Record<string, string> = { intake: 'IntakeEnv', dispatch: 'DispatchEnv', records: 'RecordsEnv', statistics: 'StatisticsEnv', console: 'ConsoleEnv' };

const schemaOf = (service: string) => (require(join(ROOT, 'services', service, 'src', 'config.ts')) as Record<string, z.ZodObject>)[SCHEMAS[service]!]!;

/** Table rows (`| ... |`) of a markdown section, by the variables in their first cell. */
function rowsOf(markdown: string, heading: RegExp): Map<string, string[]> {
  const start = markdown.search(heading);
  if (start < 0) return new Map();
  const next = markdown.indexOf('\n## ', start + 5);
  const section = markdown.slice(start, next < 0 ? undefined : next);
  const rows = new Map<string, string[]>();
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const cells = line.split(' | ');
    for (const m of cells[0]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) rows.set(m[1]!, cells);
  }
  return rows;
}

const readme = rowsOf(readFileSync(join(ROOT, 'README.md'), 'utf8'), /^## Configuration/m);
const serviceReadme = (service: string) => rowsOf(readFileSync(join(ROOT, 'services', service, 'README.md'), 'utf8'), /^## Configuration/m);

/** Defaults the schema gives when the variable is unset (numbers and non-empty strings; flags and JSON aside). */
function defaultsOf(schema: z.ZodObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, field] of Object.entries(schema.shape)) {
    const r = (field as z.ZodType).safeParse(undefined);
    if (r.success && (typeof r.data === 'number' || (typeof r.data === 'string' && r.data !== ''))) out[name] = String(r.data);
  }
  return out;
}

/** Source files of services/<svc>/src and libs/<lib>/src, tests, CLIs, generated code and the test kit aside. */
function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) {
        if (f !== 'generated' && f !== 'node_modules' && f !== 'web') walk(p);
      } else if (p.endsWith('.ts') && !p.endsWith('.spec.ts') && !p.endsWith('-cli.ts')) out.push(p);
    }
  };
  for (const top of ['services', 'libs']) for (const pkg of readdirSync(join(ROOT, top))) if (pkg !== 'testkit' && statSync(join(ROOT, top, pkg, 'src'), { throwIfNoEntry: false })?.isDirectory()) walk(join(ROOT, top, pkg, 'src'));
  return out;
}

/** Variables the OpenTelemetry SDK reads itself (standard names, documented in README "Configuration"). */
const OTEL_SDK = /^OTEL_/;

describe("the README's configuration table = the services' zod schemas", () => {
  const services = Object.keys(SCHEMAS);

  it.each(services.map((s) => [s]))('%s: every variable of its schema is documented', (service) => {
    const own = serviceReadme(service);
    const missing = Object.keys(schemaOf(service).shape).filter((v) => !readme.has(v) && !own.has(v));
    expect(missing).toEqual([]);
  });

  it.each(services.map((s) => [s]))('%s: every default of its schema is the one documented', (service) => {
    const own = serviceReadme(service);
    const wrong: string[] = [];
    for (const [name, def] of Object.entries(defaultsOf(schemaOf(service)))) {
      const row = readme.get(name) ?? own.get(name)!;
      if (!row[1]!.includes(def)) wrong.push(`${name}: schema default ${def}, documented ${row[1]}`);
    }
    expect(wrong).toEqual([]);
  });

  it('the check can fail: a wrong default is found', () => {
    const wrong = Object.entries(defaultsOf(RuntimeEnv.extend({ DB_POOL_SIZE: z.string().default('11') }))).filter(([n, d]) => !readme.get(n)?.[1]?.includes(d));
    expect(wrong.map(([n]) => n)).toEqual(['DB_POOL_SIZE']);
  });

  it('every variable the services and libraries read is declared in a schema (validated at start-up)', () => {
    const declared = new Set(services.flatMap((s) => Object.keys(schemaOf(s).shape)));
    const undeclared: string[] = [];
    for (const file of sources()) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)|\benv\[['"`]([A-Z][A-Z0-9_]+)['"`]\]/g)) {
        const name = m[1] ?? m[2]!;
        if (!declared.has(name) && !OTEL_SDK.test(name)) undeclared.push(`${relative(ROOT, file)}: ${name}`);
      }
    }
    expect([...new Set(undeclared)]).toEqual([]);
  });
});
