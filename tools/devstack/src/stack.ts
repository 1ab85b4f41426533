import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { generateAuthKeys, signingKey, signToken, type Role } from '@cad110/auth';
import { databaseUrlFor, dropDatabase } from '@cad110/db';
import { generateKeyringEntry } from '@cad110/kafka';
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
  /**
   * extra node options for the service processes (e.g. `--cpu-prof`); default the words of
   * `CAD110_NODE_ARGS` (e.g. `CAD110_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run demo`:
   * Node refuses `--cpu-prof` in NODE_OPTIONS)
   */
  nodeArgs?: string[];
  /**
   * Niceness (0–19, added to the niceness of the process running the stack) of the services off
   * the call → recommendation path: records and statistics.
   * On cores all of them share, the kernel then serves intake and dispatch first when every
   * process wants CPU, as `cpu_shares` does for those two services in docker-compose.yml (nice 3
   * ≈ weight 526 against 1,024, about the 512 : 1,024 there). The processes are started under
   * `nice`, so every thread of theirs has it. Default `CAD110_BACKGROUND_NICE`, else 0 (all
   * equal); the demo and the benchmark use 3 unless that variable is set.
   */
  backgroundNice?: number;
  /**
   * token keys (ES256): the console signs with the private key, every service verifies with the
   * public keys (default `CAD110_AUTH_PRIVATE_KEY` and `CAD110_AUTH_PUBLIC_KEYS` when both are set,
   * else a pair generated per stack)
   */
  authKeys?: AuthKeys;
  /**
   * the personal-data key ring (`CAD110_PERSONAL_DATA_KEYS`, libs/kafka sealing.ts) given to
   * intake, dispatch and records only (default: one random key per stack; `env` cannot give it to another)
   */
  personalDataKeys?: string;
  /** also run the console (services/console) after the four services (default false) */
  console?: boolean;
  /** with `console`: seed the demo users (one per role) with this password */
  demoPassword?: string;
  /**
   * instances of each of the four services (default 1), each on its own port, sharing the
   * service's database and consumer groups; the console (if any) talks to the first instance
   */
  instances?: number;
  /**
   * run the compiled JavaScript of the production image's layout (infra/docker/compile.mjs output with
   * production dependencies installed) from this folder instead of the TypeScript sources under tsx
   */
  appRoot?: string;
}

/** The two token key variables (libs/auth keys.ts). */
export interface AuthKeys {
  CAD110_AUTH_PRIVATE_KEY: string;
  CAD110_AUTH_PUBLIC_KEYS: string;
}

export interface RunningService {
  name: StackProcessName;
  /** 0-based instance number (see {@link StackOptions.instances}) */
  index: number;
  port: number;
  url: string;
  process: ChildProcess;
  /** true once it answered /readyz after its start */
  ready?: boolean;
}

