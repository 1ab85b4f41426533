/** PostgreSQL SQLSTATE of an error thrown by pg or by Prisma's pg adapter, if any. */
export function sqlState(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: unknown; meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown; kind?: unknown } } } };
  if (typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  const original = e?.meta?.driverAdapterError?.cause?.originalCode;
  if (typeof original === 'string') return original;
  if (e?.cause) return sqlState(e.cause);
  return undefined;
}

/** True for a unique-constraint violation (23505), however the driver wrapped it. */
export function isUniqueViolation(err: unknown): boolean {
  if (sqlState(err) === '23505') return true;
  const e = err as { code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  return e?.code === 'P2002' || e?.meta?.driverAdapterError?.cause?.kind === 'UniqueConstraintViolation';
}
