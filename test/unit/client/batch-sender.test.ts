import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { sendBatch } from '../../../src/client/batch-sender.js';
import { backoffDelayMs, retryAfterMs } from '../../../src/client/retry.js';

type Responder = (req: IncomingMessage, body: Buffer) => { status: number; body: unknown; headers?: Record<string, string> };

async function serve(responder: Responder): Promise<{ url: string; server: Server; bodies: Buffer[] }> {
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      bodies.push(req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body);
      const r = responder(req, body);
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(JSON.stringify(r.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, bodies };
}

describe('sendBatch', () => {
  it('waits as long as Retry-After asks on 429, retries 503, then succeeds', async () => {
    let calls = 0;
    const { url, server, bodies } = await serve(() => {
      calls++;
      if (calls === 1) return { status: 429, body: { code: 'SL_INGEST_BACKPRESSURE', message: 'busy' }, headers: { 'retry-after': '2' } };
      if (calls === 2) return { status: 503, body: { code: 'SL_INGEST_STOPPING', message: 'x' } };
      return { status: 200, body: { accepted: 2, rejected: [] } };
    });
    const sleeps: number[] = [];
    const outcome = await sendBatch(['{"a":1}', '{"b":2}'], { url, maxRetries: 5, gzip: true, sleep: async (ms) => void sleeps.push(ms) });
    assert.equal(outcome.accepted, 2);
    assert.equal(outcome.attempts, 3);
    assert.ok(sleeps[0]! >= 2000, `waited ${sleeps[0]} ms after Retry-After: 2`);
    assert.equal(bodies[2]!.toString(), '{"a":1}\n{"b":2}\n', 'the same batch is resent, gzip decoded to the same lines');
    server.close();
  });

  it('does not retry a 4xx other than 429', async () => {
    const { url, server } = await serve(() => ({ status: 413, body: { code: 'SL_INGEST_TOO_MANY_EVENTS', message: 'too many' } }));
    const outcome = await sendBatch(['{}'], { url, maxRetries: 5, gzip: false, sleep: async () => undefined });
    assert.equal(outcome.attempts, 1);
    assert.deepEqual(outcome.failure, { status: 413, code: 'SL_INGEST_TOO_MANY_EVENTS', message: 'too many' });
    server.close();
  });

  it('retries connection errors and gives up after maxRetries', async () => {
    const { url, server } = await serve(() => ({ status: 200, body: {} }));
    await new Promise<void>((r) => server.close(() => r()));
    const retries: string[] = [];
    const outcome = await sendBatch(['{}'], { url, maxRetries: 2, gzip: false, sleep: async () => undefined, onRetry: (r) => void retries.push(r.reason) });
    assert.equal(outcome.attempts, 3);
    assert.equal(retries.length, 2);
    assert.match(retries[0]!, /^connection/);
    assert.equal(outcome.failure?.code, 'SL_CLIENT_REQUEST_FAILED');
  });

  it('backs off exponentially with full jitter under a cap', () => {
    assert.equal(backoffDelayMs(0, 200, 10_000, () => 0.999), 199);
    assert.equal(backoffDelayMs(3, 200, 10_000, () => 0.5), 800);
    assert.equal(backoffDelayMs(20, 200, 10_000, () => 0.5), 5000);
    assert.equal(retryAfterMs('3'), 3000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(retryAfterMs(null), undefined);
  });
});
