#!/usr/bin/env -S npx tsx
/**
 * Rebuilds statistics' projections from the Kafka topics (offset 0 → end), then exits:
 *
 *   npm run rebuild -w @cad110/statistics            # refuses while a statistics instance consumes live
 *   npm run rebuild -w @cad110/statistics -- --force # rebuild anyway (live instances wait on the lock)
 *
 * Uses the service's configuration (DATABASE_URL / POSTGRES_URL + CAD110_DB_PREFIX, KAFKA_BROKERS,
 * KAFKA_TOPIC_PREFIX, BUREAU_TIME_ZONE, STATS_H3_RESOLUTION) and applies pending migrations first.
 * With a running service prefer `POST /stats/admin/rebuild`, which pauses its consumer.
 * Prints the rebuild summary as one JSON line; exit code 1 on refusal or error.
 */
import { createRuntime } from '@cad110/runtime';
import { projectionConfig, statisticsTopics } from './config';
import { rebuildProjections } from './projections/rebuild';

async function main(): Promise<number> {
  const rt = await createRuntime({ name: 'statistics', serviceDir: `${__dirname}/..`, outbox: false });
  try {
    const result = await rebuildProjections({
      pool: rt.pool,
      kafka: rt.kafka,
      registry: rt.registry,
      cfg: projectionConfig(),
      logger: rt.logger,
      topics: statisticsTopics(),
      allowOtherLiveConsumers: process.argv.includes('--force'),
    });
    console.log(JSON.stringify({ ...result, watermarks: result.watermarks.length }));
    return 0;
  } catch (e) {
    console.error(`rebuild failed: ${(e as Error).message}`);
    return 1;
  } finally {
    await rt.producer.disconnect().catch(() => undefined);
    await rt.pool.end().catch(() => undefined);
  }
}

main().then((code) => process.exit(code));
