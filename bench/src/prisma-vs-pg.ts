/**
 * Node CPU per SQL statement: Prisma raw vs Prisma typed vs plain pg, in one transaction each,
 * on a temporary intake database. Usage: npx tsx bench/src/prisma-vs-pg.ts [statements=2000]
 */
import { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { tempDatabase } from '@cad110/testkit';
import { PrismaClient } from '../../services/intake/src/generated/prisma/client';
(async () => {
  const db = await tempDatabase(join(__dirname, '..', '..', 'services', 'intake', 'prisma', 'migrations'));
  const url = db.url;
  const pool = new Pool({ connectionString: url, max: 4 });
  // the Prisma runtime client as the services used it before issue 12 (they now run SQL through @cad110/db)
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  const N = Number(process.argv[2] ?? 2000);
  for (let round = 0; round < 2; round++) {
    console.log(round === 0 ? 'cold (first round):' : 'warm (second round):');
    let t = performance.now(); let cpu = process.cpuUsage();
    await prisma.$transaction(async (tx) => {
      for (let i = 0; i < N; i++) await tx.$executeRawUnsafe(`INSERT INTO processed_messages (consumer, event_id, topic, partition, "offset") VALUES ($1, $2::uuid, $3, $4, $5::bigint) ON CONFLICT DO NOTHING`, 'bench', randomUUID(), 't', 0, '1');
    }, { timeout: 60000 });
    let c = process.cpuUsage(cpu);
    console.log('prisma raw   ', ((performance.now() - t) / N).toFixed(3), 'ms/stmt wall', ((c.user + c.system) / 1000 / N).toFixed(3), 'ms/stmt cpu');
    t = performance.now(); cpu = process.cpuUsage();
    const client = await pool.connect(); await client.query('BEGIN');
    for (let i = 0; i < N; i++) await client.query(`INSERT INTO processed_messages (consumer, event_id, topic, partition, "offset") VALUES ($1, $2::uuid, $3, $4, $5::bigint) ON CONFLICT DO NOTHING`, ['bench', randomUUID(), 't', 0, '1']);
    await client.query('COMMIT'); client.release();
    c = process.cpuUsage(cpu);
    console.log('pg direct    ', ((performance.now() - t) / N).toFixed(3), 'ms/stmt wall', ((c.user + c.system) / 1000 / N).toFixed(3), 'ms/stmt cpu');
    t = performance.now(); cpu = process.cpuUsage();
    await prisma.$transaction(async (tx) => {
      for (let i = 0; i < N / 4; i++) await tx.call.findUnique({ where: { id: randomUUID() } });
    }, { timeout: 60000 });
    c = process.cpuUsage(cpu);
    console.log('prisma typed ', ((performance.now() - t) / (N / 4)).toFixed(3), 'ms/stmt wall', ((c.user + c.system) / 1000 / (N / 4)).toFixed(3), 'ms/stmt cpu');
  }
  await prisma.$disconnect(); await pool.end(); await db.drop();
})();
