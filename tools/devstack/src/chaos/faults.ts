import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { topicName, TOPICS, type TopicKey } from '@cad110/contracts';
import { SERVICES } from '../paths';
import type { Stack } from '../stack';
import type { KafkaCluster } from './cluster';
import type { PrivatePostgres } from './private-pg';

export interface FaultContext {
  cluster: KafkaCluster;
  stack: Stack;
  pg: PrivatePostgres;
  kafka: Kafka;
  prefix: string;
  instances: number;
  log: (line: string) => void;
}

export interface Fault {
  name: string;
  /** what the run does, for the table */
  describe: string;
  /**
   * Injects the fault while the load runs. Calls `ended()` at the moment the fault is over (the
   * catch-up clock starts there), then may go on repairing (restarting what it killed).
   * @returns free-form notes for the result (e.g. sizes the broker refused)
   */
  inject(ctx: FaultContext, ended: () => void): Promise<string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sizes of the unreadable messages, bytes: empty to twice the broker's default limit (1,048,588). */
export const POISON_SIZES = [0, 1, 1024, 65_537, 700_000, 1_000_000, 1_048_000, 1_100_000, 2_000_000];

/** kill -9 the first instance of one service, restarted 5 s later (the CI-sized instance fault). */
export function killOne(service: (typeof SERVICES)[number]): Fault {
  return {
    name: `kill:${service}`,
    describe: `kill -9 one ${service} instance (restarted after 5 s)`,
    async inject({ stack, log }, ended) {
      await stack.stopService(service, 0, 'SIGKILL');
      ended();
      log(`killed ${service}#1 (-9)`);
      await sleep(5_000);
      await stack.startService(service, 120_000, 0);
      return `${service}#1 killed, restarted after 5 s`;
    },
  };
}

/** A fault by name: a key of {@link FAULTS} or `kill:<service>`. */
export function faultByName(name: string): Fault | undefined {
  const m = /^kill:(intake|dispatch|records|statistics)$/.exec(name);
  return m ? killOne(m[1] as (typeof SERVICES)[number]) : FAULTS[name];
}

export const FAULTS: Record<string, Fault> = {
  'leader-kill': {
    name: 'leader-kill',
    describe: 'kill -9 the leader broker of calls partition 0 (back after 20 s)',
    async inject({ cluster, prefix, log }, ended) {
      const leader = await cluster.leaderOf(topicName('calls', prefix), 0);
      await cluster.kill(leader);
      ended();
      log(`killed broker ${leader} (-9)`);
      await sleep(20_000);
      await cluster.startNode(leader);
      return `broker ${leader} killed, restarted after 20 s`;
    },
  },
  'broker-stop-30s': {
    name: 'broker-stop-30s',
    describe: 'stop the leader broker of calls partition 0 for 30 s',
    async inject({ cluster, prefix, log }, ended) {
      const leader = await cluster.leaderOf(topicName('calls', prefix), 0);
      await cluster.stopNode(leader);
      log(`stopped broker ${leader}`);
      await sleep(30_000);
      await cluster.startNode(leader);
      ended();
      return `broker ${leader} stopped 30 s`;
    },
  },
  'instance-kill': {
    name: 'instance-kill',
    describe: 'kill -9 one instance of each service in turn (8 s apart; each restarted)',
    async inject({ stack, log }, ended) {
      const restarts: Promise<unknown>[] = [];
      for (const s of SERVICES) {
        await stack.stopService(s, 0, 'SIGKILL');
        log(`killed ${s}#1 (-9)`);
        restarts.push(sleep(5_000).then(() => stack.startService(s, 120_000, 0)));
        if (s !== SERVICES.at(-1)) await sleep(8_000);
      }
      ended();
      await Promise.all(restarts);
      return 'intake, dispatch, records, statistics: first instance killed and restarted';
    },
  },
  'pg-restart': {
    name: 'pg-restart',
    describe: 'restart PostgreSQL (fast shutdown, down 5 s)',
    async inject({ pg, log }, ended) {
      const t = Date.now();
      await pg.stop('fast');
      log('PostgreSQL stopped');
      await sleep(5_000);
      await pg.start();
      ended();
      return `down ${((Date.now() - t) / 1000).toFixed(1)} s`;
    },
  },
  'rolling-restart': {
    name: 'rolling-restart',
    describe: 'rolling restart of every instance (SIGTERM, start, wait ready, next)',
    async inject({ stack, instances, log }, ended) {
      for (const s of SERVICES) {
        for (let i = 0; i < instances; i++) {
          await stack.stopService(s, i, 'SIGTERM');
          await stack.startService(s, 120_000, i);
          log(`restarted ${s}#${i + 1}`);
        }
      }
      ended();
      return `${SERVICES.length * instances} instances restarted one by one`;
    },
  },
  poison: {
    name: 'poison',
    describe: `unreadable messages of ${POISON_SIZES.length} sizes (0 B to 2 MB) produced to every topic`,
    async inject({ kafka, prefix, log }, ended) {
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      let accepted = 0;
      const refused: string[] = [];
      try {
        for (const key of Object.keys(TOPICS) as TopicKey[]) {
          for (const size of POISON_SIZES) {
            const value = Buffer.concat([Buffer.from([0xff, 0xfe]), randomBytes(Math.max(0, size - 2))]).subarray(0, size);
            try {
              await producer.send({ topic: topicName(key, prefix), acks: -1, messages: [{ key: randomBytes(8).toString('hex'), value }] });
              accepted++;
            } catch (e) {
              refused.push(`${key}:${size}`);
              log(`broker refused ${size} B on ${key}: ${(e as Error).message}`);
            }
          }
        }
      } finally {
        await producer.disconnect();
      }
      ended();
      return `${accepted} written, ${refused.length} refused by the broker (${[...new Set(refused.map((r) => r.split(':')[1]))].join(', ')} B)`;
    },
  },
};
