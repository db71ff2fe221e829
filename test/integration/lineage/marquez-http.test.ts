import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { LineageEmitter } from '../../../src/lineage/lineage-emitter.js';
import { HttpLineageSink } from '../../../src/lineage/sinks/http-lineage-sink.js';
import { sampleLineageStats, T0 } from '../../helpers/lineage.js';
import { openLineageValidator } from '../../helpers/openlineage.js';

const validator = openLineageValidator();
const logger = pino({ level: 'silent' });

/** A stand-in for Marquez's POST /api/v1/lineage: records each request, answers with the status the test queues (201 by default). */
class FakeMarquez {
  readonly received: Array<{ event: Record<string, any>; authorization: string | undefined; contentType: string | undefined; status: number }> = [];
  readonly statuses: number[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer(async (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      if (req.method !== 'POST' || req.url !== '/api/v1/lineage') {
        res.writeHead(404).end();
        return;
      }
      const status = this.statuses.shift() ?? 201;
      this.received.push({ event: JSON.parse(Buffer.concat(chunks).toString('utf8')), authorization: req.headers.authorization, contentType: req.headers['content-type'], status });
      res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '' : '{"code":500,"message":"boom"}');
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v1/lineage`;
  }

  accepted() {
    return this.received.filter((r) => r.status < 300).map((r) => r.event);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('OpenLineage over HTTP to a Marquez stand-in', () => {
  const marquez = new FakeMarquez();
  before(() => marquez.start());
  after(() => marquez.stop());

  it('receives START, RUNNING and COMPLETE for each job, in order, valid, with the API key; a 500 is retried', async () => {
    marquez.received.length = 0;
    // The first delivery fails: the same event must arrive again, before anything after it.
    marquez.statuses.push(500);
    const sink = new HttpLineageSink({ url: marquez.url, apiKey: 'secret-key', timeoutMs: 2000, retries: 3, maxQueue: 100, logger, backoffMs: 10 });
    let now = T0;
    const emitter = new LineageEmitter({ namespace: 'sightline', intervalMs: 0, stats: async () => sampleLineageStats({ now }), sinks: [sink], logger });
    await emitter.start();
    now += 60_000;
    await emitter.tick();
    now += 1000;
    await emitter.stop();

    assert.deepEqual(marquez.received.map((r) => r.status), [500, ...Array(9).fill(201)]);
    assert.deepEqual(marquez.received[0]!.event, marquez.received[1]!.event);
    const events = marquez.accepted();
    for (const job of ['sightline.ingest', 'sightline.process.main', 'sightline.archive']) {
      const mine = events.filter((e) => e.job.name === job);
      assert.deepEqual(mine.map((e) => e.eventType), ['START', 'RUNNING', 'COMPLETE'], job);
      assert.equal(new Set(mine.map((e) => e.run.runId)).size, 1);
    }
    for (const r of marquez.received) {
      assert.equal(r.authorization, 'Bearer secret-key');
      assert.equal(r.contentType, 'application/json');
    }
    for (const e of events) assert.deepEqual(validator.problems(e), [], `${e.job.name} ${e.eventType}`);
    assert.deepEqual(sink.stats(), { delivered: 9, failed: 0, dropped: 0, retries: 1, queued: 0 });
  });

  it('gives up on an event after its retries or on a 4xx, counts it, and goes on with the next', async () => {
    marquez.received.length = 0;
    marquez.statuses.push(503, 503, 400);
    const sink = new HttpLineageSink({ url: marquez.url, timeoutMs: 2000, retries: 1, maxQueue: 100, logger, backoffMs: 5 });
    sink.emit({ n: 1 });
    sink.emit({ n: 2 });
    sink.emit({ n: 3 });
    await sink.flush();
    assert.deepEqual(marquez.received.map((r) => [r.event.n, r.status]), [[1, 503], [1, 503], [2, 400], [3, 201]]);
    assert.equal(marquez.received[0]!.authorization, undefined);
    assert.deepEqual(sink.stats(), { delivered: 1, failed: 2, dropped: 0, retries: 1, queued: 0 });
    await sink.close();
  });

  it('never blocks the caller: an unreachable endpoint fills the bounded queue, drops the excess, and close() returns by its deadline', async () => {
    const down = new FakeMarquez();
    await down.start();
    const url = down.url;
    await down.stop();
    const sink = new HttpLineageSink({ url, timeoutMs: 500, retries: 20, maxQueue: 5, logger, backoffMs: 1000 });
    const started = performance.now();
    for (let i = 0; i < 50; i++) sink.emit({ i });
    assert.ok(performance.now() - started < 50, 'emit returns at once');
    const closing = performance.now();
    await sink.close(300);
    assert.ok(performance.now() - closing < 2000, `close took ${performance.now() - closing} ms`);
    const s = sink.stats();
    assert.equal(s.delivered, 0);
    assert.equal(s.dropped + s.failed, 50);
    assert.ok(s.dropped >= 44, JSON.stringify(s));
  });
});
