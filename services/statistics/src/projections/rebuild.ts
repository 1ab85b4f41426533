/**
 * Rebuild of statistics' projections from the event log: every event of the calls, dispatch and
 * cases topics from offset 0 up to each partition's end offset at the start of the rebuild is
 * folded in memory with the same functions as the live consumer, then the projection tables are
 * truncated and bulk-loaded in ONE transaction, with a per-partition watermark from which the
 * live consumer resumes. An exclusive PostgreSQL advisory lock keeps two rebuilds (and live
 * consumers of other processes) apart.
 */
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { topicPrefix, type EventEnvelope, type EventRegistry } from '@cad110/contracts';
import { parseEventMessage } from '@cad110/kafka';
import type { Logger } from '@cad110/logging';
import { applyEvent, type ProjectionTarget } from './apply';
import {
  applyDutyLevel,
  applyUnitStatus,
  caseSummary,
  emptyCall,
  emptyCase,
  emptyIncident,
  summaryKeys,
  SUMMARY_PARTS,
  type CallFactRow,
  type CaseFactRow,
  type DutyLevelRow,
  type IncidentFactRow,
  type ProjectionConfig,
  type UnitStateRow,
} from './fold';
import { LIVE_LOCK, LOCK_NAMESPACE, REBUILD_LOCK } from './live';
import { responseHistRows } from './response-hist';
import { ALL_SPECS, bulkInsert, PROJECTION_TABLES, type CaseCountRow, type MinuteCountRow } from './store';
import { sqlOf } from '@cad110/db';

/** Another rebuild holds the lock, or live consumers run elsewhere (HTTP 409). */
export class RebuildRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RebuildRefused';
  }
}

/** The projection rows held in memory during a rebuild. */
export class MemoryTarget implements ProjectionTarget {
  readonly calls = new Map<string, CallFactRow>();
  readonly incidents = new Map<string, IncidentFactRow>();
  readonly cases = new Map<string, CaseFactRow>();
  readonly units = new Map<string, UnitStateRow>();
  readonly duty = new Map<string, DutyLevelRow>();
  readonly minutes = new Map<string, MinuteCountRow>();

  async updateCall(callId: string, fn: (f: CallFactRow) => CallFactRow): Promise<void> {
    this.calls.set(callId, fn(this.calls.get(callId) ?? emptyCall(callId)));
  }
  async updateIncident(incidentId: string, fn: (i: IncidentFactRow) => IncidentFactRow): Promise<IncidentFactRow> {
    const next = fn(this.incidents.get(incidentId) ?? emptyIncident(incidentId));
    this.incidents.set(incidentId, next);
    return next;
  }
  async updateCase(caseId: string, fn: (c: CaseFactRow) => CaseFactRow): Promise<void> {
    this.cases.set(caseId, fn(this.cases.get(caseId) ?? emptyCase(caseId)));
  }
  async unitStatus(event: EventEnvelope): Promise<void> {
    const id = (event.data as { unitId: string }).unitId;
    const next = applyUnitStatus(this.units.get(id), event);
    if (next) this.units.set(id, next);
  }
  async dutyLevel(event: EventEnvelope): Promise<void> {
    const id = (event.data as { district: string }).district;
    const next = applyDutyLevel(this.duty.get(id), event);
    if (next) this.duty.set(id, next);
  }
  async countEvent(topic: string, minute: string): Promise<void> {
    const k = `${topic}|${minute}`;
    const row = this.minutes.get(k);
    if (row) row.events++;
    else this.minutes.set(k, { topic, minute, events: 1 });
  }

  /** The call summary tables, computed from the final call rows. */
  summaries(): Record<(typeof SUMMARY_PARTS)[number], Record<string, unknown>[]> {
    const tables = Object.fromEntries(SUMMARY_PARTS.map((p) => [p, new Map<string, Record<string, unknown>>()])) as Record<(typeof SUMMARY_PARTS)[number], Map<string, Record<string, unknown>>>;
    for (const f of this.calls.values()) {
      const keys = summaryKeys(f);
      if (!keys) continue;
      for (const part of SUMMARY_PARTS) {
        const k = JSON.stringify(keys[part]);
        const row = tables[part].get(k);
        if (row) (row.calls as number)++;
        else tables[part].set(k, { ...keys[part], calls: 1 });
      }
    }
    return Object.fromEntries(SUMMARY_PARTS.map((p) => [p, [...tables[p].values()]])) as Record<(typeof SUMMARY_PARTS)[number], Record<string, unknown>[]>;
  }

