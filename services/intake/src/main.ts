import './instrument';
import { authKeysOrExit } from '@cad110/auth';
import { createRuntime, personalDataKeysOrExit, serve, startPersonalDataRetention } from '@cad110/runtime';
import { createServer } from './server';
import { intakeConfig } from './config';
import { purgeIdempotencyKeys } from './http/idempotency';
import { seedGazetteer } from './desk/gazetteer-seed';
import { redactIntakePersonalData } from './retention/personal-data';

async function main() {
  intakeConfig();
  authKeysOrExit('intake');
  // the key ring sealing (and opening) personal fields on Kafka: required (README "Personal data")
  const keyring = personalDataKeysOrExit('intake');
  const rt = await createRuntime({ name: 'intake', serviceDir: `${__dirname}/..`, keyring });
  const { app } = createServer(rt);
  await seedGazetteer(rt.db.transaction, rt.logger);
  await serve(rt, app, 8081);
  // Idempotency-Key records are kept 24 h; purge hourly
  const purge = () => purgeIdempotencyKeys(rt.db).catch((err) => rt.logger.warn({ err }, 'idempotency key purge failed'));
  void purge();
  setInterval(purge, 3600_000).unref();
  // personal fields of calls past CAD110_PERSONAL_DATA_RETENTION_DAYS become unreadable (README "Personal data")
  startPersonalDataRetention(rt, redactIntakePersonalData);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
