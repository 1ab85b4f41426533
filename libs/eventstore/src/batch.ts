/**
 * Batched commands (group commit): many commands of one request in as few transactions as
 * possible, each command still all-or-nothing and run in the order given.
 *
 * Why: on this 2-core machine a command's own work is a few statements; the transaction around
 * it (BEGIN, COMMIT with its WAL flush, a pooled connection, one HTTP request) costs as much
 * again. A history replay or a bulk import sends thousands of commands in a row, so they are
 * sent in batches and committed together (issue 18 item 7, issue 17 "group commit").
 *
 * How ({@link runBatch}): every item runs in one transaction. When an item throws, that
 * transaction is rolled back (so nothing of the batch is written), the items before it run again
 * in one transaction, the failing item alone in its own transaction (with {@link runCommand}'s
 * retry on a lost race) and the rest of the batch goes on the same way. An item that fails alone
 * gets its error as its outcome; the others are committed. With no failure the whole batch costs
 * one transaction; each failure costs at most one rerun of the items before it.
 */
import type { RunInTransaction, Sql } from '@cad110/db';
import { DependencyFailedError } from '@cad110/contracts';
import { runCommand } from './command-handler';

/** The outcome of one item of a batch: its value, or the error it ended with (nothing of it written). */
export type BatchItemOutcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Thrown inside a batch transaction to roll it back after item `index` failed with `error`. */
class ItemFailed extends Error {
  constructor(
    readonly index: number,
    readonly error: unknown,
  ) {
    super('a batch item failed');
  }
}

/** Options of {@link runBatch}. */
export interface BatchOptions<I> {
  /**
   * The index (0-based) of an earlier item this one depends on: when that item did not succeed
   * this one is not run and ends with DependencyFailedError (libs/contracts; HTTP 424). E.g. the
   * en-route report of a unit whose dispatch in the same batch was refused.
   */
  after?: (item: I, index: number) => number | undefined;
}

/**
 * Runs `one` for every item in order, all-or-nothing per item, in as few transactions as possible
 * (see the module comment). `one` must do all its reads and writes with the `tx` it is given.
 * @param run the service's transaction runner (`rt.db.transaction`)
 * @param afterCommit called after each commit that wrote at least one item (e.g. nudge the outbox relay)
 * @returns one outcome per item, in the items' order
 * @throws only what BEGIN or COMMIT of a pass throws (e.g. the database is down); an item's own error is its outcome
 */
export async function runBatch<I, R>(
  run: RunInTransaction,
  items: readonly I[],
  one: (tx: Sql, item: I, index: number) => Promise<R>,
  afterCommit?: () => void,
  opts: BatchOptions<I> = {},
): Promise<BatchItemOutcome<R>[]> {
  const out: BatchItemOutcome<R>[] = new Array(items.length);
  /** the dependency of item i when it did not succeed (`inPass`: the outcomes of the current pass, from `start`) */
  const dependencyFailed = (i: number, start: number, inPass: readonly BatchItemOutcome<R>[]): number | undefined => {
    const d = opts.after?.(items[i]!, i);
    if (d === undefined || d < 0 || d >= i) return undefined;
    const o = d < start ? out[d] : inPass[d - start];
    return o && !o.ok ? d : undefined;
  };
  const pass = async (start: number, end: number): Promise<void> => {
    let from = start;
    while (from < end) {
      const first = from;
      try {
        const values = await run(async (tx) => {
          const vs: BatchItemOutcome<R>[] = [];
          for (let i = first; i < end; i++) {
            const d = dependencyFailed(i, first, vs);
            if (d !== undefined) {
              vs.push({ ok: false, error: new DependencyFailedError(d) });
              continue;
            }
            try {
              vs.push({ ok: true, value: await one(tx, items[i]!, i) });
            } catch (error) {
              throw new ItemFailed(i, error);
            }
          }
          return vs;
        });
        values.forEach((o, k) => (out[first + k] = o));
        from = end;
        if (values.some((o) => o.ok)) afterCommit?.();
      } catch (e) {
        if (!(e instanceof ItemFailed)) throw e; // BEGIN or COMMIT failed: nothing of this pass was written
        const k = e.index;
        // the items before the failing one, again in one transaction (one of them may fail now: the same again)
        if (k > first) await pass(first, k);
        const d = dependencyFailed(k, k, []);
        if (d !== undefined) out[k] = { ok: false, error: new DependencyFailedError(d) };
        else {
          // the failing item alone, with the lost-race retry of a single command
          try {
            out[k] = { ok: true, value: await runCommand(run, (tx) => one(tx, items[k]!, k)) };
            afterCommit?.();
          } catch (error) {
            out[k] = { ok: false, error };
          }
        }
        from = k + 1;
      }
    }
  };
  await pass(0, items.length);
  return out;
}

/**
 * A transaction runner that runs every function in the already open `tx` (for command code that
 * opens its own transaction with `run(fn)`, called from inside a batch). Nothing is committed or
 * rolled back by it: the batch's transaction does that.
 */
export function inTransaction<Tx extends Sql>(tx: Tx): RunInTransaction<Tx> {
  return (<T>(fn: (t: Tx) => Promise<T>) => fn(tx)) as RunInTransaction<Tx>;
}
