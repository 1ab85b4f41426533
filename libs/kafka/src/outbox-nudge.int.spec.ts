import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Producer, type ProducerRecord } from 'kafkajs';
import { Pool } from 'pg';
import { topicName, topicSpecs } from '@cad110/contracts';
import { createLogger } from '@cad110/logging';
import { createMetrics } from '@cad110/telemetry';
import { tempDatabase, uniqueId } from '@cad110/testkit';
import { ensureTopics, kafkaBrokers } from './client';
import { LOCK_WAIT_MS, OutboxRelay } from './outbox-relay';

const MIGRATIONS = join(__dirname, '..', '..', '..', 'services', 'intake', 'prisma', 'migrations');

/**
 * A nudge that arrives while the relay is sending is not lost (issue 17). The relay woke only a
 * loop that was already asleep, so a row committed while a round was in flight (after the round
 * had claimed its rows) waited for the next commit's nudge, or for the idle interval (then 250 ms in
 * the services) when none came. Here the interval is a minute: only a remembered nudge can
 * publish the second row in time. Real broker and PostgreSQL; the producer is the real
 * one, held at a gate during the first send so that the second row commits mid-round.
 * Likewise a relay of a second instance that finds the relay lock taken waits for it instead of
 * going back to sleep with its own instance's nudged row unpublished.
 */
