import './instrument';
import { createRuntime, serve } from '@cad110/runtime';
import { makePrisma, type PrismaClient, type RecordsTx } from './prisma';
import { createServer } from './server';
import { startConsumers } from './consumers';
import { recordsConfig } from './config';

async function main() {
  const cfg = recordsConfig();
  const rt = await createRuntime<PrismaClient, RecordsTx>({ name: 'records', serviceDir: `${__dirname}/..`, makePrisma });
  await startConsumers(rt);
  await serve(rt, createServer(rt, { validateEido: cfg.EIDO_VALIDATE }), 8083);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
