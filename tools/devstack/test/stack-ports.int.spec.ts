/**
 * The devstack takes a service for ready only when the process it started answers /readyz on
 * the service's port (its `pid`): a CI run once took another process's answers on a reused port
 * for a service that was not there (60 s of 404s from "records"). Real service process, real
 * broker; the port is held by a small HTTP server that answers /readyz as another pid would.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { kafkaBrokers } from '@cad110/kafka';
import { uniqueId } from '@cad110/testkit';
import { Stack } from '../src';

jest.setTimeout(120_000);

describe('devstack: a port answered by another process', () => {
  let squatter: Server;
  let port: number;

  beforeAll(async () => {
    squatter = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ready', checks: {}, service: 'intake', pid: 1 }));
    });
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    port = (squatter.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
  });

  it('is not taken for the service being ready: the start fails naming the port and the pid answering it', async () => {
    const stack = new Stack({ brokers: kafkaBrokers().join(','), topicPrefix: `${uniqueId('ports')}.`, dbPrefix: uniqueId('cad110ports_'), ports: { intake: port } });
    try {
      await expect(stack.startService('intake', 60_000)).rejects.toThrow(new RegExp(`intake: port ${port} is taken \\(pid 1 answers it\\)`));
      expect(stack.services.get('intake')?.ready).toBeFalsy();
    } finally {
      await stack.stop();
    }
  });
});
