/**
 * What every command path of cad110 shares, defined once: who acts ({@link ActingUser}), the
 * errors a command ends with (each mapped to one problem+json status by libs/http's
 * `problemHandler`), the clock-skew tolerance for client-supplied times and the metadata of the
 * events a command appends.
 *
 * Stale writes, one rule for every service (docs/architecture.md):
 * - with `If-Match: "<version>"` a version other than the stream's current one is refused with
 *   412 problem+json carrying `currentVersion` ({@link StaleVersionError});
 * - without `If-Match` the command runs on the current state, and an append that loses a race
 *   is retried on the new state a bounded number of times (libs/eventstore `runCommand`),
 *   after which it is refused with 409 `concurrent-change` ({@link ConcurrencyError}).
 */
import type { EventMetadata } from './envelope';

/** Who acts: actor, workstation and the request id (the causation id of what it appends). */
export type ActingUser = Pick<EventMetadata, 'actor' | 'workstation'> & { requestId?: string };

/**
 * The metadata of events a command appends (the trace context is added by the event store).
 * @param causationId default: the acting user's request id, else null
 */
export function commandMetadata(by: ActingUser, correlationId: string, causationId?: string | null): Omit<EventMetadata, 'traceparent' | 'tracestate'> {
  return { actor: by.actor, ...(by.workstation ? { workstation: by.workstation } : {}), correlationId, causationId: causationId ?? by.requestId ?? null };
}

/**
 * A decider refused a command in the aggregate's current state (HTTP 409 problem+json with
 * `code`, a stable reason code the UI translates, and `params` when given).
 */
export class CommandRejected extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly params?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'CommandRejected';
  }
}

/** The aggregate or thing a command or query names does not exist (HTTP 404). */
export class NotFoundError extends Error {
  constructor(readonly what: string) {
    super(what);
    this.name = 'NotFoundError';
  }
}

/**
 * `If-Match` named a version other than the stream's current one (HTTP 412 problem+json with
 * `currentVersion`).
 */
export class StaleVersionError extends Error {
  constructor(
    readonly what: string,
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(`${what} is at version ${currentVersion}, not ${expectedVersion}: reload it and retry`);
    this.name = 'StaleVersionError';
  }
}

/**
 * An append lost a race: the stream was changed by someone else after it was read (the database
 * refused the expected version). Retried by `runCommand`; when the retries are spent, HTTP 409
 * `concurrent-change`.
 */
export class ConcurrencyError extends Error {
  constructor(
    readonly streamId: string,
    readonly expectedVersion: number,
  ) {
    super(`stream ${streamId} is not at version ${expectedVersion}`);
    this.name = 'ConcurrencyError';
  }
}

/** A client-supplied time is later than the clock allows (HTTP 400 naming `field`). */
export class FutureTimeError extends Error {
  constructor(
    readonly at: string,
    readonly field = 'at',
  ) {
    super(`${field} ${at} is in the future`);
    this.name = 'FutureTimeError';
  }
}

/**
 * A command of a batch was not run because the earlier command it depends on (`after`, its
 * index in the batch, 0-based) did not succeed (HTTP 424 Failed Dependency for that item).
 */
export class DependencyFailedError extends Error {
  constructor(readonly after: number) {
    super(`command ${after} of the batch, which this one depends on, did not succeed`);
    this.name = 'DependencyFailedError';
  }
}

/**
 * How far a client-supplied event time (`at`) may be ahead of the service clock, ms: the clock
 * skew of consoles and terminals (NTP-synchronised clocks agree within well under a second; 5 s
 * also covers a slow round trip). One setting for every service.
 */
export const CLOCK_SKEW_TOLERANCE_MS = 5000;

/**
 * Resolves an optional client time (UTC ISO-8601) against the clock: default now; refused when
 * later than now + {@link CLOCK_SKEW_TOLERANCE_MS} (late entries and replays give past times).
 * @returns UTC ISO-8601 (normalised, `Z`)
 * @throws FutureTimeError
 */
export function resolveAt(at: string | undefined, now: Date, field = 'at', toleranceMs = CLOCK_SKEW_TOLERANCE_MS): string {
  if (!at) return now.toISOString();
  const t = Date.parse(at);
  if (t > now.getTime() + toleranceMs) throw new FutureTimeError(at, field);
  return new Date(t).toISOString();
}
