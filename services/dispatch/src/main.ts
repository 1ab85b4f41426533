import './instrument';
import { createRuntime, serve } from '@cad110/runtime';
import { makePrisma, type DispatchTx, type PrismaClient } from './prisma';
import { createServer } from './server';
import { startConsumers } from './consumers';
import { seedUnits } from './units/seed';

async function main() {
  const rt = await createRuntime<PrismaClient, DispatchTx>({ name: 'dispatch', serviceDir: `${__dirname}/..`, makePrisma });
  const seeded = await seedUnits(rt.prisma);
  if (seeded) rt.logger.info({ seeded }, 'units seeded');
  await startConsumers(rt);
  await serve(rt, createServer(rt), 8082);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
