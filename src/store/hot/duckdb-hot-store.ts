import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import { SightlineError } from '../../core/errors.js';
import { deadLetterId, type ReplayOutcome, type StoredDeadLetter } from '../../core/dead-letter.js';
import { LOG_POS_PARTITION_SHIFT, logPosition, splitLogPosition } from '../../core/log-position.js';
import type { PartitionOffsets } from '../../core/ports/log.js';
import type { AggregateQuery, QualityQuery, LocatedEvent, RecentEventsQuery, StoredEvent, WindowRow } from '../../core/ports/event-queries.js';
import type { DeadLetterBatch, DeadLetterEntry, DeadLetterQuery } from '../../core/ports/dead-letter-index.js';
import type { QualityCount, EventRowsNdjson, PipelineCheckpoint, ProcessedBatch, WindowCount } from '../../core/ports/processed-batch.js';
import type { HotStore } from '../../core/ports/hot-store.js';
import type { HotStoreStats } from '../../core/ports/store-admin.js';
import { HOT_SCHEMA_SQL } from './schema-sql.js';

/** Rows of a result as objects with JS numbers for BIGINT columns (all ours fit in 2^53). */
async function rows(conn: DuckDBConnection, sql: string, values?: Record<string, unknown> | unknown[]): Promise<Array<Record<string, any>>> {
  const reader = await conn.runAndReadAll(sql, values as never);
  return reader.getRowObjects().map((row) => {
    const out: Record<string, any> = {};
    for (const [k, v] of Object.entries(row)) out[k] = typeof v === 'bigint' ? Number(v) : v;
    return out;
  });
}

const STAGE_COLUMNS =
  "{p: 'BIGINT', l: 'BOOLEAN', u: 'VARCHAR', m: 'JSON', e: 'STRUCT(id VARCHAR, source VARCHAR, type VARCHAR, timestamp BIGINT, payload JSON, metadata JSON)'}";
const MAX_STAGED_LINE_BYTES = 64 * 1024 * 1024;

function toStoredEvent(r: Record<string, any>): StoredEvent & { logPos: number } {
  return { logPos: r.log_pos, id: r.id, source: r.source, type: r.type, timestamp: r.timestamp, payload: JSON.parse(r.payload), metadata: JSON.parse(r.metadata) };
}

/** A dead letter's id (`partition-offset` in the dead-letter topic) as the table's key. */
function deadLetterPos(id: string): number {
  const [partition, offset] = id.split('-').map(Number) as [number, number];
  return logPosition(partition, offset);
}

function toDeadLetterEntry(r: Record<string, any>): DeadLetterEntry {
  const { partition, offset } = splitLogPosition(r.dlq_pos);
  const id = deadLetterId(partition, offset);
  const entry: DeadLetterEntry = {
    id,
    at: r.failed_at,
    reason: {
      code: r.code,
      stage: r.stage,
      message: r.message,
      ...(r.rule !== null && { rule: r.rule }),
      ...(r.schema_subject !== null && { schema: { subject: r.schema_subject, version: r.schema_version, id: r.schema_id } }),
      ...(r.traceparent !== null && { traceparent: r.traceparent }),
    },
    original: Buffer.from((r.original as { bytes: Uint8Array }).bytes),
  };
  if (r.event_id !== null) entry.eventId = r.event_id;
  if (r.source !== null) entry.source = r.source;
  if (r.type !== null) entry.type = r.type;
  if (r.origin !== null) entry.origin = r.origin;
  if (r.replay_of !== null) entry.replayOf = r.replay_of;
  if (r.original_size !== null) entry.originalSize = r.original_size;
  if (r.replay_outcome !== null) {
    const replay: ReplayOutcome = { entry: id, outcome: r.replay_outcome, at: r.replay_at };
    if (r.replay_code !== null) replay.code = r.replay_code;
    if (r.replay_message !== null) replay.message = r.replay_message;
    entry.replay = replay;
  }
  return entry;
}

function toWindowCount(r: Record<string, any>): WindowCount {
  return { name: r.name, window: r.window_size, windowStart: r.window_start, windowEnd: r.window_end, group: r.group_key, count: r.count };
}

/**
 * The embedded hot store: one DuckDB file. The processor writes through `writer`, a connection
 * of its own, one transaction per batch; queries use `reader`, so a long query never holds up a
 * commit (DuckDB's MVCC gives each its own snapshot).
 */
