import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { encodeBatchChunks, type PartitionProgress } from '../../../src/core/batch-chunk.js';
import { encodeEventRows } from '../../../src/core/event-rows.js';
import { partitionForKey } from '../../../src/core/partitioner.js';
import { pipelineTopics } from '../../../src/core/pipeline-topics.js';
import type { ProcessedBatch, WindowCount } from '../../../src/core/ports/processed-batch.js';
import { EmbeddedLog } from '../../../src/log/embedded/embedded-log.js';
import { DuckDbHotStore } from '../../../src/store/hot/duckdb-hot-store.js';
import { RowsLoader } from '../../../src/store/hot/rows-loader.js';
import { tempDir } from '../../helpers/tmp.js';
import { waitUntil } from '../../helpers/wait.js';
import { oneStreamAt } from '../../helpers/stream-time.js';

const W = Date.UTC(2026, 10, 27, 6, 0, 0);
const PIPELINE = 'loader-test';

function share(count: number): WindowCount {
  return { name: 'pv', window: '1m', windowStart: W, windowEnd: W + 60_000, group: '/', stream: 'web/page_view', count };
}

/** One processor commit of `partition` as its rows-topic record: `count` events in W, and its progress. */
function committed(partition: number, count: number, progress: PartitionProgress): Buffer[] {
  const rows = Array.from({ length: count }, (_, i) => {
    const id = `p${partition}-${i}`;
    return { logPos: i, id, timestamp: W + 1000 + i, userId: null, late: false, json: Buffer.from(JSON.stringify({ id, source: 'web', type: 'page_view', timestamp: W + 1000 + i, payload: {} })), metadata: null };
  });
  const batch: ProcessedBatch = {
    pipeline: PIPELINE,
    rows: encodeEventRows(rows),
    windows: [share(count)],
    finalBounds: progress.finalBounds,
    watermark: progress.watermark,
    streams: progress.streams,
    offsets: new Map([[partition, progress.offset]]),
    duplicates: 0,
    late: 0,
  };
  return encodeBatchChunks(batch, 1, progress, 1 << 20);
}

/**
 * The serving node's loader on the embedded log, whose consumer hands over both partitions'
 * records in one poll, partition 0 first: the order in which a loader that is starting or catching
 * up meets them on Kafka too, when one fetch brings both.
 */
describe('rows loader', () => {
  it('does not finalize a window while another partition with records for it is not loaded yet', async (t) => {
    const { dir, cleanup } = await tempDir();
    const log = await EmbeddedLog.open({ dir: join(dir, 'log'), segmentBytes: 1 << 20, maxRecordBytes: 4 << 20 });
    const hot = await DuckDbHotStore.open(join(dir, 'hot.duckdb'));
    const rowsTopic = pipelineTopics(PIPELINE).rows;
    await log.ensureTopic(rowsTopic, { partitions: 2 });
    t.after(async () => {
      await hot.close();
      await log.close();
      await cleanup();
    });
    // Partition 0 is past W; partition 1 counted 3 in W and is not past it.
    await appendTo(log, rowsTopic, 0, committed(0, 5, { offset: 5, ...oneStreamAt(W + 130_000, W + 60_000), duplicates: 0, late: 0 }));
    await appendTo(log, rowsTopic, 1, committed(1, 3, { offset: 3, ...oneStreamAt(W + 10_000, W - 50_000), duplicates: 0, late: 0 }));
    const loader = new RowsLoader({ log, hot, pipeline: PIPELINE, logger: pino({ level: 'silent' }) });
    await loader.start();
    t.after(() => loader.stop());
    await waitUntil('both partitions loaded', 10_000, () => loader.counters.records >= 2);
    const [window] = await hot.aggregates({ name: 'pv', window: '1m', limit: 10 });
    assert.deepEqual(window && { count: window.count, final: window.final }, { count: 8, final: false }, 'partition 1 is not past W: W stays open');
  });
});

/** Appends records to one partition of a two-partition topic: under a key the partitioner puts there. */
async function appendTo(log: EmbeddedLog, topic: string, partition: number, values: Buffer[]): Promise<void> {
  let n = 0;
  while (partitionForKey(`k${n}`, 2) !== partition) n++;
  const placed = await log.append(topic, values.map((value) => ({ key: `k${n}`, value, timestamp: W })));
  assert.ok(placed.every((p) => p.partition === partition));
}
