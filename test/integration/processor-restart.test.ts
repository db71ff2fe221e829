import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/config.js';
import { encodeEventRows } from '../../src/core/event-rows.js';
import { EmbeddedLog } from '../../src/log/embedded/embedded-log.js';
import { logPosition } from '../../src/process/batch-plan.js';
import { Processor } from '../../src/process/processor.js';
import { WorkerThreadPlanner } from '../../src/process/worker-thread-planner.js';
import { DuckDbHotStore } from '../../src/store/hot/duckdb-hot-store.js';
import { HotPipelineStore } from '../../src/store/hot/hot-pipeline-store.js';
import { DeadLetterQueue } from '../../src/dlq/dead-letter-queue.js';
import { queryDuckDb } from '../helpers/duckdb.js';
import { pageView } from '../helpers/events.js';
import { tempDir } from '../helpers/tmp.js';

const T0 = Date.UTC(2026, 10, 26, 6, 0, 0);

const spec = { name: 'main', dedupWindowMs: 300_000, allowedLatenessMs: 60_000, watermarkDelayMs: 5_000, idleTimeoutMs: 60_000, aggregations: buildConfig({}).aggregations };

/** A log, a hot store and a processor over them in `dir`; planning inline unless a planner is given. */
async function open(dir: string, planner?: WorkerThreadPlanner) {
  const log = await EmbeddedLog.open({ dir: join(dir, 'log'), segmentBytes: 1 << 20, maxRecordBytes: 1 << 20 });
  await log.ensureTopic('events', { partitions: 2 });
  const hot = await DuckDbHotStore.open(join(dir, 'hot.duckdb'));
  const processor = new Processor({ log, topic: 'events', store: new HotPipelineStore(hot, await DeadLetterQueue.open(log)), spec, ...(planner && { planner }), batchSize: 100, logger: pino({ level: 'silent' }) });
  return { log, hot, processor };
}

const value = (e: Record<string, unknown>) => Buffer.from(JSON.stringify({ ...e, metadata: {} }));

describe('processor restart', () => {
  it('catches repeats of events committed before any watermark existed', async () => {
    const { dir, cleanup } = await tempDir();
    const { log, hot, processor } = await open(dir);
    const a0 = pageView('a0', T0, '/');
    const [placed] = await log.append('events', [{ key: 'a0', value: value(a0), timestamp: T0 }]);
    // A commit from the very first batches, before the watermark moved.
    await hot.commit({
      pipeline: 'main',
      rows: encodeEventRows([{ logPos: logPosition(placed!.partition, placed!.offset), id: 'a0', timestamp: T0, userId: 'u1', late: false, json: value(a0), metadata: null }]),
      windows: [],
      finalBounds: {},
      watermark: null,
      streams: [],
      offsets: new Map([
        [placed!.partition, placed!.offset + 1],
        [1 - placed!.partition, 0],
      ]),
      duplicates: 0,
      late: 0,
    });
    await processor.start();
    await log.append('events', [{ key: 'a0', value: value(a0), timestamp: T0 }]);
    while (processor.totalBacklog() > 0) await new Promise((r) => setTimeout(r, 10));
    await processor.stop();
    assert.equal(processor.counters.duplicates, 1);
    await hot.close();
    await log.close();
    const [row] = await queryDuckDb(join(dir, 'hot.duckdb'), "SELECT count(*) AS n FROM events WHERE id = 'a0'");
    assert.equal(row!.n, 1);
    await cleanup();
  });

  it('throws away batches planned behind a failed commit and rebuilds from the store: nothing lost or doubled', async () => {
    const { dir, cleanup } = await tempDir();
    const { log, hot, processor } = await open(dir);
    const realCommit = hot.commit.bind(hot);
    let commits = 0;
    hot.commit = async (batch) => {
      commits++;
      if (commits === 3 || commits === 7) throw new Error('injected commit failure');
      return realCommit(batch);
    };
    const events = Array.from({ length: 1000 }, (_, i) => pageView(`f${i}`, T0 + i * 100, `/p/${i % 3}`));
    // Repeats inside the stream too, so dedup state is exercised across the rebuild.
    const withRepeats = [...events, ...events.slice(0, 50)];
    await log.append('events', withRepeats.map((e) => ({ key: String(e.id), value: value(e), timestamp: Number(e.timestamp) })));
    await processor.start();
    while (processor.totalBacklog() > 0) await new Promise((r) => setTimeout(r, 10));
    await processor.stop();
    assert.ok(processor.counters.commitFailures >= 2);
    await hot.close();
    await log.close();
    const [counts] = await queryDuckDb(join(dir, 'hot.duckdb'), "SELECT count(*) AS n, count(DISTINCT id) AS d FROM events");
    assert.deepEqual(counts, { n: 1000, d: 1000 });
    const [agg] = await queryDuckDb(join(dir, 'hot.duckdb'), "SELECT sum(count) AS n FROM aggregates WHERE window_size = '1m'");
    assert.equal(agg!.n, 1000);
    await cleanup();
  });

  it('survives the planner thread dying: a new one is started from the store and nothing is lost or doubled', async () => {
    const { dir, cleanup } = await tempDir();
    const planner = await WorkerThreadPlanner.start({ spec });
    const { log, hot, processor } = await open(dir, planner);
    const events = Array.from({ length: 600 }, (_, i) => pageView(`w${i}`, T0 + i * 100, `/p/${i % 3}`));
    await log.append('events', events.slice(0, 300).map((e) => ({ key: String(e.id), value: value(e), timestamp: Number(e.timestamp) })));
    await processor.start();
    while (processor.totalBacklog() > 0) await new Promise((r) => setTimeout(r, 10));
    await (planner as any).worker.terminate();
    await log.append('events', [...events.slice(250), ...events.slice(0, 20)].map((e) => ({ key: String(e.id), value: value(e), timestamp: Number(e.timestamp) })));
    while (processor.totalBacklog() > 0) await new Promise((r) => setTimeout(r, 10));
    await processor.stop();
    assert.ok(processor.counters.commitFailures >= 1, 'the dead thread was noticed');
    await hot.close();
    await log.close();
    const [counts] = await queryDuckDb(join(dir, 'hot.duckdb'), 'SELECT count(*) AS n, count(DISTINCT id) AS d FROM events');
    assert.deepEqual(counts, { n: 600, d: 600 });
    const [agg] = await queryDuckDb(join(dir, 'hot.duckdb'), "SELECT sum(count) AS n FROM aggregates WHERE window_size = '1m'");
    assert.equal(agg!.n, 600);
    await cleanup();
  });

  it('refuses to start when the hot store has processed more than the log holds', async () => {
    const { dir, cleanup } = await tempDir();
    const { log, hot, processor } = await open(dir);
    await hot.commit({ pipeline: 'main', rows: encodeEventRows([]), windows: [], finalBounds: {}, watermark: null, streams: [], offsets: new Map([[0, 5]]), duplicates: 0, late: 0 });
    await assert.rejects(processor.start(), (err: any) => err.code === 'SL_LOG_CORRUPT' && /not from the same history/.test(err.message));
    await hot.close();
    await log.close();
    await cleanup();
  });
});
