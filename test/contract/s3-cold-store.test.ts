import assert from 'node:assert/strict';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { S3ColdStore } from '../../src/store/cold/s3/s3-cold-store.js';
import { type RunningS3, s3SkipReason, startMoto, startVersityGw } from '../helpers/s3.js';
import { tempDir } from '../helpers/tmp.js';
import { coldStoreContract } from './cold-store.contract.js';

const skip = s3SkipReason();

/** A store on `server`'s bucket, with 5 MiB parts so the contract's 12 MiB file goes up in three. */
async function storeOn(server: RunningS3, bucket: string, prefix: string): Promise<{ store: S3ColdStore; teardown: () => Promise<void> }> {
  const staging = await tempDir('sightline-s3-staging-');
  await server.createBucket(bucket).catch(() => undefined);
  const store = await S3ColdStore.open({
    objectStore: { bucket, prefix, endpoint: server.endpoint, ...server.root, ...(server.caPath && { caPath: server.caPath }) },
    stagingDir: staging.dir,
    partBytes: 5 * 1024 * 1024,
  });
  return { store, teardown: async () => (store.close(), staging.cleanup()) };
}

describe('S3 cold store', { skip }, () => {
  let versity: RunningS3;
  let moto: RunningS3;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    dir = await tempDir('sightline-s3-');
    [versity, moto] = await Promise.all([startVersityGw(dir.dir), startMoto()]);
  });
  after(async () => {
    await Promise.all([versity?.stop(), moto?.stop()]);
    await dir?.cleanup();
  });

  coldStoreContract('S3 on Versity Gateway over TLS, with a prefix', () => storeOn(versity, 'lake', 'sightline/'));
  coldStoreContract('S3 on moto, no prefix', () => storeOn(moto, 'lake', ''));

  it('uploads a large file in parts, under the prefix', async () => {
    const { store, teardown } = await storeOn(versity, 'parts', 'p/');
    try {
      const staged = store.stagingPath('big');
      await writeFile(staged, Buffer.alloc(11 * 1024 * 1024, 7));
      await store.put('events/big.parquet', staged);
      const head = await versity.client().send(new HeadObjectCommand({ Bucket: 'parts', Key: 'p/events/big.parquet' }));
      // A multipart upload's ETag is the MD5 of the parts' MD5s, followed by their count.
      assert.match(head.ETag ?? '', /-3"?$/);
      assert.equal(store.location('events/big.parquet'), 's3://parts/p/events/big.parquet');
      assert.equal(store.root, 's3://parts/p/');
    } finally {
      await teardown();
    }
  });

  it('fails to open, with a code, on a missing bucket, a wrong key and an untrusted certificate', async () => {
    const staging = join(dir.dir, 'staging-open');
    await assert.rejects(
      S3ColdStore.open({ objectStore: { bucket: 'no-such-bucket', prefix: '', endpoint: versity.endpoint, ...versity.root, caPath: versity.caPath! }, stagingDir: staging, maxAttempts: 1 }),
      (err: Error & { code?: string }) => err.code === 'SL_CONFIG_INVALID' && /no-such-bucket/.test(err.message),
    );
    await versity.createBucket('keys').catch(() => undefined);
    await assert.rejects(
      S3ColdStore.open({ objectStore: { bucket: 'keys', prefix: '', endpoint: versity.endpoint, accessKeyId: 'nobody', secretAccessKey: 'wrong', caPath: versity.caPath! }, stagingDir: staging, maxAttempts: 1 }),
      (err: Error & { code?: string }) => err.code === 'SL_COLD_ACCESS_DENIED' && /keys/.test(err.message),
    );
    await assert.rejects(
      S3ColdStore.open({ objectStore: { bucket: 'keys', prefix: '', endpoint: versity.endpoint, ...versity.root }, stagingDir: staging, maxAttempts: 1 }),
      (err: Error & { code?: string }) => err.code === 'SL_COLD_UNAVAILABLE' && /certificate/i.test(err.message),
    );
  });
});
