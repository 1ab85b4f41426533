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
   * parameters) on `sql`, and empties the queue. PostgreSQL documents the order in which the parts
   * of one statement run as unpredictable; what its executor does (15: the parts the final SELECT
   * does not read are run to completion at the end, last-initialised first) is one fixed order for
   * a given list of parts, so transactions that queue their tables in one order still take row
   * locks in one order. Statistics relies on that for its shared summary rows and tests it with 40
   * concurrent transactions (services/statistics/test/summaries.int.spec.ts).
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
 * parameters of each renumbered after the ones before it. With `countRows` each part gets
 * `RETURNING 1` and the statement selects `n`, the rows the parts wrote together (what `exec`
 * reports for a single statement); the parts must then have no RETURNING of their own.
 */
export function combineStatements(statements: readonly Statement[], opts: { countRows?: boolean } = {}): Statement[] {
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
        const text = offset ? s.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`) : s.text;
        return `w${i + 1} AS (${text}${opts.countRows ? ' RETURNING 1' : ''})`;
      });
      const select = opts.countRows ? `SELECT (${group.map((_, i) => `(SELECT count(*) FROM w${i + 1})`).join(' + ')})::int AS n` : 'SELECT 1';
      out.push({ text: `WITH ${parts.join(',\n')}\n${select}`, params: all });
    }
    group = [];
    params = 0;
  };
  for (const s of statements) {
    // every `$n` must be one of the statement's parameters (a `$` in a literal or name would be renumbered too)
    const highest = Math.max(0, ...[...s.text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
    if (highest !== s.params.length) throw new Error(`a combined statement must number its ${s.params.length} parameters $1..$${s.params.length} (highest $${highest}): ${s.text.slice(0, 80)}`);
    if (group.length && params + s.params.length > MAX_PARAMS) close();
    group.push(s);
    params += s.params.length;
  }
  close();
  return out;
}
