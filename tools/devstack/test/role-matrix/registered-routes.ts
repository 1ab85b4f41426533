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
import { openApiOf, routeTableOf, routesOf, type RouteDoc } from '@cad110/http';
import { createRuntime } from '@cad110/runtime';
import { ROOT } from '../../src/paths';
import type { Target } from './routes';

export { routesOf };

type CreateServer = (rt: unknown) => Express | { app: Express };

/**
 * The routes of `name`'s express app, built as its main.ts builds it. `env`: the environment the
 * stack runs the service with (database prefix, topic prefix, brokers, signing secret); it is set
 * while the app is built and restored afterwards.
 */
export async function registeredRoutes(name: Target, env: Record<string, string>): Promise<string[]> {
  return (await builtApp(name, env)).routes;
}

/** What a service's built app holds: the routes express really routes, its route table and its OpenAPI document. */
export interface BuiltApp {
  routes: string[];
  table: RouteDoc[];
  openapi: Record<string, unknown> | undefined;
}

/** {@link registeredRoutes} with the app's route table and OpenAPI document (`app.locals`, libs/http serveRoutes). */
export async function builtApp(name: Target, env: Record<string, string>): Promise<BuiltApp> {
  const saved = { ...process.env };
  Object.assign(process.env, env, { DB_MIGRATE: 'false', LOG_LEVEL: 'warn' });
  delete process.env.DATABASE_URL;
  try {
    const dir = join(ROOT, 'services', name);
    const { createServer } = require(join(dir, 'src', 'server.ts')) as { createServer: CreateServer };
    const rt = await createRuntime({ name, serviceDir: dir, outbox: name !== 'statistics' && name !== 'console', poolSize: 1 });
    try {
      const built = createServer(rt);
      const app = typeof built === 'function' ? built : built.app;
      return { routes: routesOf(app), table: routeTableOf(app), openapi: openApiOf(app) };
    } finally {
      await rt.producer.disconnect();
      await rt.pool.end();
    }
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}
