import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Express } from 'express';
import { Partitioners, type Consumer, type Kafka, type Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { eventRegistry, topicSpecs } from '@cad110/contracts';
import { createResilientPool, databaseUrlFor, dbOf, deployMigrations, ensureDatabase, type Db } from '@cad110/db';
import { consumerState, createKafka, ensureTopics, kafkaReachable, OutboxRelay, type PersonalDataKeyring } from '@cad110/kafka';
import { createLogger, type Logger } from '@cad110/logging';
import { createMetrics, type ServiceMetrics } from '@cad110/telemetry';
import { configOrExit, loadConfig, RuntimeEnv } from './config';
import { personalDataRetentionMs } from './retention';

export * from './config';
export * from './retention';

/** Everything a service's code needs at run time, built once at start-up. */
export interface ServiceRuntime {
  name: string;
  logger: Logger;
  metrics: ServiceMetrics;
  databaseUrl: string;
  pool: Pool;
  /**
   * The one way to run SQL at run time (`@cad110/db`): `db.query/select/exec` on the pool,
   * `db.transaction(fn)` for one transaction (commands, consumers, projections).
   */
  db: Db;
  kafka: Kafka;
  producer: Producer;
  relay: OutboxRelay;
  registry: typeof eventRegistry;
  /** readiness checks for /readyz */
  readiness: { name: string; check: () => Promise<boolean> }[];
  consumers: Consumer[];
  /** whether this service has an outbox and runs the relay */
  outbox: boolean;
  /** the shared configuration, validated once at start-up ({@link RuntimeEnv}) */
  env: RuntimeEnv;
  /** the personal-data key ring (intake, dispatch, records): the relay seals with it, consumers open with it */
  keyring?: PersonalDataKeyring;
}

export interface RuntimeOptions {
  /** service name: intake | dispatch | records | statistics */
  name: string;
  /** directory of the service package (for prisma/migrations) */
  serviceDir: string;
  /** pg pool size (default `DB_POOL_SIZE` or 10) */
  poolSize?: number;
  /** false for services that publish nothing (no outbox table, relay never started) */
  outbox?: boolean;
  /**
   * the personal-data key ring ({@link personalDataKeysOrExit}): the relay seals the personal
   * fields of every message with it. Only intake, dispatch and records pass one; without it
   * messages leave as stored (statistics and the console publish none; in-process tests).
   */
  keyring?: PersonalDataKeyring;
}

/**
 * Connects a service: creates its database if missing and applies its migrations
 * (`DB_MIGRATE=false` skips both), opens the bounded pg pool and its {@link Db}, creates the Kafka
 * topics, connects an idempotent producer and prepares (not starts) the outbox relay.
 */
export async function createRuntime(opts: RuntimeOptions): Promise<ServiceRuntime> {
  const env = configOrExit(opts.name, RuntimeEnv);
  const logger = createLogger(opts.name);
  const metrics = createMetrics(opts.name, { eventLoopResolutionMs: env.METRICS_EVENT_LOOP_RESOLUTION_MS });
  const databaseUrl = databaseUrlFor(opts.name);
  if (env.DB_MIGRATE) {
    await ensureDatabase(databaseUrl);
    const applied = await deployMigrations(databaseUrl, join(opts.serviceDir, 'prisma', 'migrations'));
    if (applied.length) logger.info({ applied }, 'migrations applied');
  }
  // a PostgreSQL restart ends every connection (57P01): logged, never fatal; the pool reconnects
  const pool = createResilientPool({
    connectionString: databaseUrl,
    max: opts.poolSize ?? env.DB_POOL_SIZE,
    connectionTimeoutMillis: 10_000,
    onConnectionError: (err, where) => logger.warn({ err, where }, 'pg connection lost; the pool reconnects'),
  });
  const kafka = createKafka(`cad110-${opts.name}`, logger);
  // every topic keeps messages for the personal-data retention period (README "Personal data")
  await ensureTopics(kafka, topicSpecs(env.KAFKA_TOPIC_PREFIX, env.KAFKA_PARTITIONS, personalDataRetentionMs(env)), 60_000, env.KAFKA_REPLICATION_FACTOR, (m) => logger.warn(m));
  const producer = kafka.producer({ idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const relay = new OutboxRelay({ pool, producer, kafka, logger, metrics, keyring: opts.keyring, idleIntervalMs: env.OUTBOX_IDLE_INTERVAL_MS });
  const outbox = opts.outbox !== false;
  if (outbox) metrics.setOutboxBacklogReader(() => relay.backlog());
  const db = dbOf(pool);
  const consumers: Consumer[] = [];
  return {
    name: opts.name,
    logger,
    metrics,
    databaseUrl,
    pool,
    db,
    kafka,
    producer,
    relay,
    registry: eventRegistry,
    consumers,
    outbox,
    env,
    keyring: opts.keyring,
    readiness: [
      { name: 'database', check: async () => (await pool.query('SELECT 1')).rowCount === 1 },
      { name: 'kafka', check: () => kafkaReachable(kafka) },
      // a consumer kafkajs stopped (or one being restarted) means events are not being applied
      { name: 'consumers', check: async () => consumers.every((c) => (consumerState(c) ?? 'running') === 'running') },
    ],
  };
}

/** Consumer group id of a service's consumer, with the optional `KAFKA_GROUP_SUFFIX` for test isolation. */
export function groupId(name: string, env: Pick<RuntimeEnv, 'KAFKA_TOPIC_PREFIX' | 'KAFKA_GROUP_SUFFIX'> = loadConfig(RuntimeEnv)): string {
  return `${env.KAFKA_TOPIC_PREFIX}${name}${env.KAFKA_GROUP_SUFFIX}`;
}

/**
 * The consumer settings of the validated configuration (`CONSUMER_CHUNK_SIZE`,
 * `CONSUMER_RESTART_WINDOW_MS`, `DEAD_LETTER_MAX_VALUE_BYTES`, `KAFKA_SESSION_TIMEOUT_MS`), for
 * libs/kafka `runIdempotentConsumer`.
 */
export function consumerSettings(env: RuntimeEnv): { chunkSize: number; restartWindowMs: number; deadLetterMaxValueBytes: number; sessionTimeoutMs: number } {
  return { chunkSize: env.CONSUMER_CHUNK_SIZE, restartWindowMs: env.CONSUMER_RESTART_WINDOW_MS, deadLetterMaxValueBytes: env.DEAD_LETTER_MAX_VALUE_BYTES, sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS };
}

/**
 * Listens on `PORT` (or `defaultPort`), starts the relay, and stops everything cleanly on
 * SIGINT/SIGTERM (HTTP, consumers, relay, producer, pool, telemetry) within 10 s. A port it
 * cannot take (EADDRINUSE, EACCES) ends the process with exit code 1 and a fatal log line
 * naming the code, so its supervisor sees it.
 */
export async function serve(
  rt: ServiceRuntime,
  app: Express,
  defaultPort: number,
  onStop: () => Promise<void> = async () => undefined,
): Promise<Server> {
  if (rt.outbox) rt.relay.start();
  const port = rt.env.PORT ?? defaultPort;
  // express 5 hands a listen error (EADDRINUSE: another process holds the port) to this callback:
  // a service that cannot take its port must not run on without one
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, (err?: Error) => (err ? reject(err) : resolve(s)));
  }).catch((err: NodeJS.ErrnoException) => {
    rt.logger.fatal({ port, code: err.code }, `${rt.name} cannot listen on port ${port}: ${err.code ?? err.message}`);
    process.exit(1);
  });
  rt.logger.info({ port }, `${rt.name} listening`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    rt.logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close();
    await Promise.allSettled(rt.consumers.map((c) => c.disconnect()));
    await onStop();
    await rt.relay.stop();
    await rt.producer.disconnect().catch(() => undefined);
    await rt.pool.end().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  return server;
}

/** Exits non-zero when a consumer has used up its restarts, so the supervisor restarts the service. */
export function exitOnFatal(logger: Logger) {
  return (err: Error) => {
    logger.fatal({ err }, 'consumer restarts exhausted; exiting');
    setTimeout(() => process.exit(70), 100);
  };
}
