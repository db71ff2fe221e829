import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { type IcebergTableReport, latestMetadata, pyicebergSkipReason, readStaticTable, runLifecycle } from '../helpers/iceberg.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/wait.js';

const DAY = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY) * DAY;
const day = (ago: number): string => new Date(TODAY - ago * DAY).toISOString().slice(0, 10);
/** `n` page views at noon of the day `ago` days back, a minute apart. */
const viewsOf = (ago: number, n: number, tag: string) => Array.from({ length: n }, (_, i) => pageView(`${tag}-${i}`, TODAY - ago * DAY + 12 * 3_600_000 + i * 60_000, i % 2 ? '/a' : '/b', `u${i % 3}`));

const files = async (dir: string): Promise<string[]> => readdir(dir).then((f) => f.sort(), () => []);

describe('the lakehouse lifecycle on a test clock', { skip: pyicebergSkipReason() }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let cold: string;
  let now = Date.now();
  const table = async (): Promise<IcebergTableReport> => readStaticTable(await latestMetadata(join(cold, 'events')), { day: day(5) });

  before(async () => {
    tmp = await tempDir();
    cold = join(tmp.dir, 'data', 'cold');
    const config = buildConfig({
      dataDir: join(tmp.dir, 'data'),
      server: { port: 0 },
      cold: { rollRows: 1_000_000, rollInterval: '1s' },
      contracts: { unknown: 'accept' },
      probe: { interval: '0s' },
      lifecycle: {
        interval: '1h',
        snapshotRetention: '1d',
        tier: { prefix: 'tier/' },
        tables: {
          events: { hotRetention: '3d', coldRetention: '30d', tierAfter: '10d', compactBelow: '1MiB', compactMinFiles: 3 },
          'page-views': { hotRetention: '3d' },
        },
      },
    });
    platform = await startPlatform(config, pino({ level: 'silent' }), { clock: () => now });
    // In event-time order (one stream): 40 days back, 15 days back, then 5 days back in three exports, then today.
    const batches = [viewsOf(40, 20, 'd40'), viewsOf(15, 20, 'd15'), viewsOf(5, 10, 'd5a'), viewsOf(5, 10, 'd5b').map((e) => ({ ...e, timestamp: (e.timestamp as number) + 20 * 60_000 })), viewsOf(5, 10, 'd5c').map((e) => ({ ...e, timestamp: (e.timestamp as number) + 40 * 60_000 })), [pageView('today-0', Date.now() - 3_600_000, '/a', 'u1')]];
    for (const batch of batches) {
      assert.equal((await postEvents(platform.url, batch)).body.accepted, batch.length);
      await waitForBacklogZero(platform.url);
      // One export per batch: the roll interval is a second.
      await new Promise((r) => setTimeout(r, 1500));
    }
    await eventually(async () => (await table()).rows === 71, 'every event in the table', 90_000);
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  it('compacts, tiers and applies retention in new snapshots a reader sees whole, and trims the hot store', { timeout: 120_000 }, async () => {
    const before = await table();
    assert.equal(before.day_files, 3, 'three small files for the day 5 days back');
    assert.equal((await files(join(cold, 'events', `dt=${day(40)}`))).length, 1, 'one export wrote the day 40 back');

    const report = await runLifecycle(platform.url);
    assert.equal(report.jobs.compaction.files, 3);
    assert.equal(report.jobs.compaction.rows, 30);
    assert.equal(report.jobs.tiering.files, 2, 'the days 40 and 15 back');
    assert.equal(report.jobs['cold-retention'].rows, 20, 'the day 40 back');
    assert.equal(report.jobs['snapshot-expiry'].snapshots, 0, 'every snapshot is younger than a day');
    assert.ok(report.jobs['hot-retention'].rows >= 70, `hot retention dropped ${report.jobs['hot-retention'].rows} rows`);

    const after = await table();
    assert.equal(after.rows, 51, 'the day 40 back is gone; nothing else');
    assert.equal(after.distinct_keys, 51, 'no row twice');
    assert.equal(after.day_files, 1, 'the day 5 back is one file now');
    assert.equal(after.day_rows, 30);
    assert.equal(after.first_snapshot_rows, 20, 'time travel still reaches the first snapshot until it expires');
    assert.equal((await files(join(cold, 'tier', 'events', `dt=${day(15)}`))).length, 1, 'the day 15 back moved to the tier folder');

    // The hot store keeps what is younger than 3 days: today's event only.
    const recent = (await getJson(`${platform.url}/v1/events/recent?limit=1000`)).body.events as Array<{ id: string }>;
    assert.deepEqual(recent.map((e) => e.id), ['today-0']);
    const status = (await getJson(`${platform.url}/v1/status`)).body;
    assert.equal(status.cold_store.lifecycle.jobs.compaction.files, 3);
    assert.deepEqual((await getJson(`${platform.url}/v1/lifecycle`)).body.last_run.jobs.tiering.files, 2);
    const metrics = await (await fetch(`${platform.url}/metrics`)).text();
    assert.match(metrics, /sightline_operation_duration_seconds_count\{component="cold_store",operation="compaction"\} [1-9]/);
    // The lineage graph shows the lifecycle as a job: from the tables, to them and to the tier folder.
    const graph = (await getJson(`${platform.url}/v1/lineage`)).body as { jobs: Array<{ id: string; name: string; outputs: string[]; status: string }>; edges: Array<{ from: string; to: string; events: number | null }> };
    const lifecycle = graph.jobs.find((j) => j.name === 'sightline.lifecycle')!;
    const tier = lifecycle.outputs.find((o) => o.endsWith(`${cold}/tier`));
    assert.ok(tier, JSON.stringify(lifecycle.outputs));
    assert.ok(lifecycle.outputs.some((o) => o.endsWith(`${cold}/events`)));
    assert.ok(graph.edges.some((e) => e.from === lifecycle.id && e.to === tier && e.events! > 0), JSON.stringify(graph.edges.filter((e) => e.from === lifecycle.id)));
  });

  it('two days later, expiry drops the old snapshots and the files only they named; readers see the same rows', { timeout: 120_000 }, async () => {
    now += 2 * DAY;
    const report = await runLifecycle(platform.url);
    assert.ok(report.jobs['snapshot-expiry'].snapshots >= 5, JSON.stringify(report.jobs['snapshot-expiry']));
    assert.ok(report.jobs['snapshot-expiry'].files >= 6, JSON.stringify(report.jobs['snapshot-expiry']));
    const after = await table();
    assert.equal(after.rows, 51);
    assert.equal(after.distinct_keys, 51);
    assert.equal(after.snapshots, 1);
    assert.deepEqual(await files(join(cold, 'events', `dt=${day(40)}`)), [], 'the retained-out day is deleted');
    assert.deepEqual(await files(join(cold, 'events', `dt=${day(15)}`)), [], 'the tiered original is deleted');
    assert.equal((await files(join(cold, 'events', `dt=${day(5)}`))).length, 1, 'the compacted small files are deleted');
  });
});
