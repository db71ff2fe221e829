import assert from 'node:assert/strict';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { request, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { S3ColdStore } from '../../src/store/cold/s3/s3-cold-store.js';
import { type RunningS3, s3SkipReason, startMoto } from '../helpers/s3.js';
import { tempDir } from '../helpers/tmp.js';

const skip = s3SkipReason();

/**
 * A proxy in front of the S3 server that answers chosen requests itself (a 503 SlowDown, as S3
 * does when it throttles) and forwards the rest, counting what it saw.
 */
class FaultyProxy {
  seen: string[] = [];
  fail: (req: IncomingMessage, n: number) => boolean = () => false;
  private server: Server | undefined;
  url = '';

  async start(target: string): Promise<void> {
    const to = new URL(target);
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const n = this.seen.push(`${req.method} ${req.url}`);
      if (this.fail(req, n)) {
        req.resume();
        req.once('end', () => {
          res.writeHead(503, { 'content-type': 'application/xml' });
          res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
        });
        return;
      }
      const upstream = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.once('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((done) => this.server!.listen(0, '127.0.0.1', () => done()));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }
}

describe('S3 cold store under faults', { skip }, () => {
  let moto: RunningS3;
  const proxy = new FaultyProxy();
  let staging: Awaited<ReturnType<typeof tempDir>>;
  let store: S3ColdStore;
  before(async () => {
    moto = await startMoto();
    await moto.createBucket('lake');
    await proxy.start(moto.endpoint);
    staging = await tempDir();
    store = await S3ColdStore.open({ objectStore: { bucket: 'lake', prefix: 'x/', endpoint: proxy.url, ...moto.root }, stagingDir: staging.dir, partBytes: 5 * 1024 * 1024, maxAttempts: 4 });
  });
  after(async () => {
    store?.close();
    await proxy.stop();
    await moto?.stop();
    await staging?.cleanup();
  });

  it('retries throttling and 5xx answers with backoff and then succeeds', async () => {
    proxy.seen = [];
    let failures = 0;
    proxy.fail = (req) => req.method === 'PUT' && failures++ < 2;
    const staged = store.stagingPath('a');
    await writeFile(staged, 'PAR1-retried');
    await store.put('events/a.parquet', staged);
    assert.equal(failures, 3, 'two refused, the third forwarded');
    assert.equal(proxy.seen.filter((r) => r.startsWith('PUT /lake/x/events/a.parquet')).length, 3);
    assert.equal((await store.read('events/a.parquet'))?.toString(), 'PAR1-retried');
  });

  it('gives up after its attempts with a retryable code, and leaves nothing of a failed multipart upload', async () => {
    // Every part after the first fails, on every attempt.
    proxy.fail = (req) => req.method === 'PUT' && /partNumber=(?!1\b)\d+/.test(req.url ?? '');
    const staged = store.stagingPath('big');
    await writeFile(staged, Buffer.alloc(12 * 1024 * 1024, 1));
    await assert.rejects(store.put('events/big.parquet', staged), (err: Error & { code?: string; retryable?: boolean }) => {
      assert.equal(err.code, 'SL_COLD_UNAVAILABLE', err.message);
      assert.equal(err.retryable, true);
      assert.match(err.message, /events\/big\.parquet/);
      return true;
    });
    proxy.fail = () => false;
    assert.deepEqual((await store.list('events/')).map((o) => o.key), ['events/a.parquet'], 'no part of the failed file is visible');
    const uploads = await moto.client().send(new ListMultipartUploadsCommand({ Bucket: 'lake' }));
    assert.deepEqual(uploads.Uploads ?? [], [], 'the failed upload was aborted');
    // The staged file stays, so the export that failed can try again.
    await store.put('events/big.parquet', staged);
    assert.equal((await store.list('events/big')).length, 1);
  });
});
