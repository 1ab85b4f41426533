import './instrument';
import { authKeysOrExit } from '@cad110/auth';
import { createRuntime, serve } from '@cad110/runtime';
import { createServer } from './server';
import { startConsumers } from './consumers';
import { recordsConfig } from './config';

async function main() {
  const cfg = recordsConfig();
  authKeysOrExit('records');
  const rt = await createRuntime({ name: 'records', serviceDir: `${__dirname}/..` });
  await startConsumers(rt);
  await serve(rt, createServer(rt, { validateEido: cfg.EIDO_VALIDATE }), 8083);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
