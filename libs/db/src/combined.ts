/**
 * Several write statements sent to PostgreSQL as one: a data-modifying `WITH`, one round trip
 * (one socket write, one parse, one reply) instead of one each. The issue 17 profiles put 16–18 %
 * of every consumer's busy CPU in socket writes, most of them statements a chunk transaction
 * sends one after another at its end (statistics' fact rows and summary tables; records' and
 * dispatch's deferred rows).
 */
import type { Sql } from './sql';

/** Parameters one combined statement stays under (PostgreSQL allows 65,535). */
const MAX_PARAMS = 30_000;

/** One write statement and its parameters. */
export interface Statement {
  text: string;
  params: readonly unknown[];
}

/**
 * A {@link Sql} that only collects writes: `exec` queues the statement (and resolves 0 — the rows
 * affected are not known until {@link CombinedWrites.flush}), `query` and `select` throw. Pass it
 * where a helper writes through an `Sql` (libs/db `upsertRows`, statistics' summaries), then
 * flush it once on the transaction.
 *
 * The statements must be independent: PostgreSQL runs the parts of one statement on one snapshot,
 * so none sees another's rows, and two must not change the same row (the result of that is
 * undefined). A statement that must see earlier ones (e.g. deleting rows an upsert brought to
 * zero) goes in a later flush. Each statement must be a single INSERT, UPDATE or DELETE without a
 * top-level WITH of its own, with every value a parameter (`$n` anywhere in its text is taken for
 * one and renumbered).
 */
export class CombinedWrites implements Sql {
  private statements: Statement[] = [];

  /** Statements queued and not yet flushed. */
  get size(): number {
    return this.statements.length;
  }

  async exec(text: string, params: readonly unknown[] = []): Promise<number> {
    this.statements.push({ text, params });
    return 0;
  }

  async query<R>(_text: string, _params?: readonly unknown[]): Promise<R[]> {
    throw new Error('CombinedWrites collects writes only: a read must go to the transaction');
  }

  async select<R>(_text: string, _params?: readonly unknown[]): Promise<R[]> {
    throw new Error('CombinedWrites collects writes only: a read must go to the transaction');
  }

  /**
   * Sends the queued statements in queue order as one statement (more only past 30,000
   * parameters) on `sql`, and empties the queue. Within one combined statement PostgreSQL runs
   * the parts in a fixed order for a given list (the same for every transaction that queues the
   * same tables in the same order), so row locks are still taken in one order across transactions.
   * @returns statements sent
   * @throws what the database throws (the caller's transaction fails)
   */
  async flush(sql: Sql): Promise<number> {
    const groups = combineStatements(this.statements);
    this.statements = [];
    for (const g of groups) await sql.exec(g.text, g.params);
    return groups.length;
  }
}

/**
 * `statements` joined into as few statements as the parameter limit allows: a single one is
 * returned as it is; several become `WITH w1 AS (s1), w2 AS (s2), … SELECT 1` with the
 * parameters of each renumbered after the ones before it.
 */
export function combineStatements(statements: readonly Statement[]): Statement[] {
  const out: Statement[] = [];
  let group: Statement[] = [];
  let params = 0;
  const close = () => {
    if (group.length === 1) out.push(group[0]!);
    else if (group.length > 1) {
      const all: unknown[] = [];
      const parts = group.map((s, i) => {
        const offset = all.length;
        all.push(...s.params);
        return `w${i + 1} AS (${offset ? s.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`) : s.text})`;
      });
      out.push({ text: `WITH ${parts.join(',\n')}\nSELECT 1`, params: all });
    }
    group = [];
    params = 0;
  };
  for (const s of statements) {
    if (group.length && params + s.params.length > MAX_PARAMS) close();
    group.push(s);
    params += s.params.length;
  }
  close();
  return out;
}