  /** case_counts_day, computed from the final case rows. */
  caseSummaries(): CaseCountRow[] {
    const out = new Map<string, CaseCountRow>();
    for (const c of this.cases.values()) {
      const s = caseSummary(c);
      if (!s) continue;
      const k = JSON.stringify(s.key);
      const row = out.get(k);
      if (row) {
        row.cases += s.values.cases;
        row.mediated += s.values.mediated;
        row.rescued += s.values.rescued;
        row.caught += s.values.caught;
      } else out.set(k, { ...s.key, ...s.values });
    }
    return [...out.values()];
  }
}

export interface RebuildOptions {
  pool: Pool;
  kafka: Kafka;
  registry: EventRegistry;
  cfg: ProjectionConfig;
  logger: Logger;
  /** full topic names to replay (default the calls, dispatch and cases topics of `KAFKA_TOPIC_PREFIX`) */
  topics: string[];
  /** allow the rebuild while live consumers of OTHER processes hold the live lock (default false) */
  allowOtherLiveConsumers?: boolean;
  /** pid of this process' own live-lock session, which does not count as another consumer */
  ownLivePid?: number;
}

export interface RebuildResult {
  /** distinct events read and applied */
  events: number;
  /** messages repeating an event already applied (same event id, e.g. a producer retry): skipped */
  duplicates: number;
  /** messages that were not readable events (the live consumer dead-letters them) */
  skipped: number;
  calls: number;
  incidents: number;
  cases: number;
  /** per topic and partition: the last offset applied (-1 for an empty partition) */
  watermarks: { topic: string; partition: number; offset: string }[];
  /** wall-clock seconds: reading + folding, writing, total */
  readSeconds: number;
  writeSeconds: number;
  seconds: number;
  /** events / total seconds */
  eventsPerSecond: number;
}

/**
 * Reads every topic partition from offset 0 to its end offset at the start and applies each
 * event to `onEvent` once. `fetchBytes` caps one fetch per partition (default 16 MiB).
 */
