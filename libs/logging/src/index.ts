import pino, { type Logger, type LoggerOptions } from 'pino';
import { trace } from '@opentelemetry/api';

export type { Logger } from 'pino';

/**
 * Keys that hold personal data (phone numbers, names, addresses, identity numbers).
 * They are censored wherever they appear up to four levels deep in a log object.
 */
export const PERSONAL_KEYS = [
  'callerNumber',
  'callerName',
  'phone',
  'phoneNumber',
  'address',
  'idNumber',
  'authorization',
  'cookie',
  'password',
] as const;

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const k of PERSONAL_KEYS) {
    paths.push(k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`);
  }
  // `name` alone is too common (pino's logger name, Error.name); censor it where it is a person's
  for (const parent of ['caller', 'party', 'data', 'body', 'person']) paths.push(`${parent}.name`, `*.${parent}.name`);
  paths.push('req.headers.authorization', 'req.headers.cookie');
  return paths;
}

/**
 * Whether `err` came from the database (PostgreSQL through `pg`, or Prisma). Their messages quote
 * the values being written ("Failing row contains (…, 13800001234, …)", "invalid byte sequence
 * … 0x00", the Prisma call with its arguments), so they must never reach a log line.
 */
export function isDatabaseError(err: unknown): boolean {
  if (!err || typeof err !== 'object') return false;
  const e = err as { name?: unknown; code?: unknown; severity?: unknown; routine?: unknown; clientVersion?: unknown };
  const name = typeof e.name === 'string' ? e.name : (err as object).constructor?.name ?? '';
  if (/^Prisma|^DatabaseError$/.test(name)) return true;
  if (e.clientVersion !== undefined) return true; // every Prisma error carries the client version
  // pg's DatabaseError: a five-character SQLSTATE plus the server's severity / routine
  return typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && (e.severity !== undefined || e.routine !== undefined);
}

/**
 * The `err` serializer of every service logger: type, code and stack frames, and the message
 * only when the error is not the database's ({@link isDatabaseError}: its text quotes the row).
 * A database error keeps its SQLSTATE (`code`, or Prisma's `meta.code`) and its constraint /
 * table / column names, which carry no personal data.
 * @returns a plain object for the log line (undefined/non-objects as they are)
 */
export function safeErrorSerializer(err: unknown): unknown {
  if (!err || typeof err !== 'object') return err;
  const e = err as Error & { code?: unknown; meta?: { code?: unknown }; constraint?: unknown; table?: unknown; column?: unknown; cause?: unknown };
  const type = e.name && e.name !== 'Error' ? e.name : (err as object).constructor?.name ?? 'Error';
  const frames = typeof e.stack === 'string' ? e.stack.split('\n').filter((l) => /^\s+at /.test(l)).join('\n') : undefined;
  if (isDatabaseError(err)) {
    return {
      type,
      database: true,
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      ...(typeof e.meta?.code === 'string' ? { sqlState: e.meta.code } : {}),
      ...(typeof e.constraint === 'string' ? { constraint: e.constraint } : {}),
      ...(typeof e.table === 'string' ? { table: e.table } : {}),
      ...(typeof e.column === 'string' ? { column: e.column } : {}),
      message: '[database error text withheld]',
      ...(frames ? { stack: frames } : {}),
    };
  }
  return {
    type,
    message: e.message,
    ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: e.code } : {}),
    ...(typeof e.stack === 'string' ? { stack: e.stack } : {}),
    ...(e.cause ? { cause: safeErrorSerializer(e.cause) } : {}),
  };
}

/**
 * Creates the service logger: JSON lines to stdout, level from `LOG_LEVEL` (default info),
 * personal fields censored as `[redacted]`, errors (`err`, `error`) through
 * {@link safeErrorSerializer} (no database error text), and the active trace/span ids added to each line.
 * `destination`: where the lines go instead of stdout (tests).
 */
export function createLogger(service: string, options: LoggerOptions = {}, destination?: pino.DestinationStream): Logger {
  const opts: LoggerOptions = {
    name: service,
    level: process.env.LOG_LEVEL ?? 'info',
    redact: { paths: redactPaths(), censor: '[redacted]' },
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: safeErrorSerializer, error: safeErrorSerializer },
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const ctx = span.spanContext();
      return { trace_id: ctx.traceId, span_id: ctx.spanId };
    },
    ...options,
  };
  return destination ? pino(opts, destination) : pino(opts);
}
