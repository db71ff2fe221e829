import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { PartitionOffsets } from '../../core/ports/log.js';
import type { EventRowsNdjson, ProcessedBatch, QualityCount } from '../../core/ports/processed-batch.js';

// The hot store's pipeline role in SQL: what one processed batch writes, inside the transaction
// DuckDbHotStore opens around a commit.

const STAGE_COLUMNS =
  "{p: 'BIGINT', l: 'BOOLEAN', u: 'VARCHAR', m: 'JSON', e: 'STRUCT(id VARCHAR, source VARCHAR, type VARCHAR, timestamp BIGINT, payload JSON, metadata JSON)'}";
/** DuckDB's own default; lines are rarely near it. */
const MIN_STAGED_OBJECT_BYTES = 1024 * 1024;

/** A batch's rows in a file for read_json, and the largest line it holds. */
export interface StagedRows {
  file: string;
  /**
   * read_json's maximum_object_size for the file: its longest line, rounded up to a power of two.
   * read_json allocates buffers of twice this size up front, so a fixed generous bound (it was
   * 64 MiB) made every commit ask for 128 MiB and fail under a hot.memoryLimit of 256 MiB.
   */
  maxObjectBytes: number;
}

function longestLine(ndjson: Uint8Array): number {
  const bytes = Buffer.from(ndjson.buffer, ndjson.byteOffset, ndjson.byteLength);
  let longest = 0;
  for (let start = 0; start < bytes.length; ) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end;
    if (stop - start > longest) longest = stop - start;
    start = stop + 1;
  }
  return longest;
}

/**
 * Writes a batch's rows (NDJSON wrapping each event's stored JSON) for DuckDB's read_json, which
 * then parses and stores them in its own threads; a row-by-row appender would cost several
 * N-API calls a row on the event loop. Not fsynced: it only lives for the transaction that reads it.
 */
export async function stageRows(stageDir: string, rows: EventRowsNdjson, commitNo: number): Promise<StagedRows> {
  const file = join(stageDir, `batch-${commitNo}.ndjson`);
  await mkdir(stageDir, { recursive: true });
  await writeFile(file, rows.ndjson);
  const maxObjectBytes = Math.max(MIN_STAGED_OBJECT_BYTES, 2 ** Math.ceil(Math.log2(longestLine(rows.ndjson) + 1)));
  return { file, maxObjectBytes };
}

/** A batch's writes, inside the caller's transaction. */
export async function applyBatch(conn: DuckDBConnection, batch: ProcessedBatch, commitNo: number, staged: StagedRows | undefined): Promise<void> {
  if (staged) {
    // In event-time order, so DuckDB's per-row-group min/max let time filters skip data.
    await conn.run(
      `INSERT INTO events (log_pos, id, source, type, timestamp, user_id, payload, metadata, late, commit_no)
       SELECT p, e.id, e.source, e.type, e.timestamp, u, e.payload,
              coalesce(m, e.metadata, '{}'),
              l, $1
       FROM read_json($2, format = 'newline_delimited', maximum_object_size = ${staged.maxObjectBytes}, columns = ${STAGE_COLUMNS})
       ORDER BY e.timestamp, p`,
      [BigInt(commitNo), staged.file],
    );
  }
  if (batch.traceRuns && batch.traceRuns.length > 0) {
    const traces = await conn.createAppender('event_traces');
    for (const run of batch.traceRuns) {
      traces.appendInteger(run.partition);
      traces.appendBigInt(BigInt(run.fromOffset));
      traces.appendBigInt(BigInt(run.toOffset));
      traces.appendVarchar(run.traceId);
      traces.endRow();
    }
    traces.flushSync();
    traces.closeSync();
  }
  if (batch.windows.length > 0) await addWindowShares(conn, batch, commitNo);
  if (batch.quality && batch.quality.length > 0) await addQualityCounts(conn, batch.quality);
  if (batch.lineage) {
    await conn.run('INSERT INTO sl_commits VALUES ($1, $2, $3, $4, $5, $6)', [
      batch.pipeline,
      BigInt(commitNo),
      BigInt(Date.now()),
      batch.lineage.node,
      batch.lineage.version,
      JSON.stringify(batch.lineage.steps),
    ]);
  }
  const bounds = batch.scope ? batch.scope.finalizeAggregates : batch.finalBounds;
  for (const [name, through] of Object.entries(bounds)) {
    await conn.run('UPDATE aggregates SET final = true, final_no = $1 WHERE NOT final AND name = $2 AND window_end <= $3', [BigInt(commitNo), name, BigInt(through)]);
  }
  await storeOffsets(conn, batch.pipeline, batch.offsets);
  await conn.run('DELETE FROM sl_pipeline WHERE pipeline = $1', [batch.pipeline]);
  await conn.run('INSERT INTO sl_pipeline VALUES ($1, $2, NULL, $3, $4, $5, $6, $7, $8)', [
    batch.pipeline,
    batch.watermark === null ? null : BigInt(batch.watermark),
    BigInt(commitNo),
    BigInt(batch.duplicates),
    BigInt(batch.late),
    JSON.stringify(batch.streams),
    JSON.stringify(batch.finalBounds),
    batch.counters ? JSON.stringify(batch.counters) : null,
  ]);
}

