import './instrument';
import { authKeysOrExit } from '@cad110/auth';
import { createRuntime, serve } from '@cad110/runtime';
import { createServer } from './server';
import { startConsumers, stopLive } from './consumers';
import type { LiveProjection } from './runtime';
import { projectionConfig, statisticsConfig } from './config';
import { ConsumerGate } from './projections/gate';

async function main() {
  statisticsConfig();
  authKeysOrExit('statistics');
  const rt = await createRuntime({ name: 'statistics', serviceDir: `${__dirname}/..`, outbox: false });
  const live: LiveProjection = { cfg: projectionConfig(), gate: new ConsumerGate() };
  await startConsumers(rt, live);
  await serve(rt, createServer(rt, live), 8084, async () => stopLive(live));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