describe('outbox relay: a nudged row never waits for the idle interval (real broker, real PostgreSQL)', () => {
  const prefix = `${uniqueId('n')}.`;
  let db: Awaited<ReturnType<typeof tempDatabase>>;
  let pool: Pool;
  let producer: Producer;
  let relay: OutboxRelay | undefined;
  const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING, clientId: 'outbox-nudge-test' });

  beforeAll(async () => {
    db = await tempDatabase(MIGRATIONS);
    pool = new Pool({ connectionString: db.url, max: 3 });
    await ensureTopics(kafka, topicSpecs(prefix, 1));
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await relay?.stop();
    await producer?.disconnect();
    await pool?.end();
    await db?.drop();
  });

  const insert = (topic: string, key: string, seq: number) =>
    pool.query(`INSERT INTO outbox (event_id, topic, key, payload, headers) VALUES ($1, $2, $3, $4, '{}'::jsonb)`, [randomUUID(), topic, key, JSON.stringify({ seq })]);
  const backlog = async () => Number((await pool.query<{ n: string }>('SELECT count(*)::text AS n FROM outbox')).rows[0]!.n);
  const drained = async () => {
    const started = Date.now();
    while ((await backlog()) > 0 && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 20));
    return (await backlog()) === 0;
  };
  /** whether a relay's loop is asleep (waiting for a nudge or its idle interval) */
  const asleep = (r: OutboxRelay) => (r as unknown as { wake?: () => void }).wake !== undefined;
  /** waits until `ok` holds, at most 10 s */
  const until = async (ok: () => boolean | Promise<boolean>) => {
    for (const started = Date.now(); !(await ok()) && Date.now() - started < 10_000; ) await new Promise((r) => setTimeout(r, 10));
  };
  /** stops the test's relay and empties the outbox: each test starts from nothing */
  async function reset() {
    await relay?.stop();
    relay = undefined;
    await pool.query('DELETE FROM outbox');
  }
  /** a relay over `producer` (default: the real one), idle interval a minute unless given */
  const newRelay = (opts: Partial<ConstructorParameters<typeof OutboxRelay>[0]> = {}) =>
    new OutboxRelay({ pool, producer, kafka, logger: createLogger('outbox-nudge-test', { level: 'silent' }), idleIntervalMs: 60_000, ...opts });

  /**
   * A fresh relay (idle interval a minute) over the real producer whose first send waits at a
   * gate (`hold`), or none does.
   */
  async function startRelay(hold: boolean) {
    await reset();
    let openGate!: () => void;
    const gate = hold ? new Promise<void>((resolve) => (openGate = resolve)) : Promise.resolve();
    let firstSendStarted!: () => void;
    const sending = new Promise<void>((resolve) => (firstSendStarted = resolve));
    const counter = { sends: 0 };
    const gated = Object.assign(Object.create(producer) as Producer, {
      send: async (record: ProducerRecord) => {
        if (counter.sends++ === 0) {
          firstSendStarted();
          await gate;
        }
        return producer.send(record);
      },
    });
    relay = newRelay({ producer: gated });
    relay.start();
    return { relay, counter, sending, openGate: () => openGate?.() };
  }

  it('publishes a row committed while the round before it was sending without waiting for the idle interval', async () => {
    const topic = topicName('calls', prefix);
    const key = randomUUID();
    const { relay, counter, sending, openGate } = await startRelay(true);

    await insert(topic, key, 1);
    relay.nudge();
    await sending; // round 1 has claimed row 1 and is sending it
    await insert(topic, key, 2);
    relay.nudge(); // nobody is asleep to be woken: the loop must remember it
    openGate();

    expect(await drained()).toBe(true);
    expect(counter.sends).toBe(2);
  });

  it('stops after the round it is in, not after a sleep of the idle interval', async () => {
    const topic = topicName('calls', prefix);
    const { relay, sending, openGate } = await startRelay(true);
    await insert(topic, randomUUID(), 4);
    relay.nudge();
    await sending; // a round is running
    const stopped = relay.stop();
    openGate();
    const started = Date.now();
    await stopped;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await backlog()).toBe(0); // the round it was in finished and committed
  });

  it("a second instance's relay waits for the relay lock instead of leaving its own nudged row to the idle interval", async () => {
    const topic = topicName('calls', prefix);
    // instance B of the same service: same database and outbox, its own relay, asleep for a minute
    const other = newRelay();
    const { relay: mine, sending, openGate } = await startRelay(true);
    other.start();
    try {
      await until(() => asleep(other));
      expect(asleep(other)).toBe(true);
      await insert(topic, randomUUID(), 5);
      mine.nudge();
      await sending; // instance A's round holds the relay lock and is sending row 5
      await insert(topic, randomUUID(), 6); // committed by instance B, which nudges its own relay
      other.nudge();
      // B's round has run into A's lock: waiting for it (or, as it was, gave up and went back to sleep)
      const waiting = async () =>
        Number(
          (
            await pool.query<{ n: string }>(
              `SELECT count(*)::text AS n FROM pg_locks
                WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1 AND classid = 0 AND objid = $1
                  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
              [0x0cad110], // the relays' default lock key (one bigint: classid high, objid low 32 bits)
            )
          ).rows[0]!.n,
        ) > 0;
      await new Promise((r) => setTimeout(r, 20));
      await until(async () => asleep(other) || (await waiting()));
      openGate();
      expect(await drained()).toBe(true); // row 6 too, without either relay's idle interval
    } finally {
      await other.stop();
    }
  });

  it('counts the rows only the idle poll found (cad110_outbox_idle_poll_rows_total), and none that were nudged', async () => {
    await reset();
    const metrics = createMetrics('outbox-nudge-test');
    const polled = async () => (await metrics.outboxIdlePollRows.get()).values[0]?.value ?? 0;
    const quick = newRelay({ metrics, idleIntervalMs: 1000 });
    quick.start();
    try {
      await until(() => asleep(quick));
      const topic = topicName('calls', prefix);
      await insert(topic, randomUUID(), 7); // a second before the next poll: the nudge publishes it
      quick.nudge();
      expect(await drained()).toBe(true);
      await new Promise((r) => setTimeout(r, 1_500)); // an idle poll that finds nothing
      expect(await polled()).toBe(0);
      await insert(topic, randomUUID(), 8); // a writer that does not nudge
      expect(await drained()).toBe(true); // published by the idle poll, within its second
      expect(await polled()).toBe(1);
    } finally {
      await quick.stop();
    }
  });

  it('a round gives up on the relay lock after LOCK_WAIT_MS (another instance stuck in a send keeps it) without an error', async () => {
    await reset();
    await insert(topicName('calls', prefix), randomUUID(), 9);
    const holder = await pool.connect();
    await holder.query(`BEGIN; SELECT pg_advisory_xact_lock(${0x0cad110})`);
    try {
      const waiting = newRelay();
      const started = Date.now();
      expect(await waiting.relayOnce()).toBe(0);
      expect(Date.now() - started).toBeGreaterThanOrEqual(LOCK_WAIT_MS - 100);
      expect(await backlog()).toBe(1); // nothing claimed, nothing lost
      await holder.query('COMMIT');
      expect(await waiting.relayOnce()).toBe(1);
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      holder.release();
    }
  });

  it('still sleeps the idle interval when nobody nudges', async () => {
    const topic = topicName('calls', prefix);
    const { relay, counter } = await startRelay(false);
    // the first round found nothing and went to sleep (waiting for its wake-up, not a fixed time:
    // a round still running when row 3 commits would claim it and prove nothing)
    await until(() => asleep(relay));
    expect(asleep(relay)).toBe(true);
    await insert(topic, randomUUID(), 3); // committed, not nudged
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await backlog()).toBe(1);
    expect(counter.sends).toBe(0);
    relay.nudge();
    expect(await drained()).toBe(true);
    expect(counter.sends).toBe(1);
  });
});
