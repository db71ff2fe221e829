import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CRASH_CONFIG, crashCycles } from '../helpers/crash-cycles.js';
import { queryDuckDb } from '../helpers/duckdb.js';
import { startPlatformProcess } from '../helpers/platform-process.js';
import { latestMetadata, liveFiles, pyicebergSkipReason, readStaticTable } from '../helpers/iceberg.js';
import { tempDir } from '../helpers/tmp.js';

const KILLS = 5;

/**
 * kill -9 the platform again and again while a client streams batches (test/helpers/crash-cycles.ts).
 * In the end every event must be in the hot store and in the events table exactly once, and the
 * page-view counts must equal the number of distinct events: no acknowledged event lost, none
 * counted twice. test/e2e/crash-object-store.test.ts does the same on an object store.
 */
describe('crash safety under kill -9', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const dataDir = () => join(tmp.dir, 'data');

  before(async () => {
    tmp = await tempDir();
    await writeFile(join(tmp.dir, 'sightline.json'), JSON.stringify(CRASH_CONFIG));
  });
  after(async () => {
    await tmp.cleanup();
  });

  it('loses nothing acknowledged and counts nothing twice', async () => {
    const distinct = await crashCycles(() => startPlatformProcess(['--data', dataDir(), '--config', join(tmp.dir, 'sightline.json')]), KILLS, dataDir());
    // The table, not the folder, is the truth: files a compaction replaced stay until their snapshot expires.
    const metadata = await latestMetadata(join(dataDir(), 'cold', 'events'));
    const ids = await queryDuckDb(':memory:', `SELECT id FROM read_parquet([${(await liveFiles(metadata)).map((f) => `'${f}'`).join(', ')}])`);
    assert.equal(ids.length, distinct.size, 'every event in the table exactly once');
    assert.equal(new Set(ids.map((r) => String(r.id))).size, distinct.size);
    for (const { id } of ids) assert.ok(distinct.has(String(id)));
    if (!pyicebergSkipReason()) {
      const table = await readStaticTable(metadata);
      assert.equal(table.rows, distinct.size, 'pyiceberg opens the table and reads every event once');
      assert.equal(table.distinct_keys, distinct.size);
      assert.ok(table.snapshots > KILLS, `${table.snapshots} snapshots`);
    }
  });
});
