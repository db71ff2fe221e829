import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import { SightlineError } from '../../core/errors.js';
import { NOT_PROBE_SQL } from '../../core/probe-event.js';
import type { ProcessorCounters } from '../../core/processor-counters.js';
import { LOG_POS_PARTITION_SHIFT } from '../../core/log-position.js';
import type { PartitionOffsets } from '../../core/ports/log.js';
import type { AggregateQuery, QualityQuery, LocatedEvent, RecentEventsQuery, StoredEvent, WindowChanges, WindowRow } from '../../core/ports/event-queries.js';
import type { DeadLetterBatch, DeadLetterEntry, DeadLetterQuery } from '../../core/ports/dead-letter-index.js';
import type { FinalBounds, QualityCount, PipelineCheckpoint, ProcessedBatch, SeenId, StreamTime } from '../../core/ports/processed-batch.js';
import type { HotStore } from '../../core/ports/hot-store.js';
import type { HotStoreStats } from '../../core/ports/store-admin.js';
import { HOT_SCHEMA_SQL } from './schema-sql.js';
import { applyBatch, type StagedRows, stageRows, storeOffsets } from './duckdb-batch-writes.js';
import { applyOutcomes, deadLetterPos, deadLettersQuery, insertDeadLetters, lettersAndOutcomes, toDeadLetterEntry } from './duckdb-dead-letters.js';
import type { ErasureScope } from '../../core/erasure.js';
import { eraseSubjectRows } from './duckdb-erasure.js';
import { type ArchivedCutoffs, dropArchivedRows } from './duckdb-retention.js';
import { ReadGate } from './read-gate.js';
import { WindowChangeFeed } from './window-changes.js';
import { confineFiles, probeWrite } from './duckdb-guards.js';
import { type DuckDbEncryption, openInstance } from './duckdb-encryption.js';
import { rows, toStoredEvent, toWindowCount } from './duckdb-rows.js';

/**
 * The embedded hot store: one DuckDB file. The processor writes through `writer`, a connection
 * of its own, one transaction per batch; queries use `reader`, so a long query never holds up a
 * commit (DuckDB's MVCC gives each its own snapshot).
 */
