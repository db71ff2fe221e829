import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { DeadLetterQueue } from '../../src/dlq/dead-letter-queue.js';
import { EmbeddedLog } from '../../src/log/embedded/embedded-log.js';
import { Processor } from '../../src/process/processor.js';
import { DuckDbHotStore } from '../../src/store/hot/duckdb-hot-store.js';
import { HotPipelineStore } from '../../src/store/hot/hot-pipeline-store.js';
import { pageView } from '../helpers/events.js';
import { tempDir } from '../helpers/tmp.js';

async function eventually(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const T0 = Date.UTC(2026, 10, 26, 6, 0, 0);
const MINUTE = 60_000;
const spec = { name: 'main', dedupWindowMs: 300_000, allowedLatenessMs: MINUTE, watermarkDelayMs: 5_000, idleTimeoutMs: 2 * MINUTE, aggregations: buildConfig({}).aggregations };

/**
 * A stream that stops sending: its windows become final on the processor's clock (a test clock
 * here) once it has been idle for its timeout, committed to the hot store by the processor's idle
 * checks, with no new event.
 */
describe('idle streams through the processor', () => {
  it('make their newest windows final after the idle timeout, on a test clock', { timeout: 60_000 }, async (t) => {
    const { dir, cleanup } = await tempDir();
    const log = await EmbeddedLog.open({ dir: join(dir, 'log'), segmentBytes: 1 << 20, maxRecordBytes: 1 << 20 });
    await log.ensureTopic('events', { partitions: 2 });
    const hot = await DuckDbHotStore.open(join(dir, 'hot.duckdb'));
    let now = T0 + 10 * MINUTE;
    const processor = new Processor({
      log,
      topic: 'events',
      store: new HotPipelineStore(hot, await DeadLetterQueue.open(log)),
      spec,
      batchSize: 100,
      logger: pino({ level: 'silent' }),
      clock: () => now,
    });
    t.after(async () => {
      await processor.stop();
      await hot.close();
      await log.close();
      await cleanup();
    });
    const events = Array.from({ length: 30 }, (_, i) => pageView(`e${i}`, T0 + i * 10_000, '/home'));
    await log.append('events', events.map((e) => ({ key: String(e.id), value: Buffer.from(JSON.stringify({ ...e, metadata: {} })), timestamp: Number(e.timestamp) })));
    await processor.start();
    await eventually('processed', 10_000, async () => (await hot.recentEvents({ limit: 100 })).length === 30);
    const windows = async (size: string) => (await hot.aggregates({ name: 'page-views', window: size, limit: 100 })).map((w) => [(w.windowStart - T0) / MINUTE, w.count, w.final]);
    // Newest event at T0 + 4m50s: the watermark is 5 s behind it, windows final through a minute before that.
    assert.deepEqual(await windows('1m'), [[0, 6, true], [1, 6, true], [2, 6, true], [3, 6, false], [4, 6, false]]);
    assert.deepEqual(await windows('5m'), [[0, 30, false]]);

    // A minute of quiet is not idleness yet.
    now += MINUTE;
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual((await windows('1m')).map(([, , final]) => final), [true, true, true, false, false]);
    // Idle for its timeout, then the wall clock moves the watermark on: every window is final.
    now += 2 * MINUTE + 10 * MINUTE;
    await eventually('the idle stream\'s windows are final', 10_000, async () => (await windows('5m'))[0]![2] === true);
    assert.deepEqual(await windows('1m'), [[0, 6, true], [1, 6, true], [2, 6, true], [3, 6, true], [4, 6, true]]);
    assert.deepEqual(processor.streams().map((s) => [s.stream, s.finalizedThrough]), [['web/page_view', T0 + 5 * MINUTE]]);
  });
});
