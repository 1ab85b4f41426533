import './instrument';
import { authKeysOrExit } from '@cad110/auth';
import { createRuntime, personalDataKeysOrExit, serve, startPersonalDataRetention } from '@cad110/runtime';
import { createDispatchContext } from './context';
import { createServer } from './server';
import { dispatchConfig } from './config';
import { startConsumers } from './consumers/calls';
import { registerOpsGauges, readOpsFigures } from './ops/gauges';
import { checkOverdue } from './timers/overdue';
import { seedUnits } from './units/register';
import { loadSeed } from './units/seed';
import { redactDispatchPersonalData } from './incidents/retention';

async function main() {
  /** status timers run every `DISPATCH_TIMER_INTERVAL_MS` (default 5000, validated: `5s` stops the start with exit 78) */
  const TIMER_MS = dispatchConfig().DISPATCH_TIMER_INTERVAL_MS;
  authKeysOrExit('dispatch');
  // the key ring sealing (and opening) personal fields on Kafka: required (README "Personal data")
  const keyring = personalDataKeysOrExit('dispatch');
  const rt = await createRuntime({ name: 'dispatch', serviceDir: `${__dirname}/..`, keyring });
  const ctx = createDispatchContext(rt);
  const seeded = await seedUnits(ctx, loadSeed());
  if (seeded) rt.logger.info({ seeded }, 'units seeded');
  await startConsumers(rt, ctx);
  const { app } = createServer(rt, ctx);
  // pending incidents, oldest pending, units available, open overdue alerts (read at scrape time)
  registerOpsGauges(rt.metrics.registry, () => readOpsFigures(ctx), (err) => rt.logger.warn({ err }, 'ops gauges not read'));
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    checkOverdue(ctx)
      .then((raised) => raised.length && rt.logger.info({ raised: raised.length }, 'overdue alerts raised'))
      .catch((err) => rt.logger.error({ err }, 'overdue timer failed'))
      .finally(() => (running = false));
  }, TIMER_MS);
  timer.unref();
  // addresses and dispatchers' notes of incidents past CAD110_PERSONAL_DATA_RETENTION_DAYS become unreadable (README "Personal data")
  const retention = startPersonalDataRetention(rt, redactDispatchPersonalData);
  await serve(rt, app, 8082, async () => {
    clearInterval(timer);
    retention.stop();
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
