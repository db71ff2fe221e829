import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { queryDuckDb } from '../helpers/duckdb.js';
import { getJson, pageView, postEvents, waitForBacklogZero } from '../helpers/events.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);
const MIN = 60_000;

describe('embedded pipeline, in process', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let url: string;
  const config = () =>
    buildConfig(
      {
        dataDir: join(tmp.dir, 'data'),
        server: { port: 0 },
        enrichment: { referenceData: { path: join(tmp.dir, 'users.csv'), reloadInterval: '100ms' } },
        process: { watermarkDelay: '5s', allowedLateness: '1m', dedupWindow: '5m' },
        // Contracts have their own tests; this one is about the pipeline.
        contracts: { unknown: 'accept' },
        // Exact counts below: no canary events.
        probe: { interval: 0 },
      },
      tmp.dir,
    );

  before(async () => {
    tmp = await tempDir();
    await writeFile(join(tmp.dir, 'users.csv'), 'user_id,plan\nu1,pro\nu2,free\n');
    platform = await startPlatform(config(), pino({ level: 'silent' }));
    url = platform.url;
  });
  after(async () => {
    await platform.stop();
    await tmp.cleanup();
  });

  it('accepts valid events, reports each invalid one, and drops repeats in processing', async () => {
    const events = [
      pageView('a1', T0 + 1_000, '/home', 'u1'),
      pageView('a2', T0 + 2_000, '/home', 'u2'),
      pageView('a3', T0 + 3_000, '/pricing', 'u1'),
      pageView('a1', T0 + 1_000, '/home', 'u1'),
      { id: 'bad', source: 'web', type: 'page_view', payload: {} },
      pageView('a4', T0 + 61_000, '/home', 'u3', 'app'),
    ];
    const r = await postEvents(url, events);
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 5);
    assert.deepEqual(r.body.rejected, [{ index: 4, code: 'SL_EVENT_FIELD_MISSING', message: 'timestamp is required' }]);
    await waitForBacklogZero(url);
    const status = (await getJson(`${url}/v1/status`)).body;
    assert.equal(status.processor.duplicates, 1);
    assert.equal(status.processor.stored, 4);
  });

  it('lists a dead letter as soon as the request that was refused has its answer', async () => {
    const r = await postEvents(url, [{ id: 'refused-now', source: 'web', type: 'page_view', payload: {} }]);
    assert.equal(r.body.rejected.length, 1);
    // No wait: the list reads the index only once it holds every letter written before the call.
    const letters = (await getJson(`${url}/v1/dlq?event_id=refused-now`)).body.dead_letters as Array<{ code: string }>;
    assert.deepEqual(letters.map((l) => l.code), ['SL_EVENT_FIELD_MISSING']);
  });

  it('serves recent events newest first, filtered, with stable cursor paging and enrichment', async () => {
    const all = (await getJson(`${url}/v1/events/recent`)).body;
    assert.deepEqual(all.events.map((e: any) => e.id), ['a4', 'a3', 'a2', 'a1']);
    assert.equal(all.next_cursor, null);
    assert.deepEqual(all.events.find((e: any) => e.id === 'a1').metadata.enrichment, { plan: 'pro' });
    assert.equal(all.events.find((e: any) => e.id === 'a4').metadata.enrichment, undefined);

    const page1 = (await getJson(`${url}/v1/events/recent?limit=2`)).body;
    assert.deepEqual(page1.events.map((e: any) => e.id), ['a4', 'a3']);
    // A newer event between pages must not shift the next page.
    await postEvents(url, [pageView('a5', T0 + 62_000, '/home')]);
    await waitForBacklogZero(url);
    const page2 = (await getJson(`${url}/v1/events/recent?limit=2&cursor=${page1.next_cursor}`)).body;
    assert.deepEqual(page2.events.map((e: any) => e.id), ['a2', 'a1']);

    assert.deepEqual((await getJson(`${url}/v1/events/recent?source=app`)).body.events.map((e: any) => e.id), ['a4']);
    assert.deepEqual((await getJson(`${url}/v1/events/recent?user_id=u1`)).body.events.map((e: any) => e.id), ['a5', 'a3', 'a1']);
    assert.deepEqual((await getJson(`${url}/v1/events/recent?type=click`)).body.events, []);
  });

  it('counts page views per page in 1m and 5m windows, open ones with final=false', async () => {
    const oneMinute = (await getJson(`${url}/v1/aggregates/page-views?window=1m`)).body.windows;
    assert.deepEqual(oneMinute, [
      { window_start: T0, window_end: T0 + MIN, page: '/home', count: 2, final: false },
      { window_start: T0, window_end: T0 + MIN, page: '/pricing', count: 1, final: false },
      { window_start: T0 + MIN, window_end: T0 + 2 * MIN, page: '/home', count: 2, final: false },
    ]);
    const fiveHome = (await getJson(`${url}/v1/aggregates/page-views?window=5m&page=/home`)).body.windows;
    assert.deepEqual(fiveHome, [{ window_start: T0, window_end: T0 + 5 * MIN, page: '/home', count: 4, final: false }]);
    const bounded = (await getJson(`${url}/v1/aggregates/page-views?window=1m&from=${T0 + MIN}&to=${new Date(T0 + 2 * MIN).toISOString()}`)).body.windows;
    assert.equal(bounded.length, 1);
    const unknown = await getJson(`${url}/v1/aggregates/clicks`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'SL_API_NOT_FOUND');
  });

  it('finalizes windows as the watermarks of the streams they count pass them, and keeps late events out of the counts', async () => {
    // page-views counts web and app page views: a window is final once both streams passed it.
    await postEvents(url, [pageView('b1', T0 + 10 * MIN, '/home')]);
    await waitForBacklogZero(url);
    const held = (await getJson(`${url}/v1/aggregates/page-views?window=1m&page=/home`)).body.windows;
    assert.deepEqual(held.map((w: any) => w.final), [false, false, false], 'app/page_view, still sending, holds the windows it shares');
    await postEvents(url, [pageView('b2', T0 + 10 * MIN, '/x', 'u1', 'app')]);
    await waitForBacklogZero(url);
    // Each watermark = T0+10m-5s; windows ending at or before watermark-1m are final.
    const windows = (await getJson(`${url}/v1/aggregates/page-views?window=1m&page=/home`)).body.windows;
    assert.deepEqual(windows.map((w: any) => [w.window_start - T0, w.count, w.final]), [
      [0, 2, true],
      [MIN, 2, true],
      [10 * MIN, 1, false],
    ]);
    const late = await postEvents(url, [pageView('late1', T0 + 30_000, '/home'), pageView('ontime', T0 + 10 * MIN - 60_000, '/home')]);
    assert.equal(late.body.accepted, 2, 'a late event is still accepted: it is data, kept on the late path');
    await waitForBacklogZero(url);
    const after = (await getJson(`${url}/v1/aggregates/page-views?window=1m&page=/home`)).body.windows;
    assert.equal(after[0].count, 2, 'the final window did not change');
    const status = (await getJson(`${url}/v1/status`)).body;
    assert.equal(status.processor.late, 1);
    // By default (process.lateEvents: dead-letter) a late event goes to the dead-letter queue, not the events table.
    assert.equal(status.hot_store.tables.find((t: any) => t.table === 'late_events').rows, 0);
    const deadline = Date.now() + 5000;
    let letters: any[] = [];
    while (letters.length === 0 && Date.now() < deadline) {
      letters = (await getJson(`${url}/v1/dlq?code=SL_EVENT_LATE`)).body.dead_letters;
      if (letters.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(letters.map((d) => [d.event_id, d.stage]), [['late1', 'process']]);
  });

  it('picks up a changed reference file without a restart', async () => {
    await writeFile(join(tmp.dir, 'users.csv'), 'user_id,plan\nu1,enterprise\nu2,free\n');
    const deadline = Date.now() + 5000;
    for (;;) {
      await postEvents(url, [pageView(`r-${Date.now()}`, T0 + 10 * MIN + 1000, '/x', 'u1')]);
      await waitForBacklogZero(url);
      const [latest] = (await getJson(`${url}/v1/events/recent?limit=1&user_id=u1`)).body.events;
      if (latest.metadata.enrichment?.plan === 'enterprise') break;
      assert.ok(Date.now() < deadline, 'reference data was not reloaded within 5 s');
      await new Promise((r) => setTimeout(r, 150));
    }
  });

  it('on stop, writes every raw event and final window to Parquet; a restart resumes without recounting', async () => {
    await platform.stop();
    const hotFile = join(tmp.dir, 'data', 'hot', 'sightline.duckdb');
    const [hot] = await queryDuckDb(hotFile, 'SELECT count(*) AS n, count(DISTINCT id) AS d FROM events');
    const cold = join(tmp.dir, 'data', 'cold');
    const [parquet] = await queryDuckDb(
      ':memory:',
      `SELECT count(*) AS n, count(DISTINCT id) AS d, count(DISTINCT dt) AS days FROM read_parquet('${cold}/events/dt=*/*.parquet', hive_partitioning = true)`,
    );
    assert.equal(hot!.n, hot!.d, 'no event twice in the hot store');
    assert.equal(parquet!.n, hot!.n, 'every raw event is in Parquet');
    assert.equal(parquet!.d, hot!.d);
    assert.equal(parquet!.days, 1);
    const finals = await queryDuckDb(':memory:', `SELECT window_size, window_start, group_key, count FROM read_parquet('${cold}/aggregates/page-views/dt=*/*.parquet') ORDER BY 1, 2, 3`);
    assert.deepEqual(
      finals.filter((r) => r.window_size === '1m').map((r) => [Number(r.window_start) - T0, r.group_key, r.count]),
      [
        [0, '/home', 2],
        [0, '/pricing', 1],
        [MIN, '/home', 2],
      ],
    );

    platform = await startPlatform(config(), pino({ level: 'silent' }));
    url = platform.url;
    const again = await postEvents(url, [pageView('a5', T0 + 62_000, '/home'), pageView('b1', T0 + 10 * MIN, '/home'), pageView('c1', T0 + 10 * MIN + 2000, '/home')]);
    assert.equal(again.body.accepted, 3);
    await waitForBacklogZero(url);
    const status = (await getJson(`${url}/v1/status`)).body;
    assert.equal(status.processor.duplicates, 1 + 2, 'repeats of events from before the restart are still caught');
    const open = (await getJson(`${url}/v1/aggregates/page-views?window=1m&page=/home&from=${T0 + 10 * MIN}`)).body.windows;
    assert.deepEqual(open.map((w: any) => [w.count, w.final]), [[2, false]], 'the open window resumed from its stored count');
  });
});
