import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { ProblemError } from '@cad110/http';
import type { Sql } from '@cad110/db';

/**
 * `Idempotency-Key` support (IETF draft-ietf-httpapi-idempotency-key-header): the first
 * successful (2xx) response of a POST is stored under (user, key) in the same transaction as
 * the events it appended; a retry with the same key and the same request returns that response
 * (header `Idempotency-Replayed: true`) and appends nothing. Reusing a key for a different
 * request (other path, body or If-Match) answers 422. Failed requests (4xx/5xx) store nothing,
 * so a retry runs again. Keys are kept {@link IDEMPOTENCY_RETENTION_HOURS} hours.
 */
export const IDEMPOTENCY_RETENTION_HOURS = 24;

/** A request's idempotency identity. */
export interface IdempotencyRequest {
  actorId: string;
  key: string;
  /** SHA-256 (hex) of method, path, If-Match and the canonical JSON body */
  hash: string;
  /**
   * set for the implicit key of a double submit ({@link doubleSubmitKey}): a stored response
   * older than this many seconds is not replayed; the key is taken over by the new request
   */
  windowSeconds?: number;
}

/** A response as stored and replayed. */
export interface HttpOutcome {
  status: number;
  body: unknown;
  headers: Record<string, string>;
  replayed?: boolean;
}

const KEY = /^[\x21-\x7e]{1,255}$/;

/** JSON with object keys sorted, so equal bodies hash equally whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * Reads the `Idempotency-Key` header of a request.
 * @returns undefined when the header is absent
 * @throws ProblemError 400 when it is not 1–255 visible ASCII characters
 */
export function idempotencyOf(req: Request, actorId: string): IdempotencyRequest | undefined {
  const key = req.header('idempotency-key');
  if (key === undefined) return undefined;
  if (!KEY.test(key)) throw ProblemError.validation([{ field: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }]);
  return { actorId, key, hash: requestHash(req.method, `${req.baseUrl}${req.path}`, req.header('if-match'), req.body) };
}

