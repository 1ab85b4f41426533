import './instrument';
import { authKeysOrExit } from '@cad110/auth';
import { createRuntime, personalDataKeysOrExit, serve, startPersonalDataRetention } from '@cad110/runtime';
import { createServer } from './server';
import { startConsumers } from './consumers';
import { recordsConfig } from './config';
import { redactRecordsPersonalData } from './cases/retention';

async function main() {
  const cfg = recordsConfig();
  authKeysOrExit('records');
  // the key ring sealing (and opening) personal fields on Kafka: required (README "Personal data")
  const keyring = personalDataKeysOrExit('records');
  const rt = await createRuntime({ name: 'records', serviceDir: `${__dirname}/..`, keyring });
  await startConsumers(rt);
  // the timeline's copies of call and dispatch personal fields past CAD110_PERSONAL_DATA_RETENTION_DAYS become unreadable (README "Personal data")
  startPersonalDataRetention(rt, redactRecordsPersonalData);
  await serve(rt, createServer(rt, { validateEido: cfg.EIDO_VALIDATE }), 8083);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