export class DuckDbHotStore implements HotStore {
  private commitNo = 0;
  /** Changes to stored rows outside commits (a backfill's): they move the generation too. */
  private revisions = 0;
  private readonly commitListeners: Array<(rows: number) => void> = [];
  /** SQL on read enters it; what moves rows out of the hot store (retention, staged changes) waits for it to be empty. */
  readonly readGate = new ReadGate();
  /** Which windows each change touched, for the caches of answers over them (cold retention tells it too). */
  readonly windowChanges = new WindowChangeFeed();
  /** Write transactions share the writer connection, so they run one at a time. */
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly stageDir: string,
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly reader: DuckDBConnection,
    private readonly prepare: (conn: DuckDBConnection) => Promise<void>,
    /** Whether the cold files this store's connections write and read are encrypted. */
    readonly encryptsParquet: boolean,
  ) {}

  /** Takes DuckDB's exclusive file lock, which also guards the rest of the data folder. */
  static async open(file: string, options: { memoryLimit?: string; threads?: number; encryption?: DuckDbEncryption & { parquetKey: Buffer } } = {}): Promise<DuckDbHotStore> {
    let instance: DuckDBInstance;
    let prepare: (conn: DuckDBConnection) => Promise<void>;
    const { encryption } = options;
    try {
      ({ instance, prepare } = await openInstance(file, { ...(options.memoryLimit && { memory_limit: options.memoryLimit }), ...(options.threads && { threads: String(options.threads) }) }, encryption));
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
    await prepare(writer);
    await writer.run(HOT_SCHEMA_SQL);
    const reader = await instance.connect();
    await prepare(reader);
    return new DuckDbHotStore(file, stageDir, instance, writer, reader, prepare, encryption !== undefined);
  }

  /** From now on this DuckDB touches files only under `dirs`, and no network (duckdb-guards.ts). */
  confineFiles(dirs: readonly string[]): Promise<void> {
    return confineFiles(this.writer, dirs);
  }

  /** A connection for work outside the processor's transactions (cold exports, ad hoc SQL). */
  async connect(): Promise<DuckDBConnection> {
    const conn = await this.instance.connect();
    await this.prepare(conn);
    return conn;
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
    const [state] = await rows(this.writer, 'SELECT watermark, finalized_through, commit_no, duplicates, late, streams, final_bounds, counters FROM sl_pipeline WHERE pipeline = $1', [
      pipeline,
    ]);
    const streams = state?.streams ? (JSON.parse(state.streams as string) as StreamTime[]) : [];
    // A share is open until its stream's bound passes it; a share of no stream (from before shares
    // per stream) never changes again.
    const finalFor = new Map(streams.map((s) => [s.stream, s.finalizedThrough ?? Number.NEGATIVE_INFINITY]));
    // Only shares ending after the earliest stream's bound can be open: not every window ever kept.
    let earliest = Number.MAX_SAFE_INTEGER;
    for (const s of streams) earliest = Math.min(earliest, s.finalizedThrough ?? Number.MIN_SAFE_INTEGER);
    if (streams.length === 0) earliest = Number.MIN_SAFE_INTEGER;
    const open = (
      await rows(this.writer, "SELECT name, window_size, window_start, window_end, group_key, stream, count FROM sl_window_parts WHERE partition = -1 AND stream <> '' AND window_end > $1", [
        BigInt(earliest),
      ])
    )
      .map(toWindowCount)
      .filter((w) => w.windowEnd > (finalFor.get(w.stream) ?? Number.NEGATIVE_INFINITY));
    const [maxCommit] = await rows(this.writer, 'SELECT coalesce(max(commit_no), 0) AS n FROM sl_pipeline');
    this.commitNo = maxCommit?.n ?? 0;
    return {
      offsets,
      watermark: state?.watermark ?? null,
      streams,
      finalBounds: state?.final_bounds ? (JSON.parse(state.final_bounds as string) as FinalBounds) : {},
      commitNo: state?.commit_no ?? 0,
      duplicates: state?.duplicates ?? 0,
      late: state?.late ?? 0,
      ...(state?.counters && { counters: JSON.parse(state.counters as string) as ProcessorCounters }),
      openWindows: open,
    };
  }

  async idsSince(since: number): Promise<SeenId[]> {
    return (await this.readWriter("SELECT id, timestamp, source || '/' || type AS stream FROM events WHERE timestamp >= $1", [since])) as SeenId[];
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
    return (await this.readWriter(`SELECT source, max(timestamp) AS timestamp FROM events WHERE ${NOT_PROBE_SQL} GROUP BY source`)) as Array<{ source: string; timestamp: number }>;
  }

  async forgetProbeEvents(which: { from: number; to: number; id?: string; othersBefore: number }): Promise<number> {
    return this.exclusive(async () => {
      const result = await this.writer.run(
        `DELETE FROM events WHERE timestamp BETWEEN $1 AND $2 AND NOT (${NOT_PROBE_SQL}) AND (id = $3 OR timestamp < $4)`,
        [BigInt(which.from), BigInt(which.to), which.id ?? null, BigInt(which.othersBefore)],
      );
      return Number(result.rowsChanged);
    });
  }

  /** Hot retention: deletes the rows `cutoffs` allows, those the cold tables hold (duckdb-retention.ts). */
  dropArchived(cutoffs: ArchivedCutoffs): Promise<{ events: number; windows: number }> {
    return this.readGate.exclusive(() => this.exclusive(() => dropArchivedRows(this.writer, cutoffs))).finally(() => this.windowChanges.all());
  }

  /** Deletes a user's events and dead letters (a deletion request); aggregates keep their counts. */
  eraseSubject(scope: ErasureScope): Promise<{ events: number; deadLetters: number }> {
    return this.exclusive(() => eraseSubjectRows(this.writer, scope));
  }

  /**
   * Runs a change the archiver staged (a backfill's rows and windows, dead letters that moved to
   * the tables) on the writer connection, between commits; cached answers become stale.
   */
  async applyStaged<T>(change: (writer: DuckDBConnection) => Promise<T>): Promise<T> {
    const out = await this.readGate.exclusive(() => this.exclusive(() => change(this.writer))).finally(() => this.windowChanges.all());
    this.revisions++;
    return out;
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

  /** Moves with every batch committed and every change a backfill makes: cached answers older than it are stale. */
  onWindowsChanged(listener: (changes: WindowChanges) => void): void {
    this.windowChanges.on(listener);
  }

  generation(): number {
    return this.commitNo + this.revisions;
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
    const stageFiles: Array<StagedRows | undefined> = [];
    try {
      for (const [i, batch] of batches.entries()) stageFiles.push(batch.rows.count > 0 ? await stageRows(this.stageDir, batch.rows, this.commitNo + 1 + i) : undefined);
      await conn.run('BEGIN TRANSACTION');
      try {
        for (const [i, batch] of batches.entries()) await applyBatch(conn, batch, this.commitNo + 1 + i, stageFiles[i]);
        await conn.run('COMMIT');
        this.commitNo += batches.length;
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw new SightlineError('SL_STORE_WRITE_FAILED', `hot store commit failed: ${(err as Error).message}`, { cause: err });
      }
    } finally {
      for (const staged of stageFiles) if (staged) await rm(staged.file, { force: true });
    }
    let rows = 0;
    for (const batch of batches) rows += batch.rows.count;
    this.windowChanges.committed(batches);
    for (const listener of this.commitListeners) listener(rows);
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
        const { letters, outcomes } = lettersAndOutcomes(batch.records);
        if (letters.length > 0) await insertDeadLetters(conn, letters);
        if (outcomes.length > 0) await applyOutcomes(conn, outcomes);
        await storeOffsets(conn, batch.consumer, batch.offsets);
        await conn.run('COMMIT');
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw new SightlineError('SL_STORE_WRITE_FAILED', `hot store dead-letter commit failed: ${(err as Error).message}`, { cause: err });
      }
    });
  }

  async deadLetters(q: DeadLetterQuery): Promise<DeadLetterEntry[]> {
    const { sql, params } = deadLettersQuery(q);
    return (await this.query(sql, params)).map(toDeadLetterEntry);
  }

  async deadLetter(id: string): Promise<DeadLetterEntry | undefined> {
    const [r] = await this.query('SELECT * FROM dead_letters WHERE dlq_pos = $1', [BigInt(deadLetterPos(id))]);
    return r && toDeadLetterEntry(r);
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
    // The probe's events are the platform's, not the user's: listed only when asked for by source.
    if (q.source === undefined) where.push(NOT_PROBE_SQL);
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
    return (await this.query(sql, params)).map((r) => {
      const { stream: _summed, ...count } = toWindowCount(r);
      return { ...count, final: r.final as boolean };
    });
  }

  /** A read on the reader connection: its own snapshot, never queued behind a commit. */
  async query(sql: string, params: unknown[] = []): Promise<Array<Record<string, any>>> {
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
    return this.exclusive(() => probeWrite(this.writer));
  }

  private columnCache: Array<{ table: string; columns: Array<{ name: string; type: string }> }> | undefined;

  /** The schema is fixed for a process's life, so it is read once. */
  async columns(): Promise<Array<{ table: string; columns: Array<{ name: string; type: string }> }>> {
    if (!this.columnCache) {
      const found = await this.query(
        `SELECT table_name, column_name, data_type FROM information_schema.columns
         WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name NOT LIKE 'sl\\_%' ESCAPE '\\' ORDER BY table_name, ordinal_position`,
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
