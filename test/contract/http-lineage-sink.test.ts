import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { HttpLineageSink, type HttpLineageSinkOptions } from '../../src/lineage/sinks/http-lineage-sink.js';
import { waitUntil } from '../helpers/wait.js';
import { type LineageDestination, lineageSinkContract } from './lineage-sink.contract.js';

const logger = pino({ level: 'silent' });

/**
 * An OpenLineage HTTP endpoint on a real local port: answers every POST with `status`, records the
 * bodies it accepted (2xx), and never answers for a body carrying `stall: true`.
 */
class Endpoint {
  readonly accepted: unknown[] = [];
  attempts = 0;
  url = '';
  private readonly server: Server;
  private readonly held = new Set<ServerResponse>();

  constructor(private readonly status: number) {
    this.server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      this.attempts++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { stall?: boolean };
      if (body.stall) {
        this.held.add(res);
        return;
      }
      if (this.status < 300) this.accepted.push(body);
      res.writeHead(this.status).end();
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v1/lineage`;
    return this;
  }

  stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

type SinkSettings = Pick<HttpLineageSinkOptions, 'timeoutMs' | 'retries' | 'backoffMs'>;
// Long enough that only close ends a stalled request; quick retries so a broken endpoint is given up fast.
const settings: SinkSettings = { timeoutMs: 30_000, retries: 2, backoffMs: 5 };

function destination(endpoint: Endpoint, running: boolean, over: Partial<SinkSettings> = {}): LineageDestination {
  return {
    sink: ({ maxQueue }) => new HttpLineageSink({ url: endpoint.url, maxQueue, logger, ...settings, ...over }),
    taken: async () => [...endpoint.accepted],
    teardown: async () => {
      if (running) await endpoint.stop();
    },
  };
}

lineageSinkContract('HTTP', {
  working: async () => destination(await new Endpoint(201).start(), true),
  stalls: true,
  broken: [
    { name: 'the endpoint answers 500', open: async () => destination(await new Endpoint(500).start(), true) },
    { name: 'the endpoint refuses the event with 400', open: async () => destination(await new Endpoint(400).start(), true) },
    {
      name: 'nothing listens on the port',
      open: async () => {
        const endpoint = await new Endpoint(201).start();
        await endpoint.stop();
        return destination(endpoint, false, { timeoutMs: 2000 });
      },
    },
  ],
});

describe('HTTP lineage sink, beyond the contract', () => {
  it('counts as retries only the attempts it made: a close during the backoff adds none', async (t) => {
    const endpoint = await new Endpoint(500).start();
    t.after(() => endpoint.stop());
    const sink = new HttpLineageSink({ url: endpoint.url, maxQueue: 10, logger, timeoutMs: 5000, retries: 5, backoffMs: 60_000 });
    sink.emit({ n: 0 });
    await waitUntil('the first attempt', 5000, () => endpoint.attempts === 1);
    await sink.close(50);
    assert.equal(endpoint.attempts, 1);
    assert.deepEqual(sink.stats(), { delivered: 0, failed: 1, dropped: 0, retries: 0, queued: 0 });
  });
});