/** A service could not listen on its port: another process holds it. */
class PortTakenError extends Error {}

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
  /** the first instance of each running process */
  readonly services = new Map<StackProcessName, RunningService>();
  /** every instance of each process, by instance number (a stopped one leaves a hole) */
  readonly instances = new Map<StackProcessName, (RunningService | undefined)[]>();
  readonly logDir: string;
  private readonly ports = new Map<string, number>();
  /** ports picked by freePort() that no start has listened on yet (another may be picked when taken) */
  private readonly unconfirmed = new Set<string>();
  readonly authKeys: AuthKeys;
  /** the key ring sealing personal fields on this stack's topics (intake, dispatch and records hold it) */
  readonly personalDataKeys: string;

  constructor(readonly opts: StackOptions) {
    this.logDir = opts.logDir ?? join(STATE_DIR, 'logs', opts.dbPrefix);
    const { CAD110_AUTH_PRIVATE_KEY: priv, CAD110_AUTH_PUBLIC_KEYS: pub } = process.env;
    this.authKeys = opts.authKeys ?? (priv && pub ? { CAD110_AUTH_PRIVATE_KEY: priv, CAD110_AUTH_PUBLIC_KEYS: pub } : generateAuthKeys().env);
    this.personalDataKeys = opts.personalDataKeys ?? generateKeyringEntry('stack1');
  }

  /** An access token for this stack's services, signed with the console's key. */
  token(role: Role, sub = `demo-${role}`, expiresInSeconds?: number): string {
    return signToken({ sub, role }, signingKey({ ...this.authKeys }), expiresInSeconds);
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
    // only the console holds the private key: the four services verify and cannot mint tokens
    // only intake, dispatch and records hold the personal-data key ring: statistics and the console never open
    const { CAD110_AUTH_PRIVATE_KEY: _p, CAD110_AUTH_SECRET: _s, CAD110_PERSONAL_DATA_KEYS: _k, ...inherited } = process.env;
    const sealing = name === 'intake' || name === 'dispatch' || name === 'records';
    const { CAD110_PERSONAL_DATA_KEYS: _e, ...extra } = this.opts.env ?? {};
    return {
      ...inherited,
      ...(name === CONSOLE ? { CAD110_AUTH_PRIVATE_KEY: this.authKeys.CAD110_AUTH_PRIVATE_KEY } : {}),
      PORT: String(port),
      KAFKA_BROKERS: this.opts.brokers,
      KAFKA_TOPIC_PREFIX: this.opts.topicPrefix,
      CAD110_AUTH_PUBLIC_KEYS: this.authKeys.CAD110_AUTH_PUBLIC_KEYS,
      CAD110_DB_PREFIX: this.opts.dbPrefix,
      DATABASE_URL: '',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      ...(this.opts.timeZone ? { BUREAU_TIME_ZONE: this.opts.timeZone } : {}),
      ...(this.opts.otlpEndpoint ? { OTEL_EXPORTER_OTLP_ENDPOINT: this.opts.otlpEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' } : {}),
      ...extra,
      ...(sealing ? { CAD110_PERSONAL_DATA_KEYS: this.personalDataKeys } : {}),
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
    for (const name of names) {
      const given = this.opts.ports?.[name];
      this.ports.set(name, given ?? (await freePort()));
      if (given === undefined) this.unconfirmed.add(name);
    }
    // intake first: it creates the topics the others subscribe to
    await this.startService('intake', timeoutMs);
    await Promise.all(SERVICES.filter((s) => s !== 'intake').map((s) => this.startService(s, timeoutMs)));
    // further instances after the first of each has migrated its database
    for (let i = 1; i < (this.opts.instances ?? 1); i++) await Promise.all(SERVICES.map((s) => this.startService(s, timeoutMs, i)));
    if (this.opts.console) await this.startService(CONSOLE, timeoutMs);
  }

  /**
   * Starts one instance of a service (again, on the same port as before) and waits for /readyz.
   * @param index instance number, 0 = the first
   */
  async startService(name: StackProcessName, timeoutMs = 90_000, index = 0): Promise<RunningService> {
    const portKey = index ? `${name}#${index}` : name;
    // a port picked here (not given, not held from an earlier start) can be taken by another
    // process between freePort() and the service's listen: then the service exits (EADDRINUSE)
    // or another process answers /readyz (another pid), and the start is tried again on a new port
    if (!this.ports.has(portKey) && this.opts.ports?.[name] === undefined) this.unconfirmed.add(portKey);
    for (let attempt = 1; ; attempt++) {
      try {
        const svc = await this.startOnce(name, portKey, index, timeoutMs);
        this.unconfirmed.delete(portKey); // a restart comes back on this port
        return svc;
      } catch (err) {
        if (!(err instanceof PortTakenError) || !this.unconfirmed.has(portKey) || attempt >= 3) throw err;
        this.ports.set(portKey, await freePort());
      }
    }
  }

  private async startOnce(name: StackProcessName, portKey: string, index: number, timeoutMs: number): Promise<RunningService> {
    const port = this.ports.get(portKey) ?? this.opts.ports?.[name] ?? (await freePort());
    this.ports.set(portKey, port);
    const env = this.envFor(name, port);
    delete env.DATABASE_URL;
    mkdirSync(this.logDir, { recursive: true });
    const logFile = join(this.logDir, index ? `${name}-${index + 1}.log` : `${name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const app = this.opts.appRoot;
    const entry = app ? ['--enable-source-maps', 'dist/main.js'] : ['--import', 'tsx', join(ROOT, 'services', name, 'src', 'main.ts')];
    const nodeArgs = [...(this.opts.nodeArgs ?? (process.env.CAD110_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)), ...entry];
    const nice = BACKGROUND_SERVICES.has(name) ? backgroundNice(this.opts.backgroundNice) : 0;
    // `nice` execs node in its own process (the same pid), so the pid, signals and exit code are node's
    const [command, args] = nice > 0 ? ['nice', ['-n', String(nice), process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
    const child = spawn(command, args, {
      cwd: join(app ?? ROOT, 'services', name),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // a program that cannot be started (e.g. no `nice` on PATH) fails this start, not the process running the stack
    let spawnError: Error | undefined;
    child.on('error', (err) => {
      spawnError ??= err;
    });
    let inUse = false;
    const watch = (chunk: Buffer): void => {
      if (chunk.includes('EADDRINUSE')) inUse = true;
    };
    child.stdout!.on('data', watch);
    child.stderr!.on('data', watch);
    child.stdout!.pipe(log);
    child.stderr!.pipe(log);
    const svc: RunningService = { name, index, port, url: `http://127.0.0.1:${port}`, process: child };
    if (index === 0) this.services.set(name, svc);
    const list = this.instances.get(name) ?? [];
    list[index] = svc;
    this.instances.set(name, list);
    const deadline = Date.now() + timeoutMs;
    let stranger: number | undefined;
    while (Date.now() < deadline) {
      if (spawnError) throw new Error(`${name} could not be started (${command}): ${spawnError.message}`);
      if (child.exitCode !== null) {
        if (inUse || stranger !== undefined) throw new PortTakenError(`${name}: port ${port} is taken${stranger !== undefined ? ` (pid ${stranger} answers it)` : ''}`);
        throw new Error(`${name} exited with code ${child.exitCode} during start-up; see ${logFile}`);
      }
      try {
        const r = await fetch(`${svc.url}/readyz`);
        const body = (await r.json().catch(() => ({}))) as { pid?: number };
        // another process on this port (not the one just started) is not this service being ready
        // (the service itself exits when it cannot take the port: libs/runtime serve)
        if (body.pid !== undefined && body.pid !== child.pid) stranger = body.pid;
        else if (r.ok) {
          svc.ready = true;
          return svc;
        }
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    child.kill('SIGKILL');
    throw new Error(`${name} not ready after ${timeoutMs} ms${stranger !== undefined ? ` (port ${port} answered by pid ${stranger})` : ''}; see ${logFile}`);
  }

  /**
   * Stops one instance of a service: SIGTERM (SIGKILL after 10 s), or `SIGKILL` at once (kill -9).
   * @param index instance number, 0 = the first
   */
  async stopService(name: StackProcessName, index = 0, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const svc = this.instances.get(name)?.[index];
    if (!svc) return;
    if (svc.process.exitCode === null && svc.process.signalCode === null) {
      const exited = new Promise<void>((resolve) => svc.process.once('exit', () => resolve()));
      svc.process.kill(signal);
      const timer = setTimeout(() => svc.process.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    this.instances.get(name)![index] = undefined;
    if (index === 0) this.services.delete(name);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.instances].flatMap(([name, list]) => list.map((svc, i) => (svc ? this.stopService(name, i) : undefined))));
  }

  /** Base URLs of the running instances of a service that have been ready since their start. */
  urls(name: StackProcessName): string[] {
    return (this.instances.get(name) ?? []).filter((s): s is RunningService => !!s?.ready && s.process.exitCode === null && s.process.signalCode === null).map((s) => s.url);
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

/** The services {@link StackOptions.backgroundNice} applies to: nothing between a call and its recommendation waits for them. */
const BACKGROUND_SERVICES: ReadonlySet<string> = new Set(['records', 'statistics']);

/**
 * The niceness of records and statistics: `given` when set, else `CAD110_BACKGROUND_NICE` when set,
 * else `fallback`.
 * @throws Error when the value is not an integer 0–19
 */
export function backgroundNice(given?: number, fallback = 0): number {
  const env = process.env.CAD110_BACKGROUND_NICE;
  const n = given ?? (env !== undefined && env !== '' ? Number(env) : fallback);
  if (!Number.isInteger(n) || n < 0 || n > 19) throw new Error(`the niceness of records and statistics (CAD110_BACKGROUND_NICE) must be an integer 0–19, got ${given ?? env}`);
  return n;
}
