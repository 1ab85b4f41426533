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
 * one transaction; each failure costs at most one rerun of the items before it. The items'
 * appends are deferred (event-store.ts `deferAppends`) and written by one statement before the
 * commit. Options `prepare` and `beforeCommit` let the items share more statements (intake's
 * creates: their keys, read-model rows and stored answers); when one of those fails, the items
 * run once more in one transaction without them (each writing at once), so the item at fault
 * fails inside itself and is isolated as above: one more transaction, not one per item.
 *
 * {@link groupCommit} does the same for single commands that arrive concurrently (group commit).
 */
import { context, type Context } from '@opentelemetry/api';
import type { RunInTransaction, Sql } from '@cad110/db';
import { ConcurrencyError, DependencyFailedError } from '@cad110/contracts';
import { runCommand } from './command-handler';
import { deferAppends, flushAppends } from './event-store';

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
  /**
   * Runs first in every transaction of the batch with the items that transaction will run (in
   * order; a lone item too), e.g. to take all their locks or claim all their keys in one
   * statement instead of one per item. Its failure fails the transaction; its items then run
   * again in one transaction without `prepare` and `beforeCommit` (so an item never gets another
   * item's error: see {@link runBatch}). `one` must work in both kinds of transaction.
   */
  prepare?: (tx: Sql, items: readonly I[]) => Promise<void>;
  /**
   * Runs in every transaction of the batch after its items and before its deferred appends are
   * written and it commits (a lone item's too), e.g. to write the rows the items queued with one
   * statement. Its failure (say a unique violation of one item's queued row) fails the
   * transaction; its items then run again in one transaction without `prepare` and
   * `beforeCommit`, where each writes at once, so the failure becomes that item's outcome only.
   */
  beforeCommit?: (tx: Sql) => Promise<void>;
}

/** Thrown inside a batch transaction when `prepare`, `beforeCommit` or the appends' flush failed (no item is to blame yet). */
class PassFailed extends Error {
  constructor(readonly error: unknown) {
    super('a batch transaction failed before or after its items');
  }
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
  /** Item i in its own transaction, with the lost-race retry of a single command (or its failed dependency). */
  const alone = async (i: number): Promise<void> => {
    const d = dependencyFailed(i, i, []);
    if (d !== undefined) {
      out[i] = { ok: false, error: new DependencyFailedError(d) };
      return;
    }
    try {
      const value = await runCommand(run, async (tx) => {
        await opts.prepare?.(tx, [items[i]!]);
        const v = await one(tx, items[i]!, i);
        await opts.beforeCommit?.(tx);
        return v;
      });
      out[i] = { ok: true, value };
      afterCommit?.();
    } catch (error) {
      out[i] = { ok: false, error };
    }
  };
  /** Items [start, end) in as few transactions as possible; `plain`: without `prepare` and `beforeCommit` (a rerun after they failed). */
  const pass = async (start: number, end: number, plain = false): Promise<void> => {
    let from = start;
    while (from < end) {
      const first = from;
      if (end - first === 1) return alone(first); // one item: once, no rerun when it fails
      try {
        const values = await run(async (tx) => {
          // the items' appends are written together before the commit (one statement, not one per item)
          deferAppends(tx);
          if (opts.prepare && !plain) {
            try {
              await opts.prepare(tx, items.slice(first, end));
            } catch (error) {
              throw new PassFailed(error);
            }
          }
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
          try {
            if (!plain) await opts.beforeCommit?.(tx);
            await flushAppends(tx);
          } catch (error) {
            throw new PassFailed(error);
          }
          return vs;
        });
        values.forEach((o, k) => (out[first + k] = o));
        from = end;
        if (values.some((o) => o.ok)) afterCommit?.();
      } catch (e) {
        if (e instanceof PassFailed) {
          if (e.error instanceof ConcurrencyError) {
            // the pass's appends lost a race at their flush (a new stream's id taken meanwhile):
            // nothing was written; each item again alone, with a single command's retry
            for (let i = first; i < end; i++) await alone(i);
            return;
          }
          // `prepare` or `beforeCommit` failed (e.g. a row one item queued was refused): nothing
          // was written; the same items again in one transaction without them, where each item
          // writes at once, so the one at fault fails inside itself and is isolated below
          if (!plain && (opts.prepare || opts.beforeCommit)) return pass(first, end, true);
          throw e.error; // the appends' flush failed otherwise (e.g. the database went away)
        }
        if (!(e instanceof ItemFailed)) throw e; // BEGIN or COMMIT failed: nothing of this pass was written
        const k = e.index;
        // the items before the failing one, again in one transaction (one of them may fail now: the same again)
        if (k > first) await pass(first, k, plain);
        await alone(k);
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

/** Options of {@link groupCommit}. */
export interface GroupCommitOptions<I = unknown> {
  /** the most items one transaction takes (default 64) */
  maxBatch?: number;
  /** transactions in flight at once (default 2: one committing while the next one runs) */
  maxInFlight?: number;
  /** called after each commit that wrote at least one item */
  afterCommit?: () => void;
  /** {@link BatchOptions.prepare}: first in each shared transaction, with its items */
  prepare?: (tx: Sql, items: readonly I[]) => Promise<void>;
  /** {@link BatchOptions.beforeCommit}: last in each shared transaction, before its appends' flush */
  beforeCommit?: (tx: Sql) => Promise<void>;
}

/**
 * Group commit for single commands that arrive concurrently (e.g. `POST /calls` from many call
 * takers): each caller awaits its own item's value or error, exactly as if it had run alone in
 * its own transaction, while the items waiting at the same moment share one transaction
 * ({@link runBatch}: an item that fails is rolled back and run alone; the others commit).
 * With nothing in flight an item starts at once, alone (no added latency when the load is low);
 * items that arrive while `maxInFlight` transactions run wait for the next one and go together.
 * Each item runs in the OpenTelemetry context it was submitted in, so its spans and its events'
 * `traceparent` belong to its own request's trace (one trace per call).
 * @returns `submit(item)`: resolves with `one`'s value for that item, rejects with its error
 */
export function groupCommit<I, R>(run: RunInTransaction, one: (tx: Sql, item: I) => Promise<R>, opts: GroupCommitOptions<I> = {}): (item: I) => Promise<R> {
  const maxBatch = Math.max(1, opts.maxBatch ?? 64);
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 2);
  type Waiting = { item: I; ctx: Context; resolve: (r: R) => void; reject: (e: unknown) => void };
  const queue: Waiting[] = [];
  let inFlight = 0;
  const flush = () => {
    while (inFlight < maxInFlight && queue.length) {
      const batch = queue.splice(0, maxBatch);
      inFlight++;
      const prepare = opts.prepare;
      runBatch(run, batch, (tx, w) => context.with(w.ctx, () => one(tx, w.item)), opts.afterCommit, {
        ...(prepare ? { prepare: (tx: Sql, ws: readonly Waiting[]) => prepare(tx, ws.map((w) => w.item)) } : {}),
        ...(opts.beforeCommit ? { beforeCommit: opts.beforeCommit } : {}),
      })
        .then(
          (outcomes) => outcomes.forEach((o, i) => (o.ok ? batch[i]!.resolve(o.value) : batch[i]!.reject(o.error))),
          (err) => batch.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          inFlight--;
          flush();
        });
    }
  };
  return (item: I) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, ctx: context.active(), resolve, reject });
      flush();
    });
}
