/**
 * The periodic personal-data job of each service (issue 19 item 6, README "Personal data"): every
 * sweep interval it makes the personal fields the service stores unreadable for data recorded
 * more than `CAD110_PERSONAL_DATA_RETENTION_DAYS` ago, in one transaction, and logs how many rows
 * it changed (counts only, never the data). Each service sweeps its own store; nothing is
 * coordinated between services (they all use the same period and the same rule).
 */
import type { Db, Sql } from '@cad110/db';
import { retentionMsOfDays } from '@cad110/contracts';
import type { Logger } from '@cad110/logging';
import type { RuntimeEnv } from './config';

/** A service's redaction: changes what was recorded before `cutoff`; @returns rows changed per kind. */
export type PersonalDataSweep = (tx: Sql, cutoff: Date) => Promise<Record<string, number>>;

/** The retention period of the configuration, milliseconds. */
export function personalDataRetentionMs(env: Pick<RuntimeEnv, 'CAD110_PERSONAL_DATA_RETENTION_DAYS'>): number {
  return retentionMsOfDays(env.CAD110_PERSONAL_DATA_RETENTION_DAYS);
}

/** How often the job runs for a retention period: a tenth of it, at least every second, at most hourly (ms). */
export function sweepIntervalMs(retentionMs: number): number {
  return Math.min(3_600_000, Math.max(1000, Math.round(retentionMs / 10)));
}

/**
 * Runs `sweep` once now and then every {@link sweepIntervalMs} (one at a time, and one instance
 * of the service at a time: a transaction-scoped advisory lock; a failure is logged and retried at
 * the next tick). Cutoff = now − the retention period.
 * @returns `stop()` for the service's shutdown, and `runOnce()` (the same sweep, for tests)
 */
export function startPersonalDataRetention(rt: { db: Db; logger: Logger; env: Pick<RuntimeEnv, 'CAD110_PERSONAL_DATA_RETENTION_DAYS'> }, sweep: PersonalDataSweep): { stop: () => void; runOnce: () => Promise<Record<string, number>> } {
  const retentionMs = personalDataRetentionMs(rt.env);
  const runOnce = async () => {
    const cutoff = new Date(Date.now() - retentionMs);
    // one instance of the service sweeps at a time (the others skip this round)
    const changed = await rt.db.transaction(async (tx): Promise<Record<string, number>> => {
      const [lock] = await tx.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext('cad110.personal-data-retention')) AS locked`);
      return lock?.locked ? sweep(tx, cutoff) : {};
    });
    if (Object.values(changed).some((n) => n > 0)) rt.logger.info({ redacted: changed, cutoff: cutoff.toISOString() }, 'personal data past retention redacted');
    return changed;
  };
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    runOnce()
      .catch((err) => rt.logger.error({ err }, 'personal data redaction failed'))
      .finally(() => (running = false));
  };
  tick();
  const timer = setInterval(tick, sweepIntervalMs(retentionMs));
  timer.unref();
  return { stop: () => clearInterval(timer), runOnce };
}
