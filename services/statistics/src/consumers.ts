import { pgTransaction } from '@cad110/db';
import { BACKGROUND_FETCH_MIN_BYTES, runIdempotentConsumer } from '@cad110/kafka';
import { consumerSettings, exitOnFatal, groupId } from '@cad110/runtime';
import type { LiveProjection, StatisticsRuntime } from './runtime';
import { statisticsTopics } from './config';
import { liveTransaction, LIVE_LOCK, LOCK_NAMESPACE, prefetchFacts, projectLive, type LiveTx } from './projections/live';

/**
 * Starts statistics' consumer of the calls, dispatch and cases topics. It holds a shared
 * advisory "live" lock for the life of the process (so a CLI rebuild can see it runs), and
 * runs every message's transaction through the gate an in-process rebuild closes.
 */
export async function startConsumers(rt: StatisticsRuntime, live: LiveProjection): Promise<void> {
  const client = await rt.pool.connect();
  await client.query(`SELECT pg_advisory_lock_shared(${LOCK_NAMESPACE}, ${LIVE_LOCK})`);
  live.livePid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  live.liveClient = client;
  const tx = liveTransaction(pgTransaction(rt.pool, { statementTimeoutMs: 15_000 }));
  rt.consumers.push(
    await runIdempotentConsumer<LiveTx>({
      kafka: rt.kafka,
      groupId: groupId('statistics'),
      consumerName: 'statistics.all',
      topics: statisticsTopics(),
      registry: rt.registry,
      transaction: (fn) => live.gate.run(() => tx(fn)),
      producer: rt.producer,
      logger: rt.logger,
      metrics: rt.metrics,
      handle: (event, t, msg) => projectLive(event, t, msg, rt.registry, live.cfg),
      prepare: (items, t) => prefetchFacts(items, t),
      // off the call → recommendation path: fetches wait for several messages (≤ 500 ms)
      fetchMinBytes: BACKGROUND_FETCH_MIN_BYTES,
      onFatal: exitOnFatal(rt.logger),
      ...consumerSettings(rt.env),
    }),
  );
}

/** Releases the live lock (at shutdown). */
export function stopLive(live: LiveProjection): void {
  live.liveClient?.release();
  live.liveClient = undefined;
}
