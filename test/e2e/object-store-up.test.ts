import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { startPlatformProcess } from '../helpers/platform-process.js';
import { pyarrowSkipReason, readColdStoreWithPyarrow } from '../helpers/pyarrow.js';
import { pyicebergSkipReason, readCatalog, readStaticTable } from '../helpers/iceberg.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckdbExtensionDir } from '../../src/platform/key-file.js';
import { type RunningS3, s3SkipReason, startMoto } from '../helpers/s3.js';
import { tempDir } from '../helpers/tmp.js';

describe('sightline up with the cold tier on an object store named by the AWS variables (moto)', { skip: s3SkipReason() || pyarrowSkipReason() || pyicebergSkipReason() }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let moto: RunningS3;
  before(async () => {
    tmp = await tempDir();
    moto = await startMoto();
    await moto.createBucket('analytics');
  });
  after(async () => {
    await moto?.stop();
    await tmp?.cleanup();
  });

  it('exports every event to the bucket and the last of them at stop, as Iceberg tables three readers read', { timeout: 180_000 }, async () => {
    const config = join(tmp.dir, 'sightline.yaml');
    // Only the bucket in the file: endpoint, region and keys come the way every AWS tool takes them.
    await writeFile(config, ['contracts: { unknown: accept }', 'probe: { interval: 0s }', 'cold:', '  rollInterval: 1h', '  objectStore: { bucket: analytics, prefix: sightline/ }', ''].join('\n'));
    const platform = await startPlatformProcess(['--config', config, '--data', join(tmp.dir, 'data')], 30_000, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: moto.root.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.root.secretAccessKey,
    });
    let stopped = false;
    try {
      assert.match(platform.output(), /cold tier on the object store s3:\/\/analytics\/sightline\//);
      const events = Array.from({ length: 100 }, (_, i) => pageView(`e-${i}`, Date.UTC(2026, 10, 26, 9, 0, i), i % 2 ? '/a' : '/b'));
      assert.equal((await postEvents(platform.url, events)).body.accepted, 100);
      await waitForBacklogZero(platform.url);
      // The roll interval is an hour: the files are written by the stop's last export.
      assert.equal(await platform.stop(), 0, platform.output());
      stopped = true;
    } finally {
      if (!stopped) await platform.kill9();
    }
    const client = moto.client();
    const listed = await client.send(new ListObjectsV2Command({ Bucket: 'analytics', Prefix: 'sightline/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key!);
    assert.ok(keys.some((k) => /^sightline\/events\/dt=2026-11-26\/part-c\d{12}-c\d{12}-w[0-9a-f]{8}\.parquet$/.test(k)), keys.join(', '));
    const copy = join(tmp.dir, 'copy');
    for (const key of keys) {
      const path = join(copy, key.slice('sightline/'.length));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await (await client.send(new GetObjectCommand({ Bucket: 'analytics', Key: key }))).Body!.transformToByteArray());
    }
    const read = readColdStoreWithPyarrow(copy);
    assert.equal(read.events.rows, 100);
    assert.equal(read.events.distinct_ids, 100);

    // The Iceberg tables on the bucket: pyiceberg from the metadata file and through the catalog
    // of a platform started again on the same bucket, and DuckDB's own Iceberg reader.
    const version = Math.max(...keys.map((k) => Number(/^sightline\/events\/metadata\/v(\d+)\.metadata\.json$/.exec(k)?.[1] ?? NaN)).filter(Number.isInteger));
    const metadata = `s3://analytics/sightline/events/metadata/v${version}.metadata.json`;
    const s3Props = { 's3.endpoint': moto.endpoint, 's3.region': 'eu-west-1', 's3.access-key-id': moto.root.accessKeyId, 's3.secret-access-key': moto.root.secretAccessKey };
    const fromFile = await readStaticTable(metadata, { props: s3Props });
    assert.equal(fromFile.rows, 100);
    assert.equal(fromFile.distinct_keys, 100);
    const again = await startPlatformProcess(['--config', config, '--data', join(tmp.dir, 'data')], 30_000, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: moto.root.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.root.secretAccessKey,
    });
    try {
      // The catalog hands out the endpoint and region, never keys: the reader brings its own.
      const viaCatalog = await readCatalog(`${again.url}/iceberg`, undefined, { props: { 's3.access-key-id': moto.root.accessKeyId, 's3.secret-access-key': moto.root.secretAccessKey } });
      assert.equal(viaCatalog.tables.events?.rows, 100, JSON.stringify(Object.keys(viaCatalog.tables)));
    } finally {
      assert.equal(await again.stop(), 0);
    }
    const instance = await DuckDBInstance.create(':memory:', { extension_directory: duckdbExtensionDir(), autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
    const conn = await instance.connect();
    try {
      await conn.run('LOAD httpfs; LOAD iceberg;');
      await conn.run(`CREATE SECRET moto (TYPE s3, KEY_ID '${moto.root.accessKeyId}', SECRET '${moto.root.secretAccessKey}', REGION 'eu-west-1', ENDPOINT '${new URL(moto.endpoint).host}', URL_STYLE 'path', USE_SSL false)`);
      const counted = await conn.runAndReadAll(`SELECT count(*), count(DISTINCT id) FROM iceberg_scan('${metadata}')`);
      assert.deepEqual(counted.getRows()[0]!.map(Number), [100, 100]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
  });
});
