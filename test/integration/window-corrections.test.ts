import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { latestMetadata, pyicebergSkipReason, readStaticTable } from '../helpers/iceberg.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/wait.js';

const T0 = Date.UTC(2026, 10, 20, 10, 0, 0);
const MINUTE = 60_000;

interface Window {
  window_start: number;
  count: number;
  final: boolean;
}

describe('a window corrected after it closed', { skip: pyicebergSkipReason() }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let tableDir: string;
  const windows = async (): Promise<Window[]> => (await getJson(`${platform.url}/v1/aggregates/page-views?window=1m&page=/a&limit=100`)).body.windows as Window[];
  const tableRows = async () => (await readStaticTable(await latestMetadata(tableDir), { rows: true })).row_values!;

  before(async () => {
    tmp = await tempDir();
    tableDir = join(tmp.dir, 'data', 'cold', 'aggregates', 'page-views');
    platform = await startPlatform(
      buildConfig({
        dataDir: join(tmp.dir, 'data'),
        server: { port: 0 },
        cold: { rollRows: 5, rollInterval: '1s', contractTables: false },
        contracts: { unknown: 'accept' },
        probe: { interval: '0s' },
        process: { idleTimeout: '1s' },
      }),
      pino({ level: 'silent' }),
    );
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  it('replaces its row in the table with the new count, never adds a second one', { timeout: 120_000 }, async () => {
    // Ten minutes of one stream: once it goes idle its windows close up to the allowed lateness
    // (a minute) behind its newest event, eight of them, and are exported.
    await postEvents(platform.url, Array.from({ length: 20 }, (_, i) => pageView(`w-${i}`, T0 + i * 30_000, '/a')));
    await waitForBacklogZero(platform.url);
    await eventually(async () => (await windows()).filter((w) => w.final).length === 8, 'eight final windows', 60_000);
    await eventually(async () => (await tableRows()).filter((r) => r.window_size === '1m').length === 8, 'the final windows in the table', 60_000);
    const before = (await tableRows()).find((r) => r.window_start === T0 + 2 * MINUTE)!;
    assert.equal(before.count, 2);

    // A second stream starts late, with events of minute 2: the closed window's count grows.
    await postEvents(platform.url, [pageView('late-1', T0 + 2 * MINUTE + 5_000, '/a', 'u1', 'app'), pageView('late-2', T0 + 2 * MINUTE + 9_000, '/a', 'u1', 'app')]);
    await waitForBacklogZero(platform.url);
    await eventually(async () => (await windows()).find((w) => w.window_start === T0 + 2 * MINUTE)?.count === 4, 'the window counts the late stream', 60_000);

    await eventually(async () => (await tableRows()).find((r) => r.window_start === T0 + 2 * MINUTE && r.window_size === '1m')?.count === 4, 'the corrected count in the table', 60_000);
    const rows = await tableRows();
    const keys = new Set(rows.map((r) => `${r.window_size} ${r.window_start} ${r.group_key}`));
    assert.equal(keys.size, rows.length, 'one row per window');
    const served = new Map((await windows()).map((w) => [w.window_start, w.count]));
    const minutes = rows.filter((r) => r.window_size === '1m');
    assert.equal(minutes.length, 8);
    for (const row of minutes) assert.equal(row.count, served.get(row.window_start as number), `window ${row.window_start}`);
  });
});