/** The request hash a key is stored with: SHA-256 (hex) of method, path, If-Match and the canonical JSON body. */
export function requestHash(method: string, path: string, ifMatch: string | undefined, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${ifMatch ?? ''}\n${canonicalJson(body ?? null)}`)
    .digest('hex');
}

/**
 * The idempotency identity of one item of a batch (`POST /calls/batch`): exactly the one a
 * `POST /calls` with header `Idempotency-Key: <key>` and the item's body would have, so an item
 * and a single post with the same key and body answer each other's stored response.
 * @throws ProblemError 400 when the key is not 1–255 visible ASCII characters
 */
export function itemIdempotency(actorId: string, key: string, method: string, path: string, body: unknown): IdempotencyRequest {
  if (!KEY.test(key)) throw ProblemError.validation([{ field: 'idempotencyKey', message: 'must be 1 to 255 visible ASCII characters' }]);
  return { actorId, key, hash: requestHash(method, path, undefined, body) };
}

/**
 * The implicit idempotency identity of a `POST /calls` sent without an Idempotency-Key (the
 * double-submit rule, intake README "Double submit"): the same user sending the same body
 * (canonical JSON) again within `windowSeconds` gets the first call's response instead of a
 * second call. Concurrent copies wait on the key's primary key until the first commits. Only
 * bodies that name the event — coordinates, an address or a caller number — are folded; a bare
 * answered line (`{channel}` only) never is.
 * @returns undefined when the body names nothing (no folding)
 */
export function doubleSubmitKey(body: unknown, actorId: string, windowSeconds: number): IdempotencyRequest | undefined {
  const b = (body ?? {}) as { location?: { lat?: unknown; address?: unknown }; caller?: { number?: unknown } };
  if (b.location?.lat === undefined && !b.location?.address && !b.caller?.number) return undefined;
  const hash = createHash('sha256').update(`POST /calls\n${canonicalJson(body)}`).digest('hex');
  return { actorId, key: `double-submit:${hash}`, hash, windowSeconds };
}

/** An `idempotency_keys` row as the replay reads it. */
export interface Row {
  request_hash: string;
  status: number;
  body: string;
  headers: Record<string, string>;
}

/**
 * Claims the key in the caller's transaction. A concurrent request with the same key waits on
 * the primary key until the first one commits or rolls back.
 * @returns null when the key is new (go on, then {@link saveResponse}), or the stored response
 * @throws ProblemError 422 when the key was used for a different request
 */
export async function claimKey(tx: Sql, r: IdempotencyRequest): Promise<HttpOutcome | null> {
  if ((await claimKeys(tx, [r])).has(keyIdOf(r))) return null;
  return storedAnswer(tx, r);
}

/** The key's row, if any. */
async function readKey(tx: Sql, r: IdempotencyRequest): Promise<Row | undefined> {
  return (await tx.query<Row>(`SELECT request_hash, status, body, headers FROM idempotency_keys WHERE actor_id = $1 AND key = $2`, [r.actorId, r.key]))[0];
}

/**
 * The answer to a request whose key could not be claimed: the stored response (a replay).
 * @throws ProblemError 422 when the key was used for a different request, 409 when its first request has not stored a response
 */
async function storedAnswer(tx: Sql, r: IdempotencyRequest): Promise<HttpOutcome> {
  const row = await readKey(tx, r);
  if (!row) throw new ProblemError(409, 'Conflict', 'The Idempotency-Key is being used by a request in progress; retry.');
  return replayOf(row, r);
}

/**
 * A stored response as the replay of request `r`.
 * @throws ProblemError 422 when it was stored for a different request (another hash)
 */
export function replayOf(row: Row, r: IdempotencyRequest): HttpOutcome {
  if (row.request_hash !== r.hash) {
    throw new ProblemError(422, 'Idempotency key reused', 'This Idempotency-Key was already used for a different request (method, path, If-Match or body). Use a new key.');
  }
  return { status: row.status, body: JSON.parse(row.body) as unknown, headers: row.headers, replayed: true };
}

/** The identity of a key in memory: actor and key. */
export function keyIdOf(r: Pick<IdempotencyRequest, 'actorId' | 'key'>): string {
  return `${r.actorId}\u0000${r.key}`;
}

/**
 * {@link claimKey} for the keys of many requests in one statement per kind (explicit keys first,
 * then double-submit keys by window), taking the keys' row locks in that fixed order and within a
 * kind in (actor, key) order, so that two transactions claiming overlapping keys queue instead of
 * deadlocking. A key given twice is claimed once. Used by the creates that share a transaction
 * (calls/create-pass.ts).
 * @returns the {@link keyIdOf} of the keys claimed now; any other key's request is answered by
 *   {@link answerUnclaimed} (a replay or 422)
 */
export async function claimKeys(tx: Sql, requests: readonly IdempotencyRequest[]): Promise<Set<string>> {
  const claimed = new Set<string>();
  const byWindow = new Map<number | undefined, Map<string, IdempotencyRequest>>();
  for (const r of requests) {
    const kind = byWindow.get(r.windowSeconds) ?? byWindow.set(r.windowSeconds, new Map()).get(r.windowSeconds)!;
    if (!kind.has(keyIdOf(r))) kind.set(keyIdOf(r), r);
  }
  const kinds = [...byWindow].sort(([a], [b]) => (a === undefined ? -1 : b === undefined ? 1 : a - b));
  for (const [windowSeconds, kind] of kinds) {
    const rs = [...kind.values()];
    const params: unknown[] = [rs.map((r) => r.actorId), rs.map((r) => r.key), rs.map((r) => r.hash)];
    const onConflict =
      windowSeconds === undefined
        ? 'DO NOTHING'
        : (params.push(windowSeconds),
          `DO UPDATE SET request_hash = EXCLUDED.request_hash, status = 0, body = '', headers = '{}'::jsonb, created_at = clock_timestamp()
     WHERE idempotency_keys.created_at < clock_timestamp() - make_interval(secs => $4::double precision)`);
    const rows = await tx.query<{ actor_id: string; key: string }>(
      `INSERT INTO idempotency_keys (actor_id, key, request_hash, status, body, headers)
     SELECT a, k, h, 0, '', '{}'::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS x(a, k, h) ORDER BY a, k
     ON CONFLICT (actor_id, key) ${onConflict}
     RETURNING actor_id, key`,
      params,
    );
    for (const row of rows) claimed.add(keyIdOf({ actorId: row.actor_id, key: row.key }));
  }
  return claimed;
}

/**
 * The answer to a request whose key {@link claimKeys} did not claim: the key's row was committed
 * by another request (claimKeys waited for it), so it is read at once — one statement, where
 * {@link claimKey} would try the insert again first; should the row have gone meanwhile (purged),
 * {@link claimKey} claims it.
 * @returns the stored response (a replay), or null when the key was claimed now
 * @throws ProblemError 422 when the key was used for a different request
 */
export async function answerUnclaimed(tx: Sql, r: IdempotencyRequest): Promise<HttpOutcome | null> {
  const row = await readKey(tx, r);
  if (row && row.status !== 0) return replayOf(row, r);
  return claimKey(tx, r);
}

/** {@link saveResponse} for many claimed keys in one statement. */
export async function saveResponses(tx: Sql, saves: readonly { r: IdempotencyRequest; out: HttpOutcome }[]): Promise<void> {
  if (saves.length === 0) return;
  await tx.exec(
    `UPDATE idempotency_keys SET status = x.s, body = x.b, headers = x.h::jsonb
     FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[]) AS x(a, k, s, b, h)
     WHERE idempotency_keys.actor_id = x.a AND idempotency_keys.key = x.k`,
    [saves.map((v) => v.r.actorId), saves.map((v) => v.r.key), saves.map((v) => v.out.status), saves.map((v) => JSON.stringify(v.out.body)), saves.map((v) => JSON.stringify(v.out.headers))],
  );
}

/** Stores the response of a claimed key (same transaction as the append). */
export async function saveResponse(tx: Sql, r: IdempotencyRequest, out: HttpOutcome): Promise<void> {
  await saveResponses(tx, [{ r, out }]);
}

/**
 * Deletes keys older than the retention.
 * @returns the number of keys deleted
 */
export async function purgeIdempotencyKeys(db: Sql, olderThanHours = IDEMPOTENCY_RETENTION_HOURS): Promise<number> {
  return db.exec(`DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1::int)`, [olderThanHours]);
}
