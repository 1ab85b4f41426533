import { randomBytes } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { deployMigrations, dropDatabase, ensureDatabase, withDatabase, DEFAULT_POSTGRES_URL } from '@cad110/db';

/** A short random suffix for topic, group and database names (kafkajs' own tests do the same). */
export function uniqueId(prefix = 't'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/**
 * Polls `fn` until it returns a truthy value (returned) or `timeoutMs` passes.
 * @throws Error with `message` (and the last value seen) on timeout
 */
export async function waitFor<T>(fn: () => Promise<T> | T, { timeoutMs = 30_000, intervalMs = 100, message = 'condition not met' } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${message} after ${timeoutMs} ms (last value ${JSON.stringify(last)}${lastErr ? `, last error ${(lastErr as Error).message}` : ''})`);
}

/**
 * A fresh PostgreSQL database with the given migrations applied (dropped by `drop()`).
 * Server from `POSTGRES_URL` (default 127.0.0.1:5432).
 */
export async function tempDatabase(migrationsDir: string, name = uniqueId('cad110t_')): Promise<{ url: string; drop: () => Promise<void> }> {
  const url = withDatabase(process.env.POSTGRES_URL ?? DEFAULT_POSTGRES_URL, name);
  await ensureDatabase(url);
  await deployMigrations(url, migrationsDir);
  return { url, drop: () => dropDatabase(url) };
}

let exporter: InMemorySpanExporter | undefined;

/**
 * Registers a global tracer provider that keeps finished spans in memory (with the W3C
 * propagator and async-hooks context), for asserting spans in tests.
 */
export function useInMemoryTracing(): InMemorySpanExporter {
  if (exporter) return exporter;
  exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return exporter;
}
export * from './decider-spec';
export * from './shared';

/**
 * Sets the token keys of API tests (a P-256 pair made once per test process) in `process.env`
 * unless they are set: `CAD110_AUTH_PRIVATE_KEY` and `CAD110_AUTH_PUBLIC_KEYS`. Call before a
 * service's createServer runs (or spawn services with this env).
 */
export function useTestAuthKeys(): void {
  if (process.env.CAD110_AUTH_PUBLIC_KEYS && process.env.CAD110_AUTH_PRIVATE_KEY) return;
  // required lazily so tests that do not use auth need not load it
  const { generateAuthKeys } = require('@cad110/auth') as typeof import('@cad110/auth');
  Object.assign(process.env, generateAuthKeys('test').env);
}

/** `Authorization` header value for a role in API tests (sets the test keys if unset, {@link useTestAuthKeys}). */
export function bearer(role: import('@cad110/auth').Role, sub = `test-${role}`): string {
  useTestAuthKeys();
  const { signToken } = require('@cad110/auth') as typeof import('@cad110/auth');
  return `Bearer ${signToken({ sub, role })}`;
}
export * from './openapi';
