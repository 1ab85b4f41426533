import './instrument';
import { createRuntime, serve } from '@cad110/runtime';
import { makePrisma, type PrismaClient, type StatisticsTx } from './prisma';
import { createServer } from './server';
import { startConsumers } from './consumers';

async function main() {
  const rt = await createRuntime<PrismaClient, StatisticsTx>({ name: 'statistics', serviceDir: `${__dirname}/..`, makePrisma, outbox: false });
  await startConsumers(rt);
  await serve(rt, createServer(rt), 8084);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
