import './instrument';
import { authKeysOrExit } from '@cad110/auth';
import { createRuntime, serve, startPersonalDataRetention } from '@cad110/runtime';
import { createServer } from './server';
import { startConsumers } from './consumers';
import { recordsConfig } from './config';
import { redactRecordsPersonalData } from './cases/retention';

async function main() {
  const cfg = recordsConfig();
  authKeysOrExit('records');
  const rt = await createRuntime({ name: 'records', serviceDir: `${__dirname}/..` });
  await startConsumers(rt);
  // the timeline's copies of call and dispatch personal fields past CAD110_PERSONAL_DATA_RETENTION_DAYS become unreadable (README "Personal data")
  startPersonalDataRetention(rt, redactRecordsPersonalData);
  await serve(rt, createServer(rt, { validateEido: cfg.EIDO_VALIDATE }), 8083);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
