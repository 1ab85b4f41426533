import type { Express } from 'express';
import request from 'supertest';
import { bearer, uniqueId, useTestAuthKeys } from '@cad110/testkit';
import { dropDatabase } from '@cad110/db';
import { createRuntime } from '@cad110/runtime';
import { createServer } from '../src/server';

export type IntakeTestRuntime = Awaited<ReturnType<typeof createRuntime>>;

/**
 * Intake on a fresh PostgreSQL database (random name) and a random Kafka topic prefix on the
 * real broker. `stop()` disconnects and drops the database.
 */
export async function startIntake(): Promise<{ app: Express; rt: IntakeTestRuntime; server: ReturnType<typeof createServer>; stop: () => Promise<void> }> {
  useTestAuthKeys();
  process.env.CAD110_DB_PREFIX = uniqueId('cad110t_');
  process.env.KAFKA_TOPIC_PREFIX = `${uniqueId('t')}.`;
  const rt = await createRuntime({ name: 'intake', serviceDir: `${__dirname}/..` });
  const server = createServer(rt);
  return {
    app: server.app,
    rt,
    server,
    stop: async () => {
      await rt.producer.disconnect();
      await rt.pool.end();
      await dropDatabase(rt.databaseUrl);
    },
  };
}

export const callTaker = () => bearer('call_taker');

/** Creates a call through the API; returns its id and version. */
export async function createCall(app: Express, body: Record<string, unknown> = { channel: '110' }): Promise<{ callId: string; version: number }> {
  const res = await request(app).post('/calls').set('authorization', callTaker()).send(body);
  if (res.status !== 201) throw new Error(`create failed ${res.status} ${JSON.stringify(res.body)}`);
  return { callId: res.body.callId, version: res.body.version };
}

/** POST /calls/{id}/<command> with If-Match. */
export function post(app: Express, callId: string, command: string, body: unknown, version: number | string | undefined, auth = callTaker()) {
  const r = request(app).post(`/calls/${callId}/${command}`).set('authorization', auth);
  if (version !== undefined) r.set('if-match', typeof version === 'number' ? `"${version}"` : version);
  return r.send(body as object);
}