export async function replayTopics(
  kafka: Kafka,
  topics: string[],
  registry: EventRegistry,
  onEvent: (e: EventEnvelope, topicKey: string) => Promise<void>,
  fetchBytes = 16 << 20,
): Promise<{ events: number; skipped: number; duplicates: number; ends: Map<string, Map<number, bigint>> }> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<string, Map<number, bigint>>();
  try {
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      const lost = offsets.filter((p) => BigInt(p.low) > 0n);
      if (lost.length) throw new RebuildRefused(`${topic}: partitions ${lost.map((p) => p.partition).join(', ')} no longer start at offset 0 (retention deleted events); a rebuild would be incomplete`);
      ends.set(topic, new Map(offsets.map((p) => [p.partition, BigInt(p.high)])));
    }
  } finally {
    await admin.disconnect();
  }
  const pending = new Set<string>();
  for (const [topic, parts] of ends) for (const [p, high] of parts) if (high > 0n) pending.add(`${topic}|${p}`);
  let events = 0;
  let skipped = 0;
  // an event stored twice (a producer retry) is applied once, as the live consumer's processed markers do
  const seen = new Set<string>();
  let duplicates = 0;
  if (pending.size === 0) return { events, skipped, duplicates, ends };

  const groupId = `${topicPrefix()}statistics.rebuild.${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50, maxBytes: Math.max(fetchBytes * 4, 1 << 20), maxBytesPerPartition: fetchBytes, sessionTimeout: 60_000 });
  await consumer.connect();
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    let finish!: () => void;
    let fail!: (e: Error) => void;
    const done = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    // next offset to apply per partition: a batch delivered again (e.g. after a rebalance) is not applied twice
    const next = new Map<string, bigint>();
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, heartbeat, resolveOffset }) => {
        try {
          const high = ends.get(batch.topic)?.get(batch.partition) ?? 0n;
          const key = `${batch.topic}|${batch.partition}`;
          if (!pending.has(key)) return;
          for (const m of batch.messages) {
            const off = BigInt(m.offset);
            resolveOffset(m.offset); // the fetch position moves on
            if (off < (next.get(key) ?? 0n)) continue;
            next.set(key, off + 1n);
            if (off >= high) {
              pending.delete(key); // produced after the rebuild started: the live consumer applies it
              break;
            }
            let env: EventEnvelope;
            try {
              env = parseEventMessage(registry, m.value); // no key: sealed personal fields become [redacted]
            } catch {
              skipped++;
              if (off === high - 1n) pending.delete(key);
              continue;
            }
            if (seen.has(env.eventId)) duplicates++;
            else {
              seen.add(env.eventId);
              await onEvent(env, registry.get(env.type)?.topic ?? batch.topic);
              events++;
            }
            if (off === high - 1n) pending.delete(key);
          }
          await heartbeat();
          if (pending.size === 0) finish();
        } catch (e) {
          fail(e as Error);
        }
      },
    });
    await done;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const admin2 = kafka.admin();
    await admin2.connect().catch(() => undefined);
    await admin2.deleteGroups([groupId]).catch(() => undefined);
    await admin2.disconnect().catch(() => undefined);
  }
  return { events, skipped, duplicates, ends };
}

/**
 * Rebuilds every projection table from the topics (see the module comment).
 * @throws RebuildRefused when another rebuild runs, when live consumers of other processes run
 *   (unless allowed), or when a partition no longer starts at offset 0
 */
export async function rebuildProjections(opts: RebuildOptions): Promise<RebuildResult> {
  const started = performance.now();
  const startedAt = new Date();
  const client = await opts.pool.connect();
  const sql = sqlOf(client);
  try {
    const [lock] = await sql.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_NAMESPACE}, ${REBUILD_LOCK}) AS ok`);
    const ok = lock?.ok === true;
    if (!ok) throw new RebuildRefused('a rebuild is already running');
    try {
      if (!opts.allowOtherLiveConsumers) {
        const holders = await sql.query<{ pid: number }>(
          `SELECT DISTINCT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = ${LOCK_NAMESPACE} AND objid = ${LIVE_LOCK} AND objsubid = 2 AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        );
        const others = holders.filter((h) => h.pid !== opts.ownLivePid);
        if (others.length) throw new RebuildRefused(`live statistics consumers are running (${others.length} other process(es)); stop them or use POST /stats/admin/rebuild on the only instance`);
      }
      const mem = new MemoryTarget();
      const { events, skipped, duplicates, ends } = await replayTopics(opts.kafka, opts.topics, opts.registry, (e, topicKey) => applyEvent(mem, e, topicKey, opts.cfg));
      const readDone = performance.now();
      const watermarks = [...ends].flatMap(([topic, parts]) => [...parts].map(([partition, high]) => ({ topic, partition, offset: String(high - 1n) })));
      const s = mem.summaries();
      await sql.exec('BEGIN');
      try {
        await sql.exec(`TRUNCATE ${PROJECTION_TABLES.join(', ')}, processed_messages, rebuild_watermarks`);
        await bulkInsert(sql, ALL_SPECS.callFacts, [...mem.calls.values()]);
        await bulkInsert(sql, ALL_SPECS.incidentFacts, [...mem.incidents.values()]);
        await bulkInsert(sql, ALL_SPECS.caseFacts, [...mem.cases.values()]);
        await bulkInsert(sql, ALL_SPECS.unitStates, [...mem.units.values()]);
        await bulkInsert(sql, ALL_SPECS.dutyLevels, [...mem.duty.values()]);
        await bulkInsert(sql, ALL_SPECS.topicMinuteCounts, [...mem.minutes.values()]);
        await bulkInsert(sql, ALL_SPECS.countsDay, s.day as never[]);
        await bulkInsert(sql, ALL_SPECS.countsHour, s.hour as never[]);
        await bulkInsert(sql, ALL_SPECS.countsBeat, s.beat as never[]);
        await bulkInsert(sql, ALL_SPECS.countsMonth, s.month as never[]);
        await bulkInsert(sql, ALL_SPECS.countsHourTotal, s.hourTotal as never[]);
        await bulkInsert(sql, ALL_SPECS.caseCountsDay, mem.caseSummaries());
        await bulkInsert(sql, ALL_SPECS.responseHist, responseHistRows(mem.calls.values()));
        for (const w of watermarks) {
          await sql.exec(`INSERT INTO rebuild_watermarks (topic, partition, "offset") VALUES ($1, $2, $3::bigint)`, [w.topic, w.partition, w.offset]);
        }
        const seconds = (performance.now() - started) / 1000;
        await sql.exec(`INSERT INTO rebuild_runs (started_at, finished_at, events, skipped, calls, seconds) VALUES ($1, now(), $2, $3, $4, $5)`, [
          startedAt.toISOString(),
          events,
          skipped,
          mem.calls.size,
          seconds,
        ]);
        await sql.exec('COMMIT');
      } catch (e) {
        await sql.exec('ROLLBACK').catch(() => undefined);
        throw e;
      }
      await sql.exec(`ANALYZE ${PROJECTION_TABLES.join(', ')}`);
      const seconds = (performance.now() - started) / 1000;
      const result: RebuildResult = {
        events,
        skipped,
        duplicates,
        calls: mem.calls.size,
        incidents: mem.incidents.size,
        cases: mem.cases.size,
        watermarks,
        readSeconds: (readDone - started) / 1000,
        writeSeconds: (performance.now() - readDone) / 1000,
        seconds,
        eventsPerSecond: events / Math.max(seconds, 1e-9),
      };
      opts.logger.info({ ...result, watermarks: undefined }, 'statistics projections rebuilt');
      return result;
    } finally {
      await sql.query(`SELECT pg_advisory_unlock(${LOCK_NAMESPACE}, ${REBUILD_LOCK})`).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}
