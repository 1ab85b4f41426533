import type { PoolClient } from 'pg';
import type { ServiceRuntime } from '@cad110/runtime';
import type { ConsumerGate } from './projections/gate';
import type { ProjectionConfig } from './projections/fold';

/** Statistics' runtime (libs/runtime): pool, Kafka, logger, metrics. */
export type StatisticsRuntime = ServiceRuntime;

/** What the live consumer (consumers.ts) and the admin rebuild (admin/routes.ts) share in one process. */
export interface LiveProjection {
  cfg: ProjectionConfig;
  gate: ConsumerGate;
  /** backend pid of the session holding this process' shared live lock */
  livePid?: number;
  liveClient?: PoolClient;
}
