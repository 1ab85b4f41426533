import { spawn, spawnSync } from 'node:child_process';
import { chownSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_DIR } from '../paths';

const BIN = process.env.CAD110_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A private PostgreSQL server for faults that restart the database (the fault suite never
 * touches the machine's server on 5432): `initdb` into `.cad110/pg-<port>`, `pg_ctl` start/stop on
 * 127.0.0.1:<port>, trust authentication for the `postgres` role. As root, the server runs as the
 * `postgres` OS user (initdb refuses root). pg_ctl runs detached with its output to a file, so
 * the postmaster inherits no descriptor or lock of the caller.
 */
export class PrivatePostgres {
  readonly dir: string;
  /**
   * @param port `CAD110_CHAOS_PG_PORT`, default 25432: below Linux's ephemeral range (32768–60999),
   *   so no outgoing connection of the test run can hold it. The former default 55432 lay inside
   *   it, and a CI run once failed to start the server with "could not bind … Address already in use"
   *   while nothing listened on the port before or after.
   */
  constructor(
    readonly port = Number(process.env.CAD110_CHAOS_PG_PORT ?? 25432),
    dir?: string,
  ) {
    this.dir = dir ?? join(STATE_DIR, `pg-${port}`);
  }

  /** Server URL (database `postgres`); services add their own database name. */
  get url(): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private async run(tool: string, args: string[]): Promise<void> {
    const asRoot = process.getuid?.() === 0;
    const cmd = asRoot ? 'runuser' : join(BIN, tool);
    const argv = asRoot ? ['-u', 'postgres', '--', join(BIN, tool), ...args] : args;
    const logFile = join(this.dir, '..', `pg-${this.port}.ctl.log`);
    const out = openSync(logFile, 'a');
    try {
      // detached (own session), stdio to a file: the postmaster inherits nothing of this process
      const child = spawn(cmd, argv, { stdio: ['ignore', out, out], detached: true });
      const code = await new Promise<number | string>((resolve) => child.on('exit', (c, sig) => resolve(c ?? sig ?? 'unknown')));
      if (code !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${code}; see ${logFile}`);
    } finally {
      closeSync(out);
    }
  }

  /** Creates the data directory (first time) and starts the server; waits until it accepts connections. */
  async start(): Promise<void> {
    if (!existsSync(join(this.dir, 'PG_VERSION'))) {
      mkdirSync(this.dir, { recursive: true });
      if (process.getuid?.() === 0) chownSync(this.dir, Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim()), Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim()));
      await this.run('initdb', ['-D', this.dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
    }
    if (this.running()) return;
    const opts = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300 -c shared_buffers=64MB`;
    await this.run('pg_ctl', ['-D', this.dir, '-l', join(this.dir, 'server.log'), '-o', opts, '-w', '-t', '60', 'start']);
  }

  /** Stops the server (`fast`: aborts open transactions, as a restart or failover does). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.running()) return;
    await this.run('pg_ctl', ['-D', this.dir, '-m', mode, '-w', '-t', '60', 'stop']);
  }

  running(): boolean {
    const asRoot = process.getuid?.() === 0;
    const argv = ['-D', this.dir, 'status'];
    const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', join(BIN, 'pg_ctl'), ...argv], { stdio: 'ignore' }) : spawnSync(join(BIN, 'pg_ctl'), argv, { stdio: 'ignore' });
    return r.status === 0;
  }
}
