import './instrument';
import { createRuntime, serve } from '@cad110/runtime';
import { makePrisma, type IntakeTx, type PrismaClient } from './prisma';
import { createServer } from './server';

async function main() {
  const rt = await createRuntime<PrismaClient, IntakeTx>({ name: 'intake', serviceDir: `${__dirname}/..`, makePrisma });
  const { app } = createServer(rt);
  await serve(rt, app, 8081);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
