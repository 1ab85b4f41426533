import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { topicName, TOPICS, type TopicKey } from '@cad110/contracts';

/** One message re-read from a topic. */
export interface ReadMessage {
  topic: TopicKey;
  partition: number;
  offset: number;
  key: string | null;
  eventId?: string;
  type?: string;
  streamId?: string;
  streamVersion?: number;
  callId?: string;
  externalId?: string;
  /** dead letters: the topic of the original */
  originalTopic?: string;
}

/**
 * Re-reads every topic from offset 0 to its end (as of the call) with a throw-away consumer
 * group. Unreadable values are kept with only their position.
 */
export async function readAllTopics(kafka: Kafka, prefix: string, timeoutMs = 120_000): Promise<ReadMessage[]> {
  const keys = Object.keys(TOPICS) as TopicKey[];
  const byName = new Map(keys.map((k) => [topicName(k, prefix), k]));
  const admin = kafka.admin();
  await admin.connect();
  const remaining = new Map<string, number>(); // topic:partition → last offset still to read
  for (const name of byName.keys()) {
    for (const p of await admin.fetchTopicOffsets(name)) if (Number(p.high) > Number(p.low)) remaining.set(`${name}:${p.partition}`, Number(p.high) - 1);
  }
  await admin.disconnect();
  const out: ReadMessage[] = [];
  if (remaining.size === 0) return out;
  const groupId = `${prefix}chaos-reread-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, maxBytes: 64 * 1024 * 1024, maxBytesPerPartition: 16 * 1024 * 1024 });
  await consumer.connect();
  for (const name of byName.keys()) await consumer.subscribe({ topic: name, fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const topic = byName.get(batch.topic)!;
      for (const m of batch.messages) {
        const rec: ReadMessage = { topic, partition: batch.partition, offset: Number(m.offset), key: m.key?.toString() ?? null };
        try {
          const v = JSON.parse(m.value?.toString('utf8') ?? '') as Record<string, any>;
          if (topic === 'deadLetter') rec.originalTopic = v.original?.topic;
          else Object.assign(rec, { eventId: v.eventId, type: v.type, streamId: v.streamId, streamVersion: v.streamVersion, callId: v.data?.callId, externalId: v.data?.externalRef?.id });
        } catch {
          // unreadable (the poison the suite produced): position only
        }
        out.push(rec);
        const k = `${batch.topic}:${batch.partition}`;
        if ((remaining.get(k) ?? Infinity) <= Number(m.offset)) remaining.delete(k);
      }
      if (remaining.size === 0) done();
    },
  });
  const timer = new Promise<void>((r) => setTimeout(r, timeoutMs).unref());
  await Promise.race([finished, timer]);
  await consumer.disconnect();
  const a = kafka.admin();
  await a.connect();
  await a.deleteGroups([groupId]).catch(() => undefined);
  await a.disconnect();
  if (remaining.size) throw new Error(`re-read did not reach the end of ${[...remaining.keys()].join(', ')} within ${timeoutMs} ms`);
  return out;
}

export interface TopicFindings {
  messages: number;
  /** logical facts written more than once with different event ids (a call received twice, an incident or case opened twice for one call) */
  duplicatedFacts: { fact: string; of: string; eventIds: number }[];
  /** streams whose events are not in stream order in their partition (first deliveries), or spread over partitions */
  orderViolations: { topic: string; streamId: string; detail: string }[];
  /** redeliveries of one event id (at-least-once; harmless, deduplicated by consumers) */
  redelivered: number;
  unreadable: number;
  deadLetters: number;
}

/** Checks the re-read topics: duplicates of facts, per-stream order, redeliveries. */
export function checkTopics(msgs: ReadMessage[]): TopicFindings {
  const facts = new Map<string, Set<string>>();
  const fact = (name: string, of: string | undefined, eventId: string) => {
    if (!of) return;
    const k = `${name}\u0000${of}`;
    const s = facts.get(k) ?? new Set<string>();
    s.add(eventId);
    facts.set(k, s);
  };
  const seen = new Set<string>();
  const streams = new Map<string, { partition: number; version: number }>();
  const orderViolations: TopicFindings['orderViolations'] = [];
  let redelivered = 0;
  let unreadable = 0;
  let deadLetters = 0;
  const sorted = [...msgs].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition || a.offset - b.offset);
  for (const m of sorted) {
    if (m.topic === 'deadLetter') {
      deadLetters++;
      continue;
    }
    if (!m.eventId || !m.streamId) {
      unreadable++;
      continue;
    }
    if (seen.has(m.eventId)) {
      redelivered++;
      continue;
    }
    seen.add(m.eventId);
    if (m.type === 'CallReceived') fact('CallReceived', m.externalId ?? m.callId, m.eventId);
    if (m.type === 'IncidentOpened') fact('IncidentOpened', m.callId, m.eventId);
    if (m.type === 'CaseOpened') fact('CaseOpened', m.callId, m.eventId);
    const k = `${m.topic}\u0000${m.streamId}`;
    const prev = streams.get(k);
    if (prev && prev.partition !== m.partition) orderViolations.push({ topic: m.topic, streamId: m.streamId, detail: `partitions ${prev.partition} and ${m.partition}` });
    else if (prev && m.streamVersion !== undefined && m.streamVersion <= prev.version) orderViolations.push({ topic: m.topic, streamId: m.streamId, detail: `version ${m.streamVersion} after ${prev.version} (offset ${m.offset})` });
    streams.set(k, { partition: m.partition, version: Math.max(prev?.version ?? 0, m.streamVersion ?? 0) });
  }
  const duplicatedFacts = [...facts].filter(([, ids]) => ids.size > 1).map(([k, ids]) => {
    const [name, of] = k.split('\u0000');
    return { fact: name!, of: of!, eventIds: ids.size };
  });
  return { messages: msgs.length, duplicatedFacts, orderViolations, redelivered, unreadable, deadLetters };
}

async function query<T>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

export interface DbUrls {
  intake: string;
  dispatch: string;
  records: string;
  statistics: string;
}

/**
 * Calls of `callIds` that have an incident (dispatch), a case (records) and a counted call fact
 * (statistics), read from the three databases.
 */
export async function completeCalls(db: DbUrls, callIds: string[]): Promise<Set<string>> {
  if (callIds.length === 0) return new Set();
  const sql = (table: string) => `SELECT call_id::text AS id FROM ${table} WHERE call_id = ANY($1::uuid[])`;
  const [inc, cases, facts] = await Promise.all([
    query<{ id: string }>(db.dispatch, sql('incidents'), [callIds]),
    query<{ id: string }>(db.records, sql('cases'), [callIds]),
    query<{ id: string }>(db.statistics, sql('call_facts'), [callIds]),
  ]);
  const c = new Set(cases.map((r) => r.id));
  const f = new Set(facts.map((r) => r.id));
  return new Set(inc.map((r) => r.id).filter((id) => c.has(id) && f.has(id)));
}

/** Calls intake committed for a run: externalId → callId (externalRef ids end with `suffix`). */
export async function committedCalls(db: DbUrls, source: string, suffix: string): Promise<Map<string, string>> {
  const rows = await query<{ id: string; ext: string }>(db.intake, `SELECT id::text AS id, external_id AS ext FROM calls WHERE external_source = $1 AND external_id LIKE $2`, [source, `%${suffix}`]);
  return new Map(rows.map((r) => [r.ext, r.id]));
}

/** Rows left in each service's outbox (a service without one counts 0). */
export async function outboxRows(db: DbUrls): Promise<number> {
  let n = 0;
  for (const url of Object.values(db)) n += (await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM outbox').catch(() => [{ n: 0 }]))[0]!.n;
  return n;
}

/** Calls counted twice: the day counts' total minus the number of counted calls (0 when each call is counted once). */
export async function countedTwice(db: DbUrls): Promise<number> {
  const [r] = await query<{ total: number; facts: number }>(db.statistics, 'SELECT (SELECT coalesce(sum(calls), 0)::int FROM call_counts_day) AS total, (SELECT count(*)::int FROM call_facts) AS facts');
  return r!.total - r!.facts;
}

/** Total lag of the services' consumer groups (committed offset to end of log, every partition they have committed on). */
export async function consumerLag(kafka: Kafka, prefix: string, groups: string[]): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let lag = 0;
    const topics = (Object.keys(TOPICS) as TopicKey[]).filter((k) => k !== 'deadLetter').map((k) => topicName(k, prefix));
    const ends = new Map<string, number>();
    for (const t of topics) for (const p of await admin.fetchTopicOffsets(t)) ends.set(`${t}:${p.partition}`, Number(p.high));
    for (const groupId of groups) {
      for (const t of await admin.fetchOffsets({ groupId, topics })) {
        for (const p of t.partitions) if (Number(p.offset) >= 0) lag += Math.max(0, ends.get(`${t.topic}:${p.partition}`)! - Number(p.offset));
      }
    }
    return lag;
  } finally {
    await admin.disconnect();
  }
}
