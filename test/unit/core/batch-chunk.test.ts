import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeEventRows } from '../../../src/core/event-rows.js';
import type { EventRow, ProcessedBatch } from '../../../src/core/ports/processed-batch.js';
import { decodeBatchChunk, encodeBatchChunks } from '../../../src/core/batch-chunk.js';
import type { PartitionProgress } from '../../../src/core/batch-chunk.js';

const T0 = Date.UTC(2026, 10, 27, 6, 0, 0);
const progress: PartitionProgress = {
  offset: 42,
  watermark: T0,
  streams: [{ stream: 'web/page_view', watermark: T0, finalizedThrough: T0 - 60_000, maxEventTime: T0 + 5000, lastEventAt: T0 + 6000 }],
  finalBounds: { pv: T0 - 60_000 },
  duplicates: 3,
  late: 1,
};

function rowOf(i: number, payloadBytes = 10): EventRow {
  const event = { id: `e${i}`, source: 'web', type: 'page_view', timestamp: T0 + i, payload: { page: 'x'.repeat(payloadBytes) } };
  return { logPos: i, id: event.id, timestamp: event.timestamp, userId: null, late: false, json: Buffer.from(JSON.stringify(event)), metadata: null };
}

function batchOf(rows: EventRow[]): ProcessedBatch {
  return {
    pipeline: 'main',
    rows: encodeEventRows(rows),
    windows: [{ name: 'pv', window: '1m', windowStart: T0, windowEnd: T0 + 60_000, group: '/', stream: 'web/page_view', count: rows.length }],
    finalBounds: progress.finalBounds,
    watermark: progress.watermark,
    streams: progress.streams,
    offsets: new Map([[0, progress.offset]]),
    duplicates: 3,
    late: 1,
    lineage: { node: 'n', version: 'v', steps: [] },
  };
}

describe('rows-topic records of a processed batch', () => {
  it('cuts the rows at line ends into chunks under the limit, and puts them back together exactly', () => {
    const rows = Array.from({ length: 100 }, (_, i) => rowOf(i, 50 + (i % 7) * 30));
    const batch = batchOf(rows);
    const chunks = encodeBatchChunks(batch, 7, progress, 2_000);
    assert.ok(chunks.length > 3, `expected several chunks, got ${chunks.length}`);
    const decoded = chunks.map((c, i) => decodeBatchChunk(c, `chunk ${i}`));
    const ndjson = Buffer.concat(decoded.map((d) => d.rows));
    assert.deepEqual(ndjson, Buffer.from(batch.rows.ndjson));
    assert.equal(decoded.reduce((n, d) => n + d.header.rowCount, 0), 100);
    for (const [i, { header, rows: part }] of decoded.entries()) {
      assert.equal(header.chunk, i);
      assert.equal(header.chunks, chunks.length);
      assert.equal(header.commitNo, 7);
      assert.equal(header.offset, 42);
      assert.ok(part.length <= 2_000, `chunk ${i} holds ${part.length} bytes`);
      assert.equal(part.toString().split('\n').filter(Boolean).length, header.rowCount, 'whole lines only');
      // Windows, lineage and the rest ride on the last chunk only.
      assert.equal(header.windows !== undefined, i === chunks.length - 1);
      assert.equal(header.lineage !== undefined, i === chunks.length - 1);
    }
  });

  it('keeps a row larger than the limit whole, in a chunk of its own', () => {
    const rows = [rowOf(0), rowOf(1, 5_000), rowOf(2)];
    const chunks = encodeBatchChunks(batchOf(rows), 1, progress, 1_000).map((c) => decodeBatchChunk(c, 'c'));
    assert.deepEqual(chunks.map((c) => c.header.rowCount), [1, 1, 1]);
    assert.ok(chunks[1]!.rows.length > 5_000);
  });

  it('writes one chunk for a batch without rows (it still moves the checkpoint)', () => {
    const chunks = encodeBatchChunks(batchOf([]), 2, progress, 1_000).map((c) => decodeBatchChunk(c, 'c'));
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]!.header.rowCount, 0);
    assert.equal(chunks[0]!.rows.length, 0);
  });

  it('refuses a record it did not write, with SL_LOG_CORRUPT', () => {
    assert.throws(() => decodeBatchChunk(Buffer.from('{"hello":1}\n'), 'record 5 of rows/0'), (err: any) => err.code === 'SL_LOG_CORRUPT' && /record 5 of rows\/0/.test(err.message));
    assert.throws(() => decodeBatchChunk(Buffer.from('garbage'), 'r'), (err: any) => err.code === 'SL_LOG_CORRUPT');
  });
});
