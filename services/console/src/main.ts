import './instrument';
import { authKeysOrExit } from '@cad110/auth';
import { createRuntime, serve } from '@cad110/runtime';
import { seedDemoUsers } from './auth/users';
import { createServer } from './server';
import { consoleEnv } from './config';

/**
 * The console service: sign-in, gateway, live updates and the SPA on `PORT` (default 8085).
 * With `CONSOLE_SEED_DEMO_USERS=true` it (re)creates the demo users with the password in
 * `CAD110_DEMO_PASSWORD` (npm run demo sets both).
 */
async function main() {
  const env = consoleEnv();
  authKeysOrExit('console', { sign: true });
  const rt = await createRuntime({ name: 'console', serviceDir: `${__dirname}/..`, outbox: false, poolSize: 4 });
  if (env.CONSOLE_SEED_DEMO_USERS) {
    const password = env.CAD110_DEMO_PASSWORD;
    if (!password) throw new Error('CONSOLE_SEED_DEMO_USERS=true needs CAD110_DEMO_PASSWORD');
    const users = await seedDemoUsers(rt.db, password);
    rt.logger.info({ users }, 'demo users seeded');
  }
  const { app, feed } = createServer(rt);
  await feed.start();
  await serve(rt, app, 8085, () => feed.stop());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
