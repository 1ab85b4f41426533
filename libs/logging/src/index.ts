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
 * Creates the service logger: JSON lines to stdout, level from `LOG_LEVEL` (default info),
 * personal fields censored as `[redacted]`, and the active trace/span ids added to each line.
 */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  return pino({
    name: service,
    level: process.env.LOG_LEVEL ?? 'info',
    redact: { paths: redactPaths(), censor: '[redacted]' },
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin() {
      const span = trace.getActiveSpan();
      if (!span) return {};
      const ctx = span.spanContext();
      return { trace_id: ctx.traceId, span_id: ctx.spanId };
    },
    ...options,
  });
}
