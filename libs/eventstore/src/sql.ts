/**
 * The two raw-SQL methods of a Prisma transaction client (`tx` in `prisma.$transaction(async tx => ...)`)
 * that the shared event-store, outbox and consumer code needs. Every service's generated client
 * satisfies it, so libs never import a service's client.
 */
export interface SqlTx {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

/** Runs `fn` in one database transaction (a service passes `prisma.$transaction`). */
export type RunInTransaction<Tx extends SqlTx = SqlTx> = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
