import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { getJson, postJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { type IcebergTableReport, latestMetadata, pyicebergSkipReason, readCatalog, readStaticTable, runLifecycle } from '../helpers/iceberg.js';
import { tempDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/wait.js';

const DAY = 86_400_000;
const T0 = Date.now() - 3_600_000;

/**
 * Hot retention of dead letters on a test clock: letters older than the retention move to the
 * `dead_letters` table with their last replay outcome, leave the hot store only once it holds
 * them, move once however often the job runs, and an erasure takes them out of the table too.
 */
describe('dead letters in the cold tier', { skip: pyicebergSkipReason() }, () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let cold: string;
  let now = Date.now();
  const table = async (): Promise<IcebergTableReport> => readStaticTable(await latestMetadata(join(cold, 'dead_letters')), { rows: true });
  const hotLetters = async (): Promise<Array<{ id: string; event_id: string }>> => (await getJson(`${platform.url}/v1/dlq?limit=1000`)).body.dead_letters;

  before(async () => {
    tmp = await tempDir();
    cold = join(tmp.dir, 'data', 'cold');
    const config = buildConfig({
      dataDir: join(tmp.dir, 'data'),
      server: { port: 0 },
      cold: { rollRows: 1000, rollInterval: '1s' },
      contracts: { unknown: 'accept' },
      probe: { interval: '0s' },
      quality: { rules: [{ name: 'known-pages', match: { type: 'page_view' }, severity: 'error', check: 'regex', field: 'payload.page', pattern: '^/[ab]$' }] },
      lifecycle: { interval: '1h', tables: { dead_letters: { hotRetention: '2d' } } },
    });
    platform = await startPlatform(config, pino({ level: 'silent' }), { clock: () => now });
    const events = Array.from({ length: 30 }, (_, i) => pageView(`e${i}`, T0 + i * 1000, i % 3 === 0 ? '/nope' : '/a', `u${i % 2}`));
    assert.equal((await postEvents(platform.url, events)).body.accepted, 30);
    await waitForBacklogZero(platform.url);
    await eventually(async () => (await hotLetters()).length === 10, 'ten dead letters in the hot store');
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  it('stay in the hot store within their retention', async () => {
    const report = await runLifecycle(platform.url);
    assert.equal(report.jobs['hot-retention'].rows, 0);
    assert.equal((await hotLetters()).length, 10);
  });

  it('move to the dead_letters table past it, with their last replay, and leave the hot store', { timeout: 120_000 }, async () => {
    const replayed = await postJson(`${platform.url}/v1/dlq/replay`, { ids: [(await hotLetters()).find((l) => l.event_id === 'e0')!.id] });
    assert.equal(replayed.status, 200, JSON.stringify(replayed.body));
    // The rule still refuses the page: the replay fails before it reaches the log.
    assert.equal(replayed.body.results[0].outcome, 'failed');
    now += 3 * DAY;
    const report = await runLifecycle(platform.url);
    assert.equal(report.jobs['hot-retention'].rows, 10);
    assert.equal((await hotLetters()).length, 0, 'none left in the hot store');

    const read = await table();
    assert.equal(read.rows, 10);
    assert.equal(read.distinct_keys, 10);
    const rows = read.row_values!;
    assert.ok(rows.every((r) => r.code === 'SL_QUALITY_FAILED' && r.rule === 'known-pages'));
    const replay = rows.find((r) => JSON.parse(String(r.original)).id === 'e0')!;
    assert.equal(replay.replay_outcome, 'failed', 'with its last replay');
    assert.equal(replay.replay_code, 'SL_QUALITY_FAILED');
    assert.ok(rows.filter((r) => r !== replay).every((r) => r.replay_outcome === null));
    // The catalog lists it for a reader with no file path.
    const catalog = await readCatalog(`${platform.url}/iceberg`, undefined);
    assert.equal(catalog.tables.dead_letters?.rows, 10);
  });

  it('move once, however often the job runs', async () => {
    const snapshots = (await table()).snapshots;
    const report = await runLifecycle(platform.url);
    assert.equal(report.jobs['hot-retention'].rows, 0);
    assert.equal((await table()).snapshots, snapshots);
    assert.equal((await table()).rows, 10);
  });

  it('leave the table with an erasure of their user', { timeout: 60_000 }, async () => {
    const requested = await postJson(`${platform.url}/v1/erasures`, { user_id: 'u0' });
    assert.equal(requested.status, 202);
    await eventually(async () => (await getJson(`${platform.url}/v1/erasures/${requested.body.id}`)).body.state === 'done', 'the erasure applied');
    const left = (await table()).row_values!.map((r) => JSON.parse(String(r.original)).payload.user_id);
    assert.ok(left.length > 0 && left.every((u) => u === 'u1'), JSON.stringify(left));
  });
});