/**
 * A batch's window shares replace the stream's (and partition's) previous ones; a window's count
 * is the sum of its shares. A window already final keeps its flag when a share is added to it (a
 * stream or partition that started late, a backfill): its count stays exact, and its final_no
 * moves to this commit so the archiver writes the corrected row to Parquet again.
 */
async function addWindowShares(conn: DuckDBConnection, batch: ProcessedBatch, commitNo: number): Promise<void> {
  await conn.run('DELETE FROM sl_agg_stage');
  const stage = await conn.createAppender('sl_agg_stage');
  for (const w of batch.windows) {
    stage.appendVarchar(w.name);
    stage.appendVarchar(w.window);
    stage.appendBigInt(BigInt(w.windowStart));
    stage.appendBigInt(BigInt(w.windowEnd));
    stage.appendVarchar(w.group);
    stage.appendBigInt(BigInt(w.count));
    stage.appendVarchar(w.stream);
    stage.endRow();
  }
  stage.flushSync();
  stage.closeSync();
  const partition = batch.scope?.partition ?? -1;
  const sameWindow = 'w.name = s.name AND w.window_size = s.window_size AND w.window_start = s.window_start AND w.group_key = s.group_key';
  await conn.run(`DELETE FROM sl_window_parts w USING sl_agg_stage s WHERE w.partition = $1 AND w.stream = s.stream AND ${sameWindow}`, [partition]);
  await conn.run(`INSERT INTO sl_window_parts SELECT name, window_size, window_start, window_end, group_key, $1, count, stream FROM sl_agg_stage`, [partition]);
  const totals = `SELECT w.name, w.window_size, w.window_start, any_value(w.window_end) AS window_end, w.group_key, sum(w.count) AS total
    FROM sl_window_parts w SEMI JOIN sl_agg_stage s ON ${sameWindow}
    GROUP BY w.name, w.window_size, w.window_start, w.group_key`;
  await conn.run(
    `UPDATE aggregates a SET count = t.total, final_no = CASE WHEN a.final THEN $1 ELSE a.final_no END FROM (${totals}) t
     WHERE a.name = t.name AND a.window_size = t.window_size AND a.window_start = t.window_start AND a.group_key = t.group_key AND a.count <> t.total`,
    [BigInt(commitNo)],
  );
  await conn.run(`INSERT INTO aggregates SELECT t.name, t.window_size, t.window_start, t.window_end, t.group_key, t.total, false, NULL FROM (${totals}) t
    WHERE NOT EXISTS (SELECT 1 FROM aggregates a
      WHERE a.name = t.name AND a.window_size = t.window_size AND a.window_start = t.window_start AND a.group_key = t.group_key)`);
}

export async function storeOffsets(conn: DuckDBConnection, consumer: string, next: PartitionOffsets): Promise<void> {
  await conn.run('DELETE FROM sl_offsets WHERE pipeline = $1', [consumer]);
  const offsets = await conn.createAppender('sl_offsets');
  for (const [partition, offset] of next) {
    offsets.appendVarchar(consumer);
    offsets.appendInteger(partition);
    offsets.appendBigInt(BigInt(offset));
    offsets.endRow();
  }
  offsets.flushSync();
  offsets.closeSync();
}

/** Adds a batch's rule results to the summary rows of their buckets (inside the batch's transaction). */
async function addQualityCounts(conn: DuckDBConnection, counts: QualityCount[]): Promise<void> {
  await conn.run('DELETE FROM sl_quality_stage');
  const stage = await conn.createAppender('sl_quality_stage');
  for (const q of counts) {
    stage.appendVarchar(q.dataset);
    stage.appendVarchar(q.rule);
    stage.appendVarchar(q.severity);
    stage.appendBigInt(BigInt(q.bucketStart));
    stage.appendBigInt(BigInt(q.bucketEnd));
    stage.appendBigInt(BigInt(q.passed));
    stage.appendBigInt(BigInt(q.failed));
    stage.endRow();
  }
  stage.flushSync();
  stage.closeSync();
  await conn.run(`UPDATE quality_summary q SET passed = q.passed + s.passed, failed = q.failed + s.failed, severity = s.severity
    FROM sl_quality_stage s WHERE q.dataset = s.dataset AND q.rule = s.rule AND q.bucket_start = s.bucket_start`);
  await conn.run(`INSERT INTO quality_summary SELECT s.* FROM sl_quality_stage s WHERE NOT EXISTS (
    SELECT 1 FROM quality_summary q WHERE q.dataset = s.dataset AND q.rule = s.rule AND q.bucket_start = s.bucket_start)`);
}
