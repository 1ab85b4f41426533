/**
 * Load-insensitive costs of a benchmark phase, per call: CPU milliseconds of each service
 * process, of the PostgreSQL backends serving the stack's databases and of the Kafka broker
 * (from /proc/<pid>/stat utime + stime, Linux only; `NaN` elsewhere); PostgreSQL transactions and
 * rows inserted / updated / deleted (pg_stat_database of the four databases); trace spans received
 * by the bench's OTLP receiver, and of those the `pg.*` spans (one per traced SQL statement).
 * CPU time is what a process spent on the cores, so it hardly moves when other work shares the
 * machine, unlike calls per second.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { SERVICES, STATE_DIR, type Stack, type TraceTap } from '@cad110/devstack';

/** Statements the bench itself ran on each service's database (its progress polls), not counted as the pipeline's. */
export const benchQueries = new Map<string, number>();

/** clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux) */
const TICKS_PER_SECOND = 100;

/** CPU milliseconds (user + system) a process has used so far; NaN when it is gone or not Linux. */
export function processCpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the ")" that closes the command name: state is field 3, utime 14, stime 15
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND) * 1000;
  } catch {
    return NaN;
  }
}

function kafkaPid(): number | undefined {
  try {
    const dir = process.env.CAD110_KAFKA_DIR ?? join(STATE_DIR, `kafka-${process.env.CAD110_KAFKA_PORT ?? '19092'}`);
    return Number(readFileSync(join(dir, 'kafka.pid'), 'utf8').trim()) || undefined;
  } catch {
    return undefined;
  }
}

interface Snapshot {
  cpu: Record<string, number>;
  pgBackends: Map<number, number>;
  db: Record<string, { xacts: number; ins: number; upd: number; del: number }>;
  spans: Map<string, { spans: number; pg: number }>;
  polls: Record<string, number>;
  /** performance.now() when taken */
  at: number;
}

export interface PhaseCosts {
  calls: number;
  /** CPU ms per call of each service process, the stack's PostgreSQL backends and the broker */
  cpuMsPerCall: Record<string, number>;
  /** PostgreSQL transactions (commits + rollbacks) per call, per database and in total, the bench's own polls subtracted */
  transactionsPerCall: Record<string, number>;
  /** rows inserted + updated + deleted per call, per database and in total (the pipeline's row count) */
  rowsPerCall: Record<string, number>;
  rowsInsertedPerCall: number;
  /** trace spans per call received by the bench's OTLP receiver, per service and in total */
  spansPerCall: Record<string, number>;
  /** `pg.*` spans per call (each is one SQL statement sent under a span) */
  pgStatementsTracedPerCall: Record<string, number>;
}

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** Measures one phase: `const m = await CostMeter.start(stack, tap)` … `await m.finish(calls)`. */
export class CostMeter {
  private constructor(
    private readonly stack: Stack,
    private readonly tap: TraceTap | undefined,
    private readonly before: Snapshot,
  ) {}

  static async start(stack: Stack, tap?: TraceTap): Promise<CostMeter> {
    return new CostMeter(stack, tap, await snapshot(stack, tap));
  }

  /** The costs per second of wall time since {@link start} (for an idle stack: its fixed cost). */
  async finishPerSecond(): Promise<PhaseCosts> {
    const b = await snapshot(this.stack, this.tap);
    return this.costs(b, (b.at - this.before.at) / 1000);
  }

  async finish(calls: number): Promise<PhaseCosts> {
    await new Promise((r) => setTimeout(r, 1500)); // idle backends flush their statistics within 1 s
    return this.costs(await snapshot(this.stack, this.tap), calls);
  }

