import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { startPlatform } from '../../src/platform/start-platform.js';
import { pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { latestMetadata, pyicebergSkipReason, readStaticTable } from '../helpers/iceberg.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/wait.js';

/**
 * A data folder from before the cold tier was Iceberg tables: Parquet files that exports wrote,
 * recorded as done in the hot store, and no table metadata. Made here from a current folder by
 * removing the tables' metadata and the record that adoption ran.
 */
describe('a data folder from before the tables', { skip: pyicebergSkipReason() }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const config = () =>
    buildConfig({ dataDir: join(tmp.dir, 'data'), server: { port: 0 }, cold: { rollRows: 20, rollInterval: '500ms' }, contracts: { unknown: 'accept' }, probe: { interval: '0s' } });
  before(async () => {
    tmp = await tempDir();
  });
  after(async () => tmp?.cleanup());

  it('has its exported files added to the tables once at the first start, and nothing twice after', { timeout: 120_000 }, async () => {
    let platform = await startPlatform(config(), pino({ level: 'silent' }));
    const events = Array.from({ length: 60 }, (_, i) => pageView(`old-${i}`, Date.UTC(2026, 10, 20 + Math.floor(i / 20), 10, i), '/a', 'u1'));
    for (let i = 0; i < 60; i += 20) {
      await postEvents(platform.url, events.slice(i, i + 20));
      await new Promise((r) => setTimeout(r, 800));
    }
    await waitForBacklogZero(platform.url);
    await platform.stop();
    // What an earlier version left: the files and their export records, no tables.
    const cold = join(tmp.dir, 'data', 'cold');
    await rm(join(cold, 'events', 'metadata'), { recursive: true });
    await rm(join(cold, 'aggregates', 'page-views', 'metadata'), { recursive: true, force: true });
    const instance = await DuckDBInstance.create(join(tmp.dir, 'data', 'hot', 'sightline.duckdb'));
    const conn = await instance.connect();
    await conn.run('DROP TABLE sl_cold_adoption');
    conn.closeSync();
    instance.closeSync();

    platform = await startPlatform(config(), pino({ level: 'silent' }));
    await eventually(async () => (await readStaticTable(await latestMetadata(join(cold, 'events')))).rows === 60, 'the old files in the table');
    // New events after the adoption are exported as usual, and a restart adopts nothing again.
    await postEvents(platform.url, [pageView('new-0', Date.UTC(2026, 10, 23, 10, 0), '/b', 'u2')]);
    await waitForBacklogZero(platform.url);
    await eventually(async () => (await readStaticTable(await latestMetadata(join(cold, 'events')))).rows === 61, 'the new event in the table');
    await platform.stop();
    platform = await startPlatform(config(), pino({ level: 'silent' }));
    await platform.stop();
    const table = await readStaticTable(await latestMetadata(join(cold, 'events')));
    assert.equal(table.rows, 61);
    assert.equal(table.distinct_keys, 61);
  });
});
