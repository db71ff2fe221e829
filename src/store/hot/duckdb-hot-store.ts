import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import { SightlineError } from '../../core/errors.js';
import { LOG_POS_PARTITION_SHIFT } from '../../core/log-position.js';
import type {
  AggregateQuery,
  EventRowsNdjson,
  HotStore,
  HotStoreStats,
  LocatedEvent,
  PipelineCheckpoint,
  ProcessedBatch,
  RecentEventsQuery,
  StoredEvent,
  WindowCount,
  WindowRow,
} from '../../core/ports/hot-store.js';
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

  async loadCheckpoint(pipeline: string, partitions: number): Promise<PipelineCheckpoint> {
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
    return (await rows(this.writer, 'SELECT id, timestamp FROM events WHERE timestamp >= $1', [since])) as Array<{ id: string; timestamp: number }>;
  }

  async existingIds(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const reader = await this.writer.runAndReadAll('SELECT DISTINCT id FROM events WHERE id IN (SELECT unnest($1))', [listValue([...ids])], [
      LIST(VARCHAR),
    ]);
    const found = reader.getRowObjects();
    return new Set(found.map((r) => r.id as string));
  }

  get lastCommitNo(): number {
    return this.commitNo;
  }

  async commit(batch: ProcessedBatch): Promise<void> {
    const commitNo = this.commitNo + 1;
    const conn = this.writer;
    const stageFile = batch.rows.count > 0 ? await this.stageRows(batch.rows, commitNo) : undefined;
    await conn.run('BEGIN TRANSACTION');
    try {
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
        // Counts are absolute, so replacing the row is idempotent; no key constraint, because
        // DuckDB's index checks reject an update of a key touched earlier in the same transaction.
        await conn.run(`DELETE FROM aggregates a USING sl_agg_stage s
          WHERE a.name = s.name AND a.window_size = s.window_size AND a.window_start = s.window_start AND a.group_key = s.group_key`);
        await conn.run(`INSERT INTO aggregates SELECT name, window_size, window_start, window_end, group_key, count, false, NULL FROM sl_agg_stage`);
      }
      if (batch.finalizeThrough !== null) {
        await conn.run('UPDATE aggregates SET final = true, final_no = $1 WHERE NOT final AND window_end <= $2', [
          BigInt(commitNo),
          BigInt(batch.finalizeThrough),
        ]);
      }
      await conn.run('DELETE FROM sl_offsets WHERE pipeline = $1', [batch.pipeline]);
      const offsets = await conn.createAppender('sl_offsets');
      for (const [partition, next] of batch.offsets) {
        offsets.appendVarchar(batch.pipeline);
        offsets.appendInteger(partition);
        offsets.appendBigInt(BigInt(next));
        offsets.endRow();
      }
      offsets.flushSync();
      offsets.closeSync();
      await conn.run('DELETE FROM sl_pipeline WHERE pipeline = $1', [batch.pipeline]);
      await conn.run('INSERT INTO sl_pipeline VALUES ($1, $2, $3, $4, $5, $6)', [
        batch.pipeline,
        batch.watermark === null ? null : BigInt(batch.watermark),
        batch.finalizeThrough === null ? null : BigInt(batch.finalizeThrough),
        BigInt(commitNo),
        BigInt(batch.duplicates),
        BigInt(batch.late),
      ]);
      await conn.run('COMMIT');
      this.commitNo = commitNo;
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw new SightlineError('SL_STORE_WRITE_FAILED', `hot store commit failed: ${(err as Error).message}`, { cause: err });
    } finally {
      if (stageFile) await rm(stageFile, { force: true });
    }
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
      `SELECT log_pos, id, source, type, timestamp, payload, metadata, late, commit_no,
              (SELECT trace_id FROM event_traces t
                WHERE t.partition = e.log_pos // ${LOG_POS_PARTITION_SHIFT} AND e.log_pos % ${LOG_POS_PARTITION_SHIFT} BETWEEN t.from_offset AND t.to_offset LIMIT 1) AS trace_id
       FROM events e WHERE id = $1 LIMIT 1`,
      [id],
    );
    return r && { ...toStoredEvent(r), commitNo: r.commit_no, late: r.late, traceId: r.trace_id ?? null };
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
    for (const table of ['events', 'aggregates']) {
      const [r] = await rows(this.reader, `SELECT count(*) AS n FROM ${table}`);
      tables.push({ table, rows: r?.n ?? 0 });
    }
    const [late] = await rows(this.reader, 'SELECT count(*) AS n FROM late_events');
    tables.push({ table: 'late_events', rows: late?.n ?? 0 });
    let bytes = 0;
    for (const suffix of ['', '.wal']) bytes += await stat(this.file + suffix).then((s) => s.size, () => 0);
    return { file: this.file, bytes, tables };
  }

  async close(): Promise<void> {
    await this.writer.run('CHECKPOINT').catch(() => undefined);
    this.writer.closeSync();
    this.reader.closeSync();
    this.instance.closeSync();
  }
}
