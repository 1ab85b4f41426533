import './instrument';
import { createRuntime, serve } from '@cad110/runtime';
import { makePrisma, type PrismaClient, type RecordsTx } from './prisma';
import { createServer } from './server';
import { startConsumers } from './consumers';

async function main() {
  const rt = await createRuntime<PrismaClient, RecordsTx>({ name: 'records', serviceDir: `${__dirname}/..`, makePrisma });
  await startConsumers(rt);
  await serve(rt, createServer(rt), 8083);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
