import type { Pool } from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

export { PrismaClient };
export type ConsoleTx = Parameters<Parameters<PrismaClient['$transaction']>[0]>[0];

/** The console's Prisma client on the service's pg pool (Prisma 7 driver adapter). */
export function makePrisma(pool: Pool): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pool) });
}
