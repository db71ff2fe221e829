import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CRASH_CONFIG, crashCycles } from '../helpers/crash-cycles.js';
import { pyicebergSkipReason, readStaticTable } from '../helpers/iceberg.js';
import { startPlatformProcess } from '../helpers/platform-process.js';
import { type RunningS3, s3SkipReason, startMoto } from '../helpers/s3.js';
import { tempDir } from '../helpers/tmp.js';

const KILLS = 3;

/**
 * The kill -9 cycles of crash.test.ts with the cold tier on an object store (moto): kills land in
 * multipart and conditional writes, commits and compactions, and the tables must still open with
 * every event once.
 */
describe('crash safety under kill -9, on an object store', { skip: s3SkipReason() || pyicebergSkipReason() }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let moto: RunningS3;
  before(async () => {
    tmp = await tempDir();
    moto = await startMoto();
    await moto.createBucket('crash');
    await writeFile(join(tmp.dir, 'sightline.json'), JSON.stringify({ ...CRASH_CONFIG, cold: { ...CRASH_CONFIG.cold, objectStore: { bucket: 'crash', prefix: 'lake/' } } }));
  });
  after(async () => {
    await moto?.stop();
    await tmp?.cleanup();
  });

  it('loses nothing acknowledged, counts nothing twice, and leaves tables every reader opens', { timeout: 300_000 }, async () => {
    const env = { AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: moto.root.accessKeyId, AWS_SECRET_ACCESS_KEY: moto.root.secretAccessKey };
    const dataDir = join(tmp.dir, 'data');
    const distinct = await crashCycles(() => startPlatformProcess(['--data', dataDir, '--config', join(tmp.dir, 'sightline.json')], 30_000, env), KILLS, dataDir);
    const props = { 's3.endpoint': moto.endpoint, 's3.region': 'eu-west-1', 's3.access-key-id': moto.root.accessKeyId, 's3.secret-access-key': moto.root.secretAccessKey };
    const keys: string[] = [];
    for (let token: string | undefined, first = true; first || token; first = false) {
      const page = await moto.client().send(new ListObjectsV2Command({ Bucket: 'crash', Prefix: 'lake/', ...(token && { ContinuationToken: token }) }));
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    }
    for (const table of ['events', 'aggregates/page-views']) {
      const version = Math.max(...keys.map((k) => Number(new RegExp(`^lake/${table}/metadata/v(\\d+)\\.metadata\\.json$`).exec(k)?.[1] ?? NaN)).filter(Number.isInteger));
      const read = await readStaticTable(`s3://crash/lake/${table}/metadata/v${version}.metadata.json`, { props });
      assert.equal(read.rows, read.distinct_keys, `${table}: one row per key`);
      if (table === 'events') {
        assert.equal(read.rows, distinct.size, 'pyiceberg reads every event once');
        assert.ok(read.snapshots > KILLS, `${read.snapshots} snapshots`);
      }
    }
  });
});
