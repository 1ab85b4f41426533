/**
 * The routes a service really registers: its express app built in this process with its own
 * `createServer()` on a real runtime (`createRuntime`: the stack's database — no migrations —
 * and broker), then the router stack walked. The role matrix compares them with its tables.
 *
 * The services are loaded by path (like Stack starts them), not as package dependencies:
 * statistics depends on devstack, so devstack cannot depend on it.
 */
import { join } from 'node:path';
import type { Express } from 'express';
import { createRuntime, type PrismaLike } from '@cad110/runtime';
import { ROOT } from '../../src/paths';
import type { Target } from './routes';

interface Layer {
  route?: { path: string | RegExp; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  /** router 2: the layer matches every path (mounted at `/`) */
  slash?: boolean;
  name?: string;
}

/**
 * Every `METHOD path` routed on an express 5 app, nested routers included (in registration
 * order, `_all` left out). Regular-expression routes appear as the expression's source text.
 * @throws Error for a router mounted under a path prefix (the walk would lose the prefix)
 */
export function routesOf(app: Express): string[] {
  const out: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const l of stack) {
      if (l.route) {
        const path = typeof l.route.path === 'string' ? l.route.path : String(l.route.path);
        for (const [m, on] of Object.entries(l.route.methods)) if (on && m !== '_all') out.push(`${m.toUpperCase()} ${path}`);
      } else if (l.handle?.stack) {
        if (l.slash === false) throw new Error(`a router mounted under a path prefix (${l.name ?? 'router'}): teach routesOf its prefix`);
        walk(l.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return out;
}

type CreateServer = (rt: unknown) => Express | { app: Express };

/**
 * The routes of `name`'s express app, built as its main.ts builds it. `env`: the environment the
 * stack runs the service with (database prefix, topic prefix, brokers, signing secret); it is set
 * while the app is built and restored afterwards.
 */
export async function registeredRoutes(name: Target, env: Record<string, string>): Promise<string[]> {
  const saved = { ...process.env };
  Object.assign(process.env, env, { DB_MIGRATE: 'false', LOG_LEVEL: 'warn' });
  delete process.env.DATABASE_URL;
  try {
    const dir = join(ROOT, 'services', name);
    const { makePrisma } = require(join(dir, 'src', 'prisma.ts')) as { makePrisma: (pool: unknown) => PrismaLike<never> };
    const { createServer } = require(join(dir, 'src', 'server.ts')) as { createServer: CreateServer };
    const rt = await createRuntime({ name, serviceDir: dir, makePrisma, outbox: name !== 'statistics' && name !== 'console', poolSize: 1 });
    try {
      const built = createServer(rt);
      return routesOf(typeof built === 'function' ? built : built.app);
    } finally {
      await rt.producer.disconnect();
      await rt.prisma.$disconnect();
      await rt.pool.end();
    }
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}
