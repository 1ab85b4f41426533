import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './paths';

export interface KafkaHandle {
  brokers: string;
  /** true when this process started the broker (and should stop it) */
  started: boolean;
  stop(): void;
}

const SCRIPT = join(ROOT, 'infra', 'kafka', 'kafka.sh');

/**
 * Uses `KAFKA_BROKERS` when set; otherwise starts (or reuses) the local single-node KRaft broker
 * of infra/kafka/kafka.sh on `CAD110_KAFKA_PORT` (default 19092) and waits until it is ready.
 * @throws Error when the broker cannot start (its log tail is printed)
 */
export function ensureKafka(log: (m: string) => void = (m) => process.stderr.write(`${m}\n`)): KafkaHandle {
  if (process.env.KAFKA_BROKERS) {
    log(`[cad110] using Kafka at ${process.env.KAFKA_BROKERS}`);
    return { brokers: process.env.KAFKA_BROKERS, started: false, stop: () => undefined };
  }
  const port = process.env.CAD110_KAFKA_PORT ?? '19092';
  const wasRunning = spawnSync('bash', [SCRIPT, 'status'], { stdio: 'ignore' }).status === 0;
  const r = spawnSync('bash', [SCRIPT, 'start'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error('could not start the local Kafka broker (see above)');
  const brokers = `127.0.0.1:${port}`;
  return {
    brokers,
    started: !wasRunning,
    stop: () => {
      if (!wasRunning) spawnSync('bash', [SCRIPT, 'stop'], { stdio: ['ignore', 'inherit', 'inherit'] });
    },
  };
}