export class DuckDbHotStore implements HotStore {
  private commitNo = 0;
  private readonly commitListeners: Array<(rows: number) => void> = [];
  /** Write transactions share the writer connection, so they run one at a time. */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly stageDir: string,
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
  ) {}

  /** Takes DuckDB's exclusive file lock, which also guards the rest of the data folder. */
  static async open(file: string, options: { memoryLimit?: string } = {}): Promise<DuckDbHotStore> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file, options.memoryLimit ? { memory_limit: options.memoryLimit } : {});
    } catch (err) {
      const message = (err as Error).message;
      if (/Could not set lock/i.test(message)) {
        throw new SightlineError('SL_DATA_DIR_IN_USE', `the data folder is in use by another process (${message.replace(/^IO Error: /, '').split('. See also')[0]})`, { cause: err });
      }
      throw err;
    }
    // Only now, holding DuckDB's lock: a refused second process must not touch this folder.
    const stageDir = join(dirname(file), 'stage');
    await rm(stageDir, { recursive: true, force: true });
    await mkdir(stageDir, { recursive: true });
    const writer = await instance.connect();
    await writer.run(HOT_SCHEMA_SQL);
    const reader = await instance.connect();
    return new DuckDbHotStore(file, stageDir, instance, writer, reader);
  }

  /** A connection for work outside the processor's transactions (cold exports, ad hoc SQL). */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  loadCheckpoint(pipeline: string, partitions: number): Promise<PipelineCheckpoint> {
    return this.exclusive(() => this.readCheckpoint(pipeline, partitions));
  }

  private async readCheckpoint(pipeline: string, partitions: number): Promise<PipelineCheckpoint> {
    const offsets = new Map<number, number>();
    for (let p = 0; p < partitions; p++) offsets.set(p, 0);
    for (const r of await rows(this.writer, 'SELECT partition, next_offset FROM sl_offsets WHERE pipeline = $1', [pipeline])) {
      offsets.set(r.partition, r.next_offset);
    }
    const [state] = await rows(this.writer, 'SELECT watermark, finalized_through, commit_no, duplicates, late FROM sl_pipeline WHERE pipeline = $1', [
      pipeline,
    ]);
    const open = await rows(
      this.writer,
      'SELECT name, window_size, window_start, window_end, group_key, count FROM aggregates WHERE NOT final',
    );
    const [maxCommit] = await rows(this.writer, 'SELECT coalesce(max(commit_no), 0) AS n FROM sl_pipeline');
    this.commitNo = maxCommit?.n ?? 0;
    return {
      offsets,
      watermark: state?.watermark ?? null,
      finalizedThrough: state?.finalized_through ?? null,
      commitNo: state?.commit_no ?? 0,
      duplicates: state?.duplicates ?? 0,
      late: state?.late ?? 0,
      openWindows: open.map(toWindowCount),
    };
  }

  async idsSince(since: number): Promise<Array<{ id: string; timestamp: number }>> {
    return (await this.readWriter('SELECT id, timestamp FROM events WHERE timestamp >= $1', [since])) as Array<{ id: string; timestamp: number }>;
  }

  async fieldValuesSince(since: number, match: { source?: string; type?: string }, field: readonly string[]): Promise<Array<{ value: string; timestamp: number }>> {
    const [column, ...rest] = field;
    const params: unknown[] = [BigInt(since)];
    const where = ['timestamp >= $1'];
    if (match.source !== undefined) where.push(`source = $${params.push(match.source)}`);
    if (match.type !== undefined) where.push(`type = $${params.push(match.type)}`);
    let value: string;
    if (column === 'payload' || column === 'metadata') {
      // json_extract_string gives a string as itself and anything else as its JSON, as uniqueKey does.
      const jsonPath = '$' + rest.map((k) => `."${k.replaceAll('"', '\\"')}"`).join('');
      value = `json_extract_string(${column}, $${params.push(jsonPath)})`;
    } else if (column === 'id' || column === 'source' || column === 'type' || column === 'timestamp') {
      value = `CAST(${column} AS VARCHAR)`;
    } else {
      return [];
    }
    const found = await this.readWriter(`SELECT ${value} AS value, timestamp FROM events WHERE ${where.join(' AND ')} AND ${value} IS NOT NULL`, params);
    return found as Array<{ value: string; timestamp: number }>;
  }

  async newestEventTimes(): Promise<Array<{ source: string; timestamp: number }>> {
    return (await this.readWriter('SELECT source, max(timestamp) AS timestamp FROM events GROUP BY source')) as Array<{ source: string; timestamp: number }>;
  }

  async existingIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const reader = await this.exclusive(() =>
      this.writer.runAndReadAll('SELECT DISTINCT id FROM events WHERE id IN (SELECT unnest($1))', [listValue([...ids])], [LIST(VARCHAR)]),
    );
    const found = reader.getRowObjects();
    return new Set(found.map((r) => r.id as string));
  }

  get lastCommitNo(): number {
    return this.commitNo;
  }

  /** Calls `listener` with the rows of every commit, after it committed (the archiver rolls by size). */
  onCommitted(listener: (rows: number) => void): void {
    this.commitListeners.push(listener);
  }

  /** The last commit number: every batch committed moves it. */
  generation(): number {
    return this.commitNo;
  }

  /**
   * A read on the writer connection (it sees the processor's own commits at once). A connection
   * runs one statement at a time, so reads queue with the write transactions.
   */
  private readWriter(sql: string, params?: unknown[]): Promise<Array<Record<string, any>>> {
    return this.exclusive(() => rows(this.writer, sql, params));
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work, work);
    this.writes = run.catch(() => undefined);
    return run;
  }

  commit(batch: ProcessedBatch): Promise<void> {
    return this.commitAll([batch]);
  }

  commitAll(batches: readonly ProcessedBatch[]): Promise<void> {
    return this.exclusive(() => this.commitBatches(batches));
  }

  /** One transaction, one commit number per batch in order: all of them are stored, or none. */
  private async commitBatches(batches: readonly ProcessedBatch[]): Promise<void> {
    if (batches.length === 0) return;
    const conn = this.writer;
    const stageFiles: Array<string | undefined> = [];
    try {
      for (const [i, batch] of batches.entries()) stageFiles.push(batch.rows.count > 0 ? await this.stageRows(batch.rows, this.commitNo + 1 + i) : undefined);
      await conn.run('BEGIN TRANSACTION');
      try {
        for (const [i, batch] of batches.entries()) await this.applyBatch(batch, this.commitNo + 1 + i, stageFiles[i]);
        await conn.run('COMMIT');
        this.commitNo += batches.length;
        let rows = 0;
        for (const batch of batches) rows += batch.rows.count;
        for (const listener of this.commitListeners) listener(rows);
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw new SightlineError('SL_STORE_WRITE_FAILED', `hot store commit failed: ${(err as Error).message}`, { cause: err });
      }
    } finally {
      for (const file of stageFiles) if (file) await rm(file, { force: true });
    }
  }

  /** A batch's writes, inside the caller's transaction. */
  private async applyBatch(batch: ProcessedBatch, commitNo: number, stageFile: string | undefined): Promise<void> {
    const conn = this.writer;
    if (stageFile) {
      // In event-time order, so DuckDB's per-row-group min/max let time filters skip data.
      await conn.run(
        `INSERT INTO events (log_pos, id, source, type, timestamp, user_id, payload, metadata, late, commit_no)
         SELECT p, e.id, e.source, e.type, e.timestamp, u, e.payload,
                coalesce(m, e.metadata, '{}'),
                l, $1
         FROM read_json($2, format = 'newline_delimited', maximum_object_size = ${MAX_STAGED_LINE_BYTES}, columns = ${STAGE_COLUMNS})
         ORDER BY e.timestamp, p`,
        [BigInt(commitNo), stageFile],
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
    if (batch.windows.length > 0) {
      await conn.run('DELETE FROM sl_agg_stage');
      const stage = await conn.createAppender('sl_agg_stage');
      for (const w of batch.windows) {
        stage.appendVarchar(w.name);
        stage.appendVarchar(w.window);
        stage.appendBigInt(BigInt(w.windowStart));
        stage.appendBigInt(BigInt(w.windowEnd));
        stage.appendVarchar(w.group);
        stage.appendBigInt(BigInt(w.count));
        stage.endRow();
      }
      stage.flushSync();
      stage.closeSync();
      if (batch.scope) {
        // One partition's share replaces its previous share; the window's count is the sum of the
        // shares. A window already final keeps its flag: a partition that had processed nothing
        // when the others passed the window can still add to it, and its count stays exact.
        const partition = batch.scope.partition;
        await conn.run(
          `DELETE FROM sl_window_parts w USING sl_agg_stage s
           WHERE w.partition = $1 AND w.name = s.name AND w.window_size = s.window_size AND w.window_start = s.window_start AND w.group_key = s.group_key`,
          [partition],
        );
        await conn.run(`INSERT INTO sl_window_parts SELECT name, window_size, window_start, window_end, group_key, $1, count FROM sl_agg_stage`, [partition]);
        const totals = `SELECT w.name, w.window_size, w.window_start, any_value(w.window_end) AS window_end, w.group_key, sum(w.count) AS total
          FROM sl_window_parts w SEMI JOIN sl_agg_stage s
            ON w.name = s.name AND w.window_size = s.window_size AND w.window_start = s.window_start AND w.group_key = s.group_key
          GROUP BY w.name, w.window_size, w.window_start, w.group_key`;
        await conn.run(`UPDATE aggregates a SET count = t.total FROM (${totals}) t
          WHERE a.name = t.name AND a.window_size = t.window_size AND a.window_start = t.window_start AND a.group_key = t.group_key`);
        await conn.run(`INSERT INTO aggregates SELECT t.name, t.window_size, t.window_start, t.window_end, t.group_key, t.total, false, NULL FROM (${totals}) t
          WHERE NOT EXISTS (SELECT 1 FROM aggregates a
            WHERE a.name = t.name AND a.window_size = t.window_size AND a.window_start = t.window_start AND a.group_key = t.group_key)`);
      } else {
        // Counts are absolute, so replacing the row is idempotent; no key constraint, because
        // DuckDB's index checks reject an update of a key touched earlier in the same transaction.
        await conn.run(`DELETE FROM aggregates a USING sl_agg_stage s
          WHERE a.name = s.name AND a.window_size = s.window_size AND a.window_start = s.window_start AND a.group_key = s.group_key`);
        await conn.run(`INSERT INTO aggregates SELECT name, window_size, window_start, window_end, group_key, count, false, NULL FROM sl_agg_stage`);
      }
    }
    if (batch.quality && batch.quality.length > 0) await this.addQualityCounts(batch.quality);
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
    const finalizeThrough = batch.scope ? batch.scope.finalizeAggregatesThrough : batch.finalizeThrough;
    if (finalizeThrough !== null) {
      await conn.run('UPDATE aggregates SET final = true, final_no = $1 WHERE NOT final AND window_end <= $2', [BigInt(commitNo), BigInt(finalizeThrough)]);
    }
    await this.storeOffsets(batch.pipeline, batch.offsets);
    await conn.run('DELETE FROM sl_pipeline WHERE pipeline = $1', [batch.pipeline]);
    await conn.run('INSERT INTO sl_pipeline VALUES ($1, $2, $3, $4, $5, $6)', [
      batch.pipeline,
      batch.watermark === null ? null : BigInt(batch.watermark),
      batch.finalizeThrough === null ? null : BigInt(batch.finalizeThrough),
      BigInt(commitNo),
      BigInt(batch.duplicates),
      BigInt(batch.late),
    ]);
  }

  private async storeOffsets(consumer: string, next: PartitionOffsets): Promise<void> {
    await this.writer.run('DELETE FROM sl_offsets WHERE pipeline = $1', [consumer]);
    const offsets = await this.writer.createAppender('sl_offsets');
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
  private async addQualityCounts(counts: QualityCount[]): Promise<void> {
    const conn = this.writer;
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

  async qualitySummary(q: QualityQuery): Promise<QualityCount[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    if (q.dataset !== undefined) where.push(`dataset = $${params.push(q.dataset)}`);
    if (q.rule !== undefined) where.push(`rule = $${params.push(q.rule)}`);
    if (q.from !== undefined) where.push(`bucket_start >= $${params.push(BigInt(q.from))}`);
    if (q.to !== undefined) where.push(`bucket_start < $${params.push(BigInt(q.to))}`);
    const sql = `SELECT dataset, rule, severity, bucket_start, bucket_end, passed, failed FROM quality_summary
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY bucket_start DESC, dataset, rule LIMIT $${params.push(q.limit)}`;
    return (await this.query(sql, params)).map((r) => ({
      dataset: r.dataset,
      rule: r.rule,
      severity: r.severity,
      bucketStart: r.bucket_start,
      bucketEnd: r.bucket_end,
      passed: r.passed,
      failed: r.failed,
    }));
  }

  async loadOffsets(consumer: string, partitions: number): Promise<PartitionOffsets> {
    const offsets = new Map<number, number>();
    for (let p = 0; p < partitions; p++) offsets.set(p, 0);
    for (const r of await this.readWriter('SELECT partition, next_offset FROM sl_offsets WHERE pipeline = $1', [consumer])) {
      offsets.set(r.partition, r.next_offset);
    }
    return offsets;
  }

  /**
   * Set-based, so a burst of dead letters costs a few statements, not a few per letter: letters
   * are appended to a stage table and inserted with one anti-join that drops repeats (same origin,
   * code and replay_of, in the table or earlier in the batch); outcomes (and the failure a child
   * letter reports for the letter it replays) are applied last-in-topic-order-wins.
   */
  commitDeadLetters(batch: DeadLetterBatch): Promise<void> {
    return this.exclusive(async () => {
      const conn = this.writer;
      await conn.run('BEGIN TRANSACTION');
      try {
        const letters: StoredDeadLetter[] = [];
        const outcomes: Array<ReplayOutcome & { pos: number }> = [];
        batch.records.forEach((record, pos) => {
          if (record.kind === 'outcome') {
            outcomes.push({ ...record.outcome, pos });
            return;
          }
          const { letter } = record;
          letters.push(letter);
          if (letter.replayOf !== undefined) outcomes.push({ entry: letter.replayOf, outcome: 'failed', at: letter.at, code: letter.reason.code, message: letter.reason.message, pos });
        });
        if (letters.length > 0) await this.insertDeadLetters(letters);
        if (outcomes.length > 0) await this.applyOutcomes(outcomes);
        await this.storeOffsets(batch.consumer, batch.offsets);
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw new SightlineError('SL_STORE_WRITE_FAILED', `hot store dead-letter commit failed: ${(err as Error).message}`, { cause: err });
      }
    });
  }

  private async insertDeadLetters(letters: readonly StoredDeadLetter[]): Promise<void> {
    const conn = this.writer;
    await conn.run('DELETE FROM sl_dlq_stage');
    const stage = await conn.createAppender('sl_dlq_stage');
    const text = (v: string | undefined): void => (v === undefined ? stage.appendNull() : stage.appendVarchar(v));
    const int = (v: number | undefined): void => (v === undefined ? stage.appendNull() : stage.appendInteger(v));
    const big = (v: number | undefined): void => (v === undefined ? stage.appendNull() : stage.appendBigInt(BigInt(v)));
    for (const l of letters) {
      big(deadLetterPos(l.id));
      big(l.at);
      text(l.reason.stage);
      text(l.reason.code);
      text(l.reason.rule);
      text(l.reason.message);
      text(l.eventId);
      text(l.source);
      text(l.type);
      text(l.reason.schema?.subject);
      int(l.reason.schema?.version);
      int(l.reason.schema?.id);
      text(l.reason.traceparent);
      text(l.origin);
      text(l.replayOf);
      stage.appendBlob(l.original);
      big(l.originalSize);
      stage.endRow();
    }
    stage.flushSync();
    stage.closeSync();
    await conn.run(`INSERT INTO dead_letters (dlq_pos, failed_at, stage, code, rule, message, event_id, source, type, schema_subject, schema_version,
        schema_id, traceparent, origin, replay_of, original, original_size)
      SELECT dlq_pos, failed_at, stage, code, rule, message, event_id, source, type, schema_subject, schema_version,
        schema_id, traceparent, origin, replay_of, original, original_size
      FROM sl_dlq_stage s
      WHERE s.origin IS NULL OR NOT EXISTS (
        SELECT 1 FROM dead_letters d WHERE d.origin = s.origin AND d.code = s.code AND d.replay_of IS NOT DISTINCT FROM s.replay_of)
      QUALIFY s.origin IS NULL OR row_number() OVER (PARTITION BY s.origin, s.code, s.replay_of ORDER BY s.dlq_pos) = 1`);
  }

  private async applyOutcomes(outcomes: ReadonlyArray<ReplayOutcome & { pos: number }>): Promise<void> {
    const conn = this.writer;
    await conn.run('DELETE FROM sl_dlq_outcome_stage');
    const stage = await conn.createAppender('sl_dlq_outcome_stage');
    for (const o of outcomes) {
      stage.appendBigInt(BigInt(deadLetterPos(o.entry)));
      stage.appendInteger(o.pos);
      stage.appendVarchar(o.outcome);
      stage.appendBigInt(BigInt(o.at));
      if (o.code === undefined) stage.appendNull();
      else stage.appendVarchar(o.code);
      if (o.message === undefined) stage.appendNull();
      else stage.appendVarchar(o.message);
      stage.endRow();
    }
    stage.flushSync();
    stage.closeSync();
    await conn.run(`UPDATE dead_letters d SET replay_outcome = s.outcome, replay_at = s.at_ms, replay_code = s.code, replay_message = s.message
      FROM (SELECT * FROM sl_dlq_outcome_stage QUALIFY row_number() OVER (PARTITION BY entry_pos ORDER BY pos DESC) = 1) s
      WHERE d.dlq_pos = s.entry_pos`);
  }

  async deadLetters(q: DeadLetterQuery): Promise<DeadLetterEntry[]> {
    const params: unknown[] = [];
    const where: string[] = [];
    const eq = (column: string, value: string | undefined): void => {
      if (value !== undefined) where.push(`${column} = $${params.push(value)}`);
    };
    eq('stage', q.stage);
    eq('code', q.code);
    eq('rule', q.rule);
    eq('source', q.source);
    eq('type', q.type);
    eq('event_id', q.eventId);
    if (q.since !== undefined) where.push(`failed_at >= $${params.push(BigInt(q.since))}`);
    if (q.until !== undefined) where.push(`failed_at < $${params.push(BigInt(q.until))}`);
    if (q.replayed === true) where.push(`replay_outcome IN ('replayed', 'duplicate')`);
    if (q.replayed === false) where.push(`(replay_outcome IS NULL OR replay_outcome = 'failed')`);
    if (q.before !== undefined) where.push(`dlq_pos < $${params.push(BigInt(deadLetterPos(q.before)))}`);
    const sql = `SELECT * FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY dlq_pos DESC LIMIT $${params.push(q.limit)}`;
    return (await this.query(sql, params)).map(toDeadLetterEntry);
  }

  async deadLetter(id: string): Promise<DeadLetterEntry | undefined> {
    const [r] = await this.query('SELECT * FROM dead_letters WHERE dlq_pos = $1', [BigInt(deadLetterPos(id))]);
    return r && toDeadLetterEntry(r);
  }

  /**
   * Writes a batch's rows (NDJSON wrapping each event's stored JSON) for DuckDB's read_json, which
   * then parses and stores them in its own threads; a row-by-row appender would cost several
   * N-API calls a row on the event loop. Not fsynced: it only lives for the transaction that reads it.
   */
  private async stageRows(rows: EventRowsNdjson, commitNo: number): Promise<string> {
    const file = join(this.stageDir, `batch-${commitNo}.ndjson`);
    await mkdir(this.stageDir, { recursive: true });
    await writeFile(file, rows.ndjson);
    return file;
  }

  async recentEvents(q: RecentEventsQuery): Promise<Array<StoredEvent & { logPos: number }>> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown): void => {
      params.push(value);
      where.push(sql.replaceAll('?', `$${params.length}`));
    };
    if (q.source !== undefined) add('source = ?', q.source);
    if (q.type !== undefined) add('type = ?', q.type);
    if (q.userId !== undefined) add('user_id = ?', q.userId);
    if (q.before) {
      params.push(BigInt(q.before.timestamp), BigInt(q.before.logPos));
      where.push(`(timestamp < $${params.length - 1} OR (timestamp = $${params.length - 1} AND log_pos < $${params.length}))`);
    }
    params.push(q.limit);
    const sql = `SELECT log_pos, id, source, type, timestamp, payload, metadata FROM events
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY timestamp DESC, log_pos DESC LIMIT $${params.length}`;
    return (await this.query(sql, params)).map(toStoredEvent);
  }

  async eventById(id: string): Promise<LocatedEvent | undefined> {
    const [r] = await this.query(
      `SELECT log_pos, id, source, type, timestamp, payload, metadata, late, e.commit_no,
              (SELECT trace_id FROM event_traces t
                WHERE t.partition = e.log_pos // ${LOG_POS_PARTITION_SHIFT} AND e.log_pos % ${LOG_POS_PARTITION_SHIFT} BETWEEN t.from_offset AND t.to_offset LIMIT 1) AS trace_id,
              c.node AS lineage_node, c.sightline_version AS lineage_version, c.steps AS lineage_steps, c.committed_at AS lineage_at
       FROM events e LEFT JOIN sl_commits c ON c.commit_no = e.commit_no WHERE id = $1 LIMIT 1`,
      [id],
    );
    if (!r) return undefined;
    const located: LocatedEvent = { ...toStoredEvent(r), commitNo: r.commit_no, late: r.late, traceId: r.trace_id ?? null };
    if (r.lineage_node !== null) {
      located.lineage = { node: r.lineage_node, version: r.lineage_version, steps: JSON.parse(r.lineage_steps), committedAt: r.lineage_at };
    }
    return located;
  }

  async aggregates(q: AggregateQuery): Promise<WindowRow[]> {
    const params: unknown[] = [q.name, q.window];
    const where = ['name = $1', 'window_size = $2'];
    if (q.from !== undefined) where.push(`window_start >= $${params.push(BigInt(q.from))}`);
    if (q.to !== undefined) where.push(`window_start < $${params.push(BigInt(q.to))}`);
    if (q.group !== undefined) where.push(`group_key = $${params.push(q.group)}`);
    const sql = `SELECT name, window_size, window_start, window_end, group_key, count, final FROM aggregates
      WHERE ${where.join(' AND ')} ORDER BY window_start, group_key LIMIT $${params.push(q.limit)}`;
    return (await this.query(sql, params)).map((r) => ({ ...toWindowCount(r), final: r.final as boolean }));
  }

  private async query(sql: string, params: unknown[]): Promise<Array<Record<string, any>>> {
    try {
      return await rows(this.reader, sql, params);
    } catch (err) {
      throw new SightlineError('SL_STORE_QUERY_FAILED', `hot store query failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Undefined when the store answers a trivial query within `timeoutMs`, else why not. */
  async ping(timeoutMs: number): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
    });
    try {
      return await Promise.race([this.reader.run('SELECT 1').then(() => undefined, (err: Error) => err.message), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stats(): Promise<HotStoreStats> {
    const tables = [];
    for (const table of ['events', 'aggregates', 'dead_letters', 'quality_summary']) {
      const [r] = await rows(this.reader, `SELECT count(*) AS n FROM ${table}`);
      tables.push({ table, rows: r?.n ?? 0 });
    }
    const [late] = await rows(this.reader, 'SELECT count(*) AS n FROM late_events');
    tables.push({ table: 'late_events', rows: late?.n ?? 0 });
    let bytes = 0;
    for (const suffix of ['', '.wal']) bytes += await stat(this.file + suffix).then((s) => s.size, () => 0);
    return { file: this.file, bytes, tables };
  }

  writable(): Promise<string | undefined> {
    return this.exclusive(async () => {
      try {
        await this.writer.run('BEGIN TRANSACTION');
        await this.writer.run('CREATE TABLE IF NOT EXISTS sl_write_probe (written_at BIGINT)');
        await this.writer.run('DELETE FROM sl_write_probe');
        await this.writer.run('INSERT INTO sl_write_probe VALUES ($1)', [BigInt(Date.now())]);
        await this.writer.run('COMMIT');
        return undefined;
      } catch (err) {
        await this.writer.run('ROLLBACK').catch(() => undefined);
        return (err as Error).message;
      }
    });
  }

  private columnCache: Array<{ table: string; columns: Array<{ name: string; type: string }> }> | undefined;

  /** The schema is fixed for a process's life, so it is read once. */
  async columns(): Promise<Array<{ table: string; columns: Array<{ name: string; type: string }> }>> {
    if (!this.columnCache) {
      const found = await this.query(
        `SELECT table_name, column_name, data_type FROM information_schema.columns
         WHERE table_schema = 'main' AND table_name NOT LIKE 'sl\\_%' ESCAPE '\\' ORDER BY table_name, ordinal_position`,
        [],
      );
      const byTable = new Map<string, Array<{ name: string; type: string }>>();
      for (const r of found) {
        const list = byTable.get(r.table_name) ?? [];
        list.push({ name: r.column_name, type: r.data_type });
        byTable.set(r.table_name, list);
      }
      this.columnCache = [...byTable].map(([table, columns]) => ({ table, columns }));
    }
    return this.columnCache;
  }

  async close(): Promise<void> {
    await this.writer.run('CHECKPOINT').catch(() => undefined);
    this.writer.closeSync();
    this.reader.closeSync();
    this.instance.closeSync();
  }
}
