import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { queryDuckDb } from '../helpers/duckdb.js';
import { getJson, pageView, waitForBacklogZero } from '../helpers/events.js';
import { type PlatformProcess, startPlatformProcess } from '../helpers/platform-process.js';
import { latestMetadata, liveFiles, pyicebergSkipReason, readStaticTable } from '../helpers/iceberg.js';
import { tempDir } from '../helpers/tmp.js';

const MIN_BATCHES = 100;
const MAX_BATCHES = 5000;
const BATCH_SIZE = 150;
const KILLS = 6;
const T0 = Date.UTC(2026, 10, 26, 8, 0, 0);

/**
 * kill -9 the platform again and again while a client streams batches (until the last kill) and
 * retries each until it is acknowledged. Some batches also repeat events of earlier ones on purpose. In the end every
 * event must be in the hot store and in Parquet exactly once, and the page-view counts must equal
 * the number of distinct events: no acknowledged event lost, none counted twice.
 */
describe('crash safety under kill -9', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: PlatformProcess;
  const dataDir = () => join(tmp.dir, 'data');
  // Small batches and a short roll interval so kills land inside processing and cold exports too.
  const args = () => ['--data', dataDir(), '--config', join(tmp.dir, 'sightline.json')];

  before(async () => {
    tmp = await tempDir();
    const { writeFile } = await import('node:fs/promises');
    // The lifecycle every second, compacting any two small files of a day: kills land in compactions too.
    await writeFile(
      join(tmp.dir, 'sightline.json'),
      JSON.stringify({
        process: { batchSize: 200 },
        cold: { rollInterval: '300ms', rollRows: 1000 },
        lifecycle: { interval: '1s', tables: { '*': { compactBelow: '1MiB', compactMinFiles: 2 } } },
        contracts: { unknown: 'accept' },
        probe: { interval: 0 },
        logLevel: 'warn',
      }),
    );
    platform = await startPlatformProcess(args());
  });
  after(async () => {
    if (platform.child.exitCode === null) await platform.kill9();
    await tmp.cleanup();
  });

  it('loses nothing acknowledged and counts nothing twice', async () => {
    const distinct = new Set<string>();
    const batches: string[][] = [];
    const makeBatch = (b: number): string[] => {
      const events: string[] = [];
      for (let i = 0; i < BATCH_SIZE; i++) {
        const n = b * BATCH_SIZE + i;
        events.push(JSON.stringify(pageView(`c${n}`, T0 + n * 20, `/p/${n % 5}`, `u${n % 4}`)));
        distinct.add(`c${n}`);
      }
      if (b > 0) events.push(...batches[b - 1]!.slice(0, 10));
      return events;
    };

    let acknowledged = 0;
    let failedAttempts = 0;
    let killerDone = false;
    // The client never waits for a restart: it keeps sending, so kills land on requests in flight
    // and in the middle of group commits, and it sees refused connections while the platform is down.
    const sendAll = async (): Promise<void> => {
      for (let b = 0; b < MAX_BATCHES && (b < MIN_BATCHES || !killerDone); b++) {
        const batch = makeBatch(b);
        batches.push(batch);
        for (;;) {
          try {
            const r = await fetch(`${platform.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: batch.join('\n') });
            if (r.status === 200) {
              const body = (await r.json()) as { accepted: number; rejected: unknown[] };
              assert.equal(body.rejected.length, 0);
              acknowledged++;
              break;
            }
            await r.body?.cancel();
          } catch {
            // connection refused or reset by the kill: retry the same batch
          }
          failedAttempts++;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const killer = async (): Promise<void> => {
      for (let k = 0; k < KILLS; k++) {
        await new Promise((r) => setTimeout(r, 250 + Math.random() * 500));
        await platform.kill9();
        platform = await startPlatformProcess(args());
      }
      killerDone = true;
    };
    await Promise.all([sendAll(), killer()]);
    assert.equal(acknowledged, batches.length);
    assert.ok(killerDone, 'the stream lasted through every kill');
    assert.ok(failedAttempts > 0, 'some requests failed and were retried across the kills');

    await waitForBacklogZero(platform.url, 60_000);
    const windows = (await getJson(`${platform.url}/v1/aggregates/page-views?window=1m&limit=100000`)).body.windows;
    assert.equal(windows.reduce((s: number, w: any) => s + w.count, 0), distinct.size, 'page-view counts equal the distinct events');
    const five = (await getJson(`${platform.url}/v1/aggregates/page-views?window=5m&limit=100000`)).body.windows;
    assert.equal(five.reduce((s: number, w: any) => s + w.count, 0), distinct.size);
    assert.equal(await platform.stop(), 0);

    const hotFile = join(dataDir(), 'hot', 'sightline.duckdb');
    const [hot] = await queryDuckDb(hotFile, 'SELECT count(*) AS n, count(DISTINCT id) AS d, count(*) FILTER (WHERE late) AS late FROM events');
    assert.deepEqual(hot, { n: distinct.size, d: distinct.size, late: 0 });
    const [agg] = await queryDuckDb(hotFile, "SELECT sum(count) AS n FROM aggregates WHERE window_size = '1m'");
    assert.equal(agg!.n, distinct.size);
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
