import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { type RunningPlatform, startPlatform } from '../../src/platform/start-platform.js';
import { getJson, pageView, postEvents, postJson, waitForBacklogZero } from '../helpers/events.js';
import { tempDir } from '../helpers/tmp.js';

const MINUTE = 60_000;
const BASE = Math.floor((Date.now() - 30 * MINUTE) / MINUTE) * MINUTE;

/**
 * The aggregates API's cache is never stale: writes (counts into open windows, windows closing)
 * interleave with reads, and every cached answer equals the same windows read uncached (SQL on
 * read) right after the write committed; an answer over windows no write touched stays cached.
 */
describe('cached aggregates', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let platform: RunningPlatform;
  let seq = 0;

  const cacheCount = async (result: 'hit' | 'miss'): Promise<number> => {
    const text = await (await fetch(`${platform.url}/metrics`)).text();
    return Number(new RegExp(`^sightline_cache_requests_total\\{cache="aggregates",result="${result}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  };
  const cached = async (from: number, to: number): Promise<unknown[]> => {
    const r = await getJson(`${platform.url}/v1/aggregates/page-views?window=1m&from=${from}&to=${to}&limit=10000`);
    assert.equal(r.status, 200);
    return (r.body.windows as Array<{ window_start: number; page: string; count: number; final: boolean }>).map((w) => [w.window_start, w.page, w.count, w.final]);
  };
  const truth = async (from: number, to: number): Promise<unknown[]> => {
    const r = await postJson(`${platform.url}/v1/sql`, {
      sql: "SELECT window_start, group_key, count, final FROM page_views WHERE window_size = '1m' AND window_start >= $from AND window_start < $to ORDER BY window_start, group_key",
      params: { from, to },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.rows;
  };
  const write = async (minute: number, n: number): Promise<void> => {
    const events = Array.from({ length: n }, () => pageView(`c${seq++}`, BASE + minute * MINUTE + (seq % 50) * 1000, seq % 3 ? '/a' : '/b'));
    assert.equal((await postEvents(platform.url, events)).body.accepted, n);
    await waitForBacklogZero(platform.url);
  };

  before(async () => {
    tmp = await tempDir();
    const config = buildConfig({
      dataDir: join(tmp.dir, 'data'),
      server: { port: 0 },
      contracts: { unknown: 'accept' },
      probe: { interval: '0s' },
      process: { allowedLateness: '2m' },
      aggregations: [{ name: 'page-views', match: { type: 'page_view' }, groupBy: 'payload.page', windows: ['1m'] }],
    });
    platform = await startPlatform(config, pino({ level: 'silent' }));
    await write(0, 5);
  });
  after(async () => {
    await platform?.stop();
    await tmp?.cleanup();
  });

  it('equals the uncached answer after every write, for the windows written and the others', async () => {
    const ranges: Array<[number, number]> = [
      [BASE, BASE + 30 * MINUTE],
      [BASE, BASE + 2 * MINUTE],
      [BASE + 10 * MINUTE, BASE + 12 * MINUTE],
    ];
    // Counts into open windows, now one minute, now another; then later minutes, which close the
    // earlier windows (final), and a late count into a window still open within the lateness.
    const minutes = [0, 1, 1, 10, 0, 11, 5, 20, 19, 25, 24, 10, 29];
    for (const minute of minutes) {
      await write(minute, 3 + (minute % 4));
      for (const [from, to] of ranges) {
        const first = await cached(from, to);
        assert.deepEqual(first, await truth(from, to), `after a write at minute ${minute}, windows ${(from - BASE) / MINUTE}..${(to - BASE) / MINUTE}`);
        assert.deepEqual(await cached(from, to), first, 'read again, the same');
      }
    }
  });

  it('keeps an answer over windows a write did not touch, and recomputes one it touched', async () => {
    const early: [number, number] = [BASE, BASE + 2 * MINUTE];
    const late: [number, number] = [BASE + 28 * MINUTE, BASE + 30 * MINUTE];
    await cached(...early);
    await cached(...late);
    const hits = await cacheCount('hit');
    const misses = await cacheCount('miss');
    await write(29, 2);
    assert.deepEqual(await cached(...early), await truth(...early));
    assert.deepEqual(await cached(...late), await truth(...late));
    assert.equal(await cacheCount('hit'), hits + 1, 'the early windows were not touched: a hit');
    assert.equal(await cacheCount('miss'), misses + 1, 'the late ones were: a miss');
  });

  it('reads during writes are never stale once the write committed', async () => {
    const range: [number, number] = [BASE, BASE + 30 * MINUTE];
    let reading = true;
    const reader = (async () => {
      while (reading) await cached(...range);
    })();
    for (let round = 0; round < 5; round++) {
      await write(26 + (round % 4), 4);
      assert.deepEqual(await cached(...range), await truth(...range), `round ${round}`);
    }
    reading = false;
    await reader;
  });
});