  private costs(b: Snapshot, calls: number): PhaseCosts {
    const a = this.before;
    const per = (x: number) => Math.round((x / Math.max(1e-9, calls)) * 100) / 100;
    const cpu: Record<string, number> = {};
    for (const k of Object.keys(b.cpu)) cpu[k] = per(b.cpu[k]! - (a.cpu[k] ?? NaN));
    let pgCpu = 0;
    for (const [pid, ms] of b.pgBackends) pgCpu += ms - (a.pgBackends.get(pid) ?? 0);
    cpu.postgres = per(pgCpu);
    cpu.total = per(Object.entries(b.cpu).reduce((s, [k, v]) => (k === 'bench' ? s : s + (v - (a.cpu[k] ?? v))), 0) + pgCpu);
    const tx: Record<string, number> = {};
    const rows: Record<string, number> = {};
    let txAll = 0;
    let rowsAll = 0;
    let ins = 0;
    for (const s of SERVICES) {
      const d0 = a.db[s]!;
      const d1 = b.db[s]!;
      const polls = (benchQueries.get(s) ?? 0) - (a.polls[s] ?? 0);
      tx[s] = per(d1.xacts - d0.xacts - polls);
      const r = d1.ins - d0.ins + d1.upd - d0.upd + d1.del - d0.del;
      rows[s] = per(r);
      txAll += d1.xacts - d0.xacts - polls;
      rowsAll += r;
      ins += d1.ins - d0.ins;
    }
    tx.total = per(txAll);
    rows.total = per(rowsAll);
    const spans: Record<string, number> = {};
    const pg: Record<string, number> = {};
    let sAll = 0;
    let pAll = 0;
    for (const [svc, c] of b.spans) {
      const c0 = a.spans.get(svc) ?? { spans: 0, pg: 0 };
      spans[svc] = per(c.spans - c0.spans);
      pg[svc] = per(c.pg - c0.pg);
      sAll += c.spans - c0.spans;
      pAll += c.pg - c0.pg;
    }
    spans.total = per(sAll);
    pg.total = per(pAll);
    return { calls, cpuMsPerCall: cpu, transactionsPerCall: tx, rowsPerCall: rows, rowsInsertedPerCall: per(ins), spansPerCall: spans, pgStatementsTracedPerCall: pg };
  }
}

async function snapshot(stack: Stack, tap?: TraceTap): Promise<Snapshot> {
  const at = performance.now();
  const cpu: Record<string, number> = {};
  for (const s of SERVICES) cpu[s] = processCpuMs(stack.services.get(s)?.process.pid);
  const k = kafkaPid();
  if (k) cpu.kafka = processCpuMs(k);
  cpu.bench = processCpuMs(process.pid);
  const dbNames = SERVICES.map((s) => new URL(stack.databaseUrl(s)).pathname.slice(1));
  const u = new URL(stack.databaseUrl('intake'));
  u.pathname = '/postgres';
  const url = u.toString();
  const backends = await query<{ pid: number }>(url, `SELECT pid FROM pg_stat_activity WHERE datname = ANY($1::text[]) AND pid <> pg_backend_pid()`, [dbNames]);
  const pgBackends = new Map(backends.map((r) => [r.pid, processCpuMs(r.pid)]).filter(([, ms]) => Number.isFinite(ms)) as [number, number][]);
  const stats = await query<{ datname: string; xacts: string; ins: string; upd: string; del: string }>(
    url,
    `SELECT datname, (xact_commit + xact_rollback)::text AS xacts, tup_inserted::text AS ins, tup_updated::text AS upd, tup_deleted::text AS del
       FROM pg_stat_database WHERE datname = ANY($1::text[])`,
    [dbNames],
  );
  const db: Snapshot['db'] = {};
  SERVICES.forEach((s, i) => {
    const r = stats.find((x) => x.datname === dbNames[i]);
    db[s] = { xacts: Number(r?.xacts ?? 0), ins: Number(r?.ins ?? 0), upd: Number(r?.upd ?? 0), del: Number(r?.del ?? 0) };
  });
  const spans = new Map([...(tap?.perService ?? new Map<string, { spans: number; pg: number }>())].map(([k2, v]) => [k2, { ...v }]));
  return { cpu, pgBackends, db, spans, polls: Object.fromEntries(benchQueries), at };
}
