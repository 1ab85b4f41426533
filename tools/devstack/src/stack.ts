import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { signToken, type Role } from '@cad110/auth';
import { databaseUrlFor, dropDatabase } from '@cad110/db';
import { ROOT, SERVICES, STATE_DIR, type ServiceName } from './paths';

export interface StackOptions {
  /** Kafka bootstrap servers */
  brokers: string;
  /** topic name prefix (isolates stacks sharing one broker), e.g. `cad110demo.` */
  topicPrefix: string;
  /** database name prefix (`<prefix>_intake`, ...) */
  dbPrefix: string;
  /** drop the stack's databases before starting */
  fresh?: boolean;
  /** fixed ports per service; random free ports otherwise */
  ports?: Partial<Record<ServiceName, number>>;
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
}

export interface RunningService {
  name: ServiceName;
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
 * databases and apply their migrations at start-up.
 */
export class Stack {
  readonly services = new Map<ServiceName, RunningService>();
  readonly logDir: string;
  private readonly ports = new Map<ServiceName, number>();
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
  envFor(name: ServiceName, port: number): NodeJS.ProcessEnv {
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
      SERVICE_NAME: name,
    };
  }

  /** Database URL of one of this stack's services. */
  databaseUrl(name: ServiceName): string {
    return databaseUrlFor(name, { ...process.env, DATABASE_URL: '', CAD110_DB_PREFIX: this.opts.dbPrefix });
  }

  /** Starts all four services and waits until each answers /readyz. */
  async start(timeoutMs = 90_000): Promise<void> {
    mkdirSync(this.logDir, { recursive: true });
    if (this.opts.fresh) await Promise.all(SERVICES.map((s) => dropDatabase(this.databaseUrl(s))));
    for (const name of SERVICES) this.ports.set(name, this.opts.ports?.[name] ?? (await freePort()));
    // intake first: it creates the topics the others subscribe to
    await this.startService('intake', timeoutMs);
    await Promise.all(SERVICES.filter((s) => s !== 'intake').map((s) => this.startService(s, timeoutMs)));
  }

  /** Starts one service (again) and waits for /readyz. */
  async startService(name: ServiceName, timeoutMs = 90_000): Promise<RunningService> {
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
  async stopService(name: ServiceName): Promise<void> {
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

  url(name: ServiceName): string {
    const s = this.services.get(name);
    if (!s) throw new Error(`${name} is not running`);
    return s.url;
  }
}
