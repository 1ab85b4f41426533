/**
 * What the creates sharing one transaction (`POST /calls` group commit, `POST /calls/batch`)
 * write together: their Idempotency-Keys are claimed by one statement before the first create
 * runs, and their stored responses and new `calls` read-model rows are written by one statement
 * each after the last (issue 17: per create that was four statements, each a socket write and a
 * round trip; now the duplicate lookup is a create's only statement of its own).
 *
 * A create of the pass sees the earlier creates of the same pass as if their rows were written:
 * the duplicate lookup scores their pending rows with the stored ones (duplicates/finder.ts
 * `find`), and a second request with an earlier one's key gets its response (a replay).
 *
 * The pass belongs to its transaction (libs/db gives each transaction its own `Sql` object): a
 * rollback drops it with everything it queued.
 */
import type { Sql } from '@cad110/db';
import { claimKeys, keyIdOf, replayOf, saveResponses, type HttpOutcome, type IdempotencyRequest } from '../http/idempotency';

/** A new call's `calls` row as projectCall builds it (Prisma field names; see read-model.ts). */
export type PendingCallRow = Record<string, unknown> & { id: string; status: string; answeredAt: Date };

/** The state of one transaction's creates. */
export interface CreatePass {
  /** {@link keyIdOf} of the keys `beginPass` claimed and no create has used yet */
  readonly claimed: Set<string>;
  /** responses to store at the end, by {@link keyIdOf} */
  readonly saves: Map<string, { r: IdempotencyRequest; out: HttpOutcome }>;
  /** new calls' rows to insert at the end, in order */
  readonly calls: PendingCallRow[];
}

const PASSES = new WeakMap<Sql, CreatePass>();

/** The pass of transaction `tx`, if its creates run as one (undefined: write at once). */
export function passOf(tx: Sql): CreatePass | undefined {
  return PASSES.get(tx);
}

/**
 * Starts the pass of `tx`: claims the keys of all its creates' requests in one statement
 * (http/idempotency.ts `claimKeys`, in key order).
 */
export async function beginPass(tx: Sql, requests: readonly (IdempotencyRequest | undefined)[]): Promise<void> {
  const keyed = requests.filter((r): r is IdempotencyRequest => r !== undefined);
  const claimed = keyed.length ? await claimKeys(tx, keyed) : new Set<string>();
  PASSES.set(tx, { claimed, saves: new Map(), calls: [] });
}

/**
 * The key step of one create in a pass (in place of `claimKey`): an earlier create of the pass
 * with the same key answers it (a replay, or 422 for another request); a key the pass claimed is
 * used; any other goes to the caller's `claimAlone` (http/idempotency.ts `answerUnclaimed`), which
 * replays the stored response.
 * @returns the replay, or null to go on
 * @throws ProblemError 422 when the key was used for a different request
 */
export async function claimInPass(pass: CreatePass, r: IdempotencyRequest, claimAlone: () => Promise<HttpOutcome | null>): Promise<HttpOutcome | null> {
  const id = keyIdOf(r);
  const earlier = pass.saves.get(id);
  if (earlier) return replayOf({ request_hash: earlier.r.hash, status: earlier.out.status, body: JSON.stringify(earlier.out.body), headers: earlier.out.headers }, r);
  if (pass.claimed.delete(id)) return null;
  return claimAlone();
}

/** The `calls` columns of a new call's row, with the array type each is sent as. */
const CALL_COLUMNS: readonly [field: string, column: string, type: string][] = [
  ['id', 'id', 'uuid'],
  ['version', 'version', 'int'],
  ['status', 'status', 'text'],
  ['channel', 'channel', 'text'],
  ['ringingAt', 'ringing_at', 'timestamptz'],
  ['answeredAt', 'answered_at', 'timestamptz'],
  ['createdAt', 'created_at', 'timestamptz'],
  ['kind', 'kind', 'text'],
  ['category', 'category', 'text'],
  ['subtype', 'subtype', 'text'],
  ['priority', 'priority', 'int'],
  ['classifiedAt', 'classified_at', 'timestamptz'],
  ['lat', 'lat', 'float8'],
  ['lon', 'lon', 'float8'],
  ['geoCell', 'geo_cell', 'bigint'],
  ['district', 'district', 'text'],
  ['beat', 'beat', 'text'],
  ['address', 'address', 'text'],
  ['callerNumber', 'caller_number', 'text'],
  ['externalSource', 'external_source', 'text'],
  ['externalId', 'external_id', 'text'],
  ['handedAt', 'handed_at', 'timestamptz'],
  ['duplicateOf', 'duplicate_of', 'uuid'],
  ['outcomeDetail', 'outcome_detail', 'text'],
  ['closedAt', 'closed_at', 'timestamptz'],
  ['updatedAt', 'updated_at', 'timestamptz'],
];

const INSERT_CALLS = `INSERT INTO calls (${CALL_COLUMNS.map(([, c]) => c).join(', ')})
  SELECT * FROM unnest(${CALL_COLUMNS.map(([, , t], i) => `$${i + 1}::${t}[]`).join(', ')})`;

/** A value as sent in its column's array (dates as ISO-8601, bigints as text, absent as NULL). */
function cell(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/**
 * Ends the pass of `tx`: inserts its new calls' rows (one statement) and stores its responses
 * (one statement). Call it before the transaction commits.
 * @throws what the database throws, e.g. a unique violation when a queued call's externalRef
 *   exists (the group commit then runs each create alone, so only that one fails)
 * @throws Error when a queued row has a column this module does not know (a schema change)
 */
export async function endPass(tx: Sql): Promise<void> {
  const pass = PASSES.get(tx);
  if (!pass) return;
  PASSES.delete(tx);
  if (pass.calls.length) {
    const known = new Set(CALL_COLUMNS.map(([f]) => f));
    for (const row of pass.calls) for (const k of Object.keys(row)) if (!known.has(k)) throw new Error(`create-pass: calls column ${k} unknown`);
    await tx.exec(
      INSERT_CALLS,
      CALL_COLUMNS.map(([f]) => pass.calls.map((row) => cell(row[f]))),
    );
  }
  await saveResponses(tx, [...pass.saves.values()]);
}
