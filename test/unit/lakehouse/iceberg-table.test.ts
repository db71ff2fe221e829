import assert from 'node:assert/strict';
import { rm, utimes, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { ColdStore } from '../../../src/core/ports/cold-store.js';
import type { DataFile } from '../../../src/lakehouse/iceberg/avro-manifests.js';
import { IcebergTable } from '../../../src/lakehouse/iceberg/iceberg-table.js';
import { EVENTS_TABLE } from '../../../src/lakehouse/iceberg/table-spec.js';
import { LocalColdStore } from '../../../src/store/cold/local/local-cold-store.js';
import { tempDir } from '../../helpers/tmp.js';

const HOUR = 3_600_000;

function dataFile(store: ColdStore, key: string, rows: number): DataFile {
  return { path: store.location(key), recordCount: rows, fileSizeInBytes: 4, partitionDay: 20_000, valueCounts: new Map(), nullValueCounts: new Map(), lowerBounds: new Map(), upperBounds: new Map() };
}

async function appendFile(table: IcebergTable, store: ColdStore, key: string, rows: number): Promise<void> {
  const staged = store.stagingPath(key.replaceAll('/', '_'));
  await writeFile(staged, 'PAR1');
  await store.put(key, staged);
  await table.commit(() => ({ operation: 'append', added: [dataFile(store, key, rows)], removed: new Set(), summary: {} }));
}

describe('IcebergTable commits and cleanups', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let store: LocalColdStore;
  before(async () => {
    tmp = await tempDir();
    store = await LocalColdStore.open(tmp.dir);
  });
  after(async () => tmp.cleanup());

  it('a commit whose create-if-absent was answered "exists" for its own retried write still wins, and keeps its files', async () => {
    // What the S3 client does when the answer to a stored PUT is lost: it sends it again, and the
    // retry is refused with 412 because the first attempt is there.
    const retried: ColdStore = Object.create(store, {
      write: {
        value: async (key: string, body: Uint8Array, options?: { ifAbsent?: boolean }) => {
          const stored = await store.write(key, body, options);
          return options?.ifAbsent && key.endsWith('.metadata.json') ? false : stored;
        },
      },
    });
    const table = new IcebergTable(retried, 'retried', EVENTS_TABLE);
    await appendFile(table, store, 'retried/dt=2024-10-04/a.parquet', 5);
    const loaded = await table.load();
    assert.equal(loaded?.version, 1, 'one version, not a retry on top');
    assert.deepEqual((await table.liveFiles(loaded!.metadata)).map((f) => f.recordCount), [5]);
    // Its manifest list and manifest are there: the table opens.
    assert.equal((await table.manifestsOf(loaded!.metadata.snapshots[0]!)).length, 1);
  });

  it('of writers racing from one version, each commit lands exactly once', async () => {
    const table = new IcebergTable(store, 'raced', EVENTS_TABLE);
    await Promise.all(Array.from({ length: 6 }, (_, i) => appendFile(new IcebergTable(store, 'raced', EVENTS_TABLE), store, `raced/dt=2024-10-04/f${i}.parquet`, 1)));
    const loaded = await table.load();
    assert.equal(loaded?.version, 6);
    assert.equal((await table.liveFiles(loaded!.metadata)).length, 6);
  });

  it('merges manifests past 64 and keeps the last 100 metadata versions, losing no file', async () => {
    const table = new IcebergTable(store, 'many', EVENTS_TABLE);
    for (let i = 0; i < 103; i++) await appendFile(table, store, `many/dt=2024-10-04/f${i}.parquet`, 1);
    const loaded = await table.load();
    assert.equal(loaded?.version, 103);
    const current = loaded!.metadata.snapshots.find((s) => s['snapshot-id'] === loaded!.metadata['current-snapshot-id'])!;
    const manifests = await table.manifestsOf(current);
    assert.ok(manifests.length <= 64, `${manifests.length} manifests`);
    const live = await table.liveFiles(loaded!.metadata);
    assert.equal(live.length, 103);
    assert.equal(new Set(live.map((f) => f.path)).size, 103);
    const versions = (await store.list('many/metadata/v')).map((o) => o.key).filter((k) => k.endsWith('.metadata.json'));
    assert.equal(versions.length, 101, 'the current version and the 100 its log names');
    assert.ok(!versions.includes('many/metadata/v1.metadata.json'));
    assert.equal(loaded!.metadata['metadata-log'].length, 100);
  });

  it('removes old unnamed files, never a named one or a young one', async () => {
    const table = new IcebergTable(store, 'orphans', EVENTS_TABLE, () => Date.now() + 2 * HOUR);
    await appendFile(table, store, 'orphans/dt=2024-10-04/named.parquet', 1);
    await writeFile(store.location('orphans/dt=2024-10-04/left.parquet'), 'PAR1');
    const removed = await table.removeOrphans(HOUR);
    assert.deepEqual(removed, ['orphans/dt=2024-10-04/left.parquet']);
    assert.equal((await store.list('orphans/dt=')).length, 1);
  });

  it('deletes nothing when a file it must keep cannot be read (a cleanup fails closed)', async () => {
    const table = new IcebergTable(store, 'unreadable', EVENTS_TABLE, () => Date.now() + 2 * HOUR);
    await appendFile(table, store, 'unreadable/dt=2024-10-04/a.parquet', 1);
    const loaded = await table.load();
    const manifest = (await table.manifestsOf(loaded!.metadata.snapshots[0]!))[0]!;
    await rm(manifest.path);
    // A fresh reader: nothing cached.
    const again = new IcebergTable(store, 'unreadable', EVENTS_TABLE, () => Date.now() + 2 * HOUR);
    await assert.rejects(again.removeOrphans(HOUR), /missing/);
    assert.equal((await store.list('unreadable/dt=')).length, 1, 'the data file is still there');
  });

  it('leaves a table that names another location alone (copied or moved), rather than deleting it as orphans', async () => {
    const table = new IcebergTable(store, 'moved', EVENTS_TABLE, () => Date.now() + 2 * HOUR);
    await appendFile(table, store, 'moved/dt=2024-10-04/a.parquet', 1);
    const loaded = await table.load();
    await store.write(`moved/metadata/v${loaded!.version}.metadata.json`, Buffer.from(JSON.stringify({ ...loaded!.metadata, location: '/elsewhere/moved' })));
    const old = new Date(Date.now() - 3 * HOUR);
    await utimes(store.location('moved/dt=2024-10-04/a.parquet'), old, old);
    // Another process (no version of it cached) finds the table naming another place.
    await assert.rejects(new IcebergTable(store, 'moved', EVENTS_TABLE, () => Date.now() + 2 * HOUR).removeOrphans(HOUR), /not removed/);
    assert.equal((await store.list('moved/dt=')).length, 1);
  });
});
