import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
// libs/kafka fixes kafkajs' 1 ms request-queue timer loop when it loads (request-queue.ts)
import '@cad110/kafka';
import { ROOT } from '../paths';

const SCRIPT = join(ROOT, 'infra', 'kafka', 'kafka-cluster.sh');

/**
 * The local 3-broker KRaft cluster of infra/kafka/kafka-cluster.sh (base port
 * `CAD110_KAFKA_CLUSTER_PORT`, default 19300), driven from TypeScript. The script starts the
 * JVMs detached with their output in files, so they inherit nothing of this process.
 */
export class KafkaCluster {
  readonly env: NodeJS.ProcessEnv;
  constructor(basePort = Number(process.env.CAD110_KAFKA_CLUSTER_PORT ?? 19300)) {
    this.env = { ...process.env, CAD110_KAFKA_CLUSTER_PORT: String(basePort) };
  }

  /**
   * Runs the script without blocking this process's event loop (the load keeps running while a
   * node starts or stops).
   * @throws Error with its stderr when it fails or takes longer than 5 minutes
   */
  run(...args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn('bash', [SCRIPT, ...args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve(out.trim());
        else reject(new Error(`kafka-cluster.sh ${args.join(' ')} failed (${code}): ${err}`));
      });
    });
  }

  async start(): Promise<void> {
    await this.run('start');
  }
  async stop(): Promise<void> {
    await this.run('stop');
  }
  brokers(): Promise<string> {
    return this.run('brokers');
  }
  /** kill -9 node `i` (1-based). */
  async kill(i: number): Promise<void> {
    await this.run('kill-node', String(i));
  }
  /** Stops node `i` cleanly (SIGTERM). */
  async stopNode(i: number): Promise<void> {
    await this.run('stop-node', String(i));
  }
  /** Starts node `i` again and waits until it accepts clients. */
  async startNode(i: number): Promise<void> {
    await this.run('start-node', String(i));
  }

  /** Node id leading partition `partition` of `topic` (node ids are 1..3). */
  async leaderOf(topic: string, partition = 0): Promise<number> {
    const admin = new Kafka({ brokers: (await this.brokers()).split(','), logLevel: logLevel.NOTHING, clientId: 'chaos-leader' }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0]!.partitions.find((p) => p.partitionId === partition)!.leader;
    } finally {
      await admin.disconnect();
    }
  }
}
