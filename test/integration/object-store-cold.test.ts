import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { pyarrowSkipReason, readColdStoreWithPyarrow } from '../helpers/pyarrow.js';
import { type Credentials, type RunningS3, s3SkipReason, startVersityGw } from '../helpers/s3.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/wait.js';

const DAY1 = Date.UTC(2026, 10, 20, 10, 0, 0);
const DAY2 = Date.UTC(2026, 10, 21, 10, 0, 0);
const WRITER: Credentials = { accessKeyId: 'sightline-serve', secretAccessKey: 'serve-secret-0123456789' };
const READER: Credentials = { accessKeyId: 'sightline-reader', secretAccessKey: 'reader-secret-0123456789' };

/**
 * A bucket policy that grants each principal what its role needs under `lake/`: the serving node
 * writes and rewrites files; a reader (an analyst's engine) only lists and reads them.
 */
function lakePolicy(bucket: string): object {
  const objects = `arn:aws:s3:::${bucket}/lake/*`;
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { AWS: [WRITER.accessKeyId, READER.accessKeyId] }, Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${bucket}`] },
      { Effect: 'Allow', Principal: { AWS: [WRITER.accessKeyId, READER.accessKeyId] }, Action: ['s3:GetObject'], Resource: [objects] },
      { Effect: 'Allow', Principal: { AWS: [WRITER.accessKeyId] }, Action: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], Resource: [objects] },
    ],
  };
}

describe('the cold tier on an object store over TLS, with its own credentials', { skip: s3SkipReason() || pyarrowSkipReason() }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let s3: RunningS3;
  let platform: RunningPlatform | undefined;

  const configFor = (creds: Credentials, dataDir: string) =>
    buildConfig({
      dataDir,
      server: { port: 0 },
      cold: { rollRows: 20, rollInterval: '1s', objectStore: { bucket: 'events-lake', prefix: 'lake', endpoint: s3.endpoint, caFile: s3.caPath, ...creds } },
      contracts: { unknown: 'accept' },
      probe: { interval: '0s' },
    });

  /** Downloads every object under lake/ into a folder, as `cold/` would hold them, and reads it with pyarrow. */
  async function readLake(): Promise<any> {
    const root = join(tmp.dir, `lake-copy-${Date.now()}`);
    const client = s3.client();
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'events-lake', Prefix: 'lake/' }));
    for (const object of listed.Contents ?? []) {
      const body = await client.send(new GetObjectCommand({ Bucket: 'events-lake', Key: object.Key! }));
      const path = join(root, object.Key!.slice('lake/'.length));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await body.Body!.transformToByteArray());
    }
    await mkdir(root, { recursive: true });
    return readColdStoreWithPyarrow(root);
  }

  before(async () => {
    tmp = await tempDir();
    s3 = await startVersityGw(join(tmp.dir, 's3'));
    await s3.createBucket('events-lake');
    await s3.addUser(WRITER);
    await s3.addUser(READER);
    await s3.setPolicy('events-lake', lakePolicy('events-lake'));
  });
  after(async () => {
    await platform?.stop().catch(() => undefined);
    await s3?.stop();
    await tmp?.cleanup();
  });

  it('exports, reads back and erases through the object store', { timeout: 90_000 }, async () => {
    platform = await startPlatform(configFor(WRITER, join(tmp.dir, 'data')), pino({ level: 'silent' }));
    const url = platform.url;
    const events = [];
    for (let i = 0; i < 30; i++) for (const user of ['u1', 'u2']) events.push(pageView(`${user}-${i}`, (i < 15 ? DAY1 : DAY2) + i * 60_000 + (user === 'u2' ? 1000 : 0), '/a', user));
    assert.equal((await postEvents(url, events)).body.accepted, 60);
    await waitForBacklogZero(url);
    await eventually(async () => ((await readLake()).events?.rows ?? 0) === 60, 'every event in the bucket');
    const status = (await getJson(`${url}/v1/status`)).body;
    assert.equal(status.cold_store.root, 's3://events-lake/lake/');
    assert.ok(status.cold_store.files >= 2, JSON.stringify(status.cold_store));

    const requested = await fetch(`${url}/v1/erasures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_id: 'u1' }) });
    const id = ((await requested.json()) as { id: string }).id;
    let view: any;
    await eventually(async () => (view = (await getJson(`${url}/v1/erasures/${id}`)).body).state !== 'pending', 'the erasure applied');
    assert.equal(view.state, 'done', JSON.stringify(view));
    assert.equal(view.results[0].counts.cold.rows, 30);
    assert.deepEqual((await readLake()).events.user_ids, { u2: 30 });
    await platform.stop();
    platform = undefined;
  });

  it('a node holding read-only credentials is refused with a code, and loses nothing: the next start with its own credentials exports once', { timeout: 90_000 }, async () => {
    const dataDir = join(tmp.dir, 'data-2');
    platform = await startPlatform(configFor(READER, dataDir), pino({ level: 'silent' }));
    const url = platform.url;
    const events = Array.from({ length: 20 }, (_, i) => pageView(`r-${i}`, DAY1 + i * 1000, '/b', 'u9'));
    assert.equal((await postEvents(url, events)).body.accepted, 20);
    await waitForBacklogZero(url);
    let cold: any;
    await eventually(async () => Boolean((cold = (await getJson(`${url}/v1/status`)).body.cold_store).last_error), 'the export refused');
    assert.match(cold.last_error, /refused uploading events\/dt=2026-11-20\/part-.*AccessDenied/);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics, /sightline_errors_total\{[^}]*code="SL_COLD_ACCESS_DENIED"[^}]*\} [1-9]/);
    await platform.stop().catch(() => undefined);
    platform = undefined;

    const before = (await readLake()).events?.user_ids?.u9 ?? 0;
    assert.equal(before, 0, 'nothing of the refused export is visible');
    platform = await startPlatform(configFor(WRITER, dataDir), pino({ level: 'silent' }));
    await eventually(async () => ((await readLake()).events?.user_ids?.u9 ?? 0) === 20, "the refused rows exported by the writer's start");
    await platform.stop();
    platform = undefined;
    assert.equal((await readLake()).events.user_ids.u9, 20, 'exactly once');
  });

  it('refuses to start, with a code, when the endpoint certificate is not trusted', async () => {
    const config = configFor(WRITER, join(tmp.dir, 'data-3'));
    delete config.cold.objectStore!.caPath;
    await assert.rejects(startPlatform(config, pino({ level: 'silent' })), (err: Error & { code?: string }) => err.code === 'SL_COLD_UNAVAILABLE' && /certificate/i.test(err.message));
  });
});
