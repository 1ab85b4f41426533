import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { signToken, type Role } from '@cad110/auth';
import { databaseUrlFor, dropDatabase } from '@cad110/db';
import { CONSOLE, ROOT, SERVICES, STATE_DIR, type StackProcessName } from './paths';

export interface StackOptions {
  /** Kafka bootstrap servers */
  brokers: string;
  /** topic name prefix (isolates stacks sharing one broker), e.g. `cad110demo.` */
  topicPrefix: string;
  /** database name prefix (`<prefix>_intake`, ...) */
  dbPrefix: string;
  /** drop the stack's databases before starting */
  fresh?: boolean;
  /** fixed ports per service (and the console); random free ports otherwise */
  ports?: Partial<Record<StackProcessName, number>>;
  /** OTLP/HTTP endpoint the services export traces to */
  otlpEndpoint?: string;
  /** bureau time zone for the services (IANA) */
  timeZone?: string;
  /** extra environment for every service */
  env?: Record<string, string>;
  /** where service logs go (default .cad110/logs/<prefix>) */
  logDir?: string;
  /** extra node options for the service processes (e.g. `--cpu-prof`) */
  nodeArgs?: string[];
  /** token signing secret shared by the services (default `CAD110_AUTH_SECRET`, else random per stack) */
  authSecret?: string;
  /** also run the console (services/console) after the four services (default false) */
  console?: boolean;
  /** with `console`: seed the demo users (one per role) with this password */
  demoPassword?: string;
}

export interface RunningService {
  name: StackProcessName;
  port: number;
  url: string;
  process: ChildProcess;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The four services as child processes (`node --import tsx services/<name>/src/main.ts`), each
 * with its own database and the shared broker; logs go to files. Services create their
 * databases and apply their migrations at start-up. With `console: true` the console runs too,
 * pointed at the four services (`INTAKE_URL`, ...).
 */
export class Stack {
  readonly services = new Map<StackProcessName, RunningService>();
  readonly logDir: string;
  private readonly ports = new Map<StackProcessName, number>();
  readonly authSecret: string;

  constructor(readonly opts: StackOptions) {
    this.logDir = opts.logDir ?? join(STATE_DIR, 'logs', opts.dbPrefix);
    this.authSecret = opts.authSecret ?? process.env.CAD110_AUTH_SECRET ?? randomBytes(32).toString('base64url');
  }

  /** An access token for this stack's services. */
  token(role: Role, sub = `demo-${role}`): string {
    return signToken({ sub, role }, this.authSecret);
  }

  /** Environment a service of this stack runs with. */
  envFor(name: StackProcessName, port: number): NodeJS.ProcessEnv {
    const consoleEnv: Record<string, string> =
      name === CONSOLE
        ? {
            ...Object.fromEntries(SERVICES.map((s) => [`${s.toUpperCase()}_URL`, `http://127.0.0.1:${this.ports.get(s)}`])),
            ...(this.opts.demoPassword ? { CONSOLE_SEED_DEMO_USERS: 'true', CAD110_DEMO_PASSWORD: this.opts.demoPassword } : {}),
          }
        : {};
    return {
      ...process.env,
      PORT: String(port),
      KAFKA_BROKERS: this.opts.brokers,
      KAFKA_TOPIC_PREFIX: this.opts.topicPrefix,
      CAD110_AUTH_SECRET: this.authSecret,
      CAD110_DB_PREFIX: this.opts.dbPrefix,
      DATABASE_URL: '',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      ...(this.opts.timeZone ? { BUREAU_TIME_ZONE: this.opts.timeZone } : {}),
      ...(this.opts.otlpEndpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: this.opts.otlpEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } : {}),
      ...this.opts.env,
      ...consoleEnv,
      SERVICE_NAME: name,
    };
  }

  /** Database URL of one of this stack's services. */
  databaseUrl(name: StackProcessName): string {
    return databaseUrlFor(name, { ...process.env, DATABASE_URL: '', CAD110_DB_PREFIX: this.opts.dbPrefix });
  }

  /** Starts all four services and waits until each answers /readyz. */
  async start(timeoutMs = 90_000): Promise<void> {
    mkdirSync(this.logDir, { recursive: true });
    const names: StackProcessName[] = this.opts.console ? [...SERVICES, CONSOLE] : [...SERVICES];
    if (this.opts.fresh) await Promise.all(names.map((s) => dropDatabase(this.databaseUrl(s))));
    for (const name of names) this.ports.set(name, this.opts.ports?.[name] ?? (await freePort()));
    // intake first: it creates the topics the others subscribe to
    await this.startService('intake', timeoutMs);
    await Promise.all(SERVICES.filter((s) => s !== 'intake').map((s) => this.startService(s, timeoutMs)));
    if (this.opts.console) await this.startService(CONSOLE, timeoutMs);
  }

  /** Starts one service (again) and waits for /readyz. */
  async startService(name: StackProcessName, timeoutMs = 90_000): Promise<RunningService> {
    const port = this.ports.get(name) ?? (await freePort());
    this.ports.set(name, port);
    const env = this.envFor(name, port);
    delete env.DATABASE_URL;
    const log = createWriteStream(join(this.logDir, `${name}.log`), { flags: 'a' });
    const child = spawn(process.execPath, [...(this.opts.nodeArgs ?? []), '--import', 'tsx', join(ROOT, 'services', name, 'src', 'main.ts')], {
      cwd: join(ROOT, 'services', name),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const svc: RunningService = { name, port, url: `http://127.0.0.1:${port}`, process: child };
    this.services.set(name, svc);
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} during start-up; see ${join(this.logDir, `${name}.log`)}`);
      try {
        const r = await fetch(`${svc.url}/readyz`);
        if (r.ok) return svc;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    throw new Error(`${name} not ready after ${timeoutMs} ms; see ${join(this.logDir, `${name}.log`)}`);
  }

  /** Stops one service (SIGTERM, SIGKILL after 10 s). */
  async stopService(name: StackProcessName): Promise<void> {
    const svc = this.services.get(name);
    if (!svc || svc.process.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => svc.process.once('exit', () => resolve()));
    svc.process.kill('SIGTERM');
    const timer = setTimeout(() => svc.process.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
    this.services.delete(name);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.services.keys()].map((s) => this.stopService(s)));
  }

  /** Drops this stack's databases (the four services', and the console's when it has one); call after {@link stop}. */
  async dropDatabases(): Promise<void> {
    const names: StackProcessName[] = this.opts.console ? [...SERVICES, CONSOLE] : [...SERVICES];
    await Promise.all(names.map((s) => dropDatabase(this.databaseUrl(s))));
  }

  url(name: StackProcessName): string {
    const s = this.services.get(name);
    if (!s) throw new Error(`${name} is not running`);
    return s.url;
  }
}
