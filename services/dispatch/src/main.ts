import './instrument';
import { createRuntime, serve } from '@cad110/runtime';
import { makePrisma, type DispatchTx, type PrismaClient } from './prisma';
import { createDispatchService, createServer } from './server';
import { startConsumers } from './consumers';
import { loadSeed } from './units/seed';

/** Status timers run every `DISPATCH_TIMER_INTERVAL_MS` (default 5000). */
const TIMER_MS = Number(process.env.DISPATCH_TIMER_INTERVAL_MS ?? 5000);

async function main() {
  const rt = await createRuntime<PrismaClient, DispatchTx>({ name: 'dispatch', serviceDir: `${__dirname}/..`, makePrisma });
  const service = createDispatchService(rt);
  const seeded = await service.seed(loadSeed());
  if (seeded) rt.logger.info({ seeded }, 'units seeded');
  await startConsumers(rt, service);
  const { app } = createServer(rt, service);
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    service
      .checkOverdue()
      .then((raised) => raised.length && rt.logger.info({ raised: raised.length }, 'overdue alerts raised'))
      .catch((err) => rt.logger.error({ err }, 'overdue timer failed'))
      .finally(() => (running = false));
  }, TIMER_MS);
  timer.unref();
  await serve(rt, app, 8082, async () => clearInterval(timer));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
