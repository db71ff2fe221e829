import { rm, writeFile } from 'node:fs/promises';
import { NOT_PROBE_SQL } from '../../core/probe-event.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { isSightlineError, SightlineError } from '../../core/errors.js';
import type { ColdArchiver, ColdStore, LifecycleReport, TableRead, TableRows } from '../../core/ports/cold-store.js';
import type { LifecycleOptions } from '../store-options.js';
import { runLifecycleJobs } from './lifecycle-runner.js';
import type { ComponentMetrics } from '../../observe/metrics.js';
import type { DuckDbHotStore } from './duckdb-hot-store.js';
import type { ErasureScope } from '../../core/erasure.js';
import { eraseFromFiles, eraseLettersFromFiles } from './cold-erasure.js';
import { parquetEncryption } from './duckdb-encryption.js';
import { adoptExportedFiles } from './legacy-files.js';
import { readTableRows } from './table-reader.js';
import { EVENT_COLUMNS, WINDOW_COLUMNS } from './cold-columns.js';
import { ColdTables } from '../../lakehouse/cold-tables.js';
import type { ContractFieldSource } from '../../core/contract-field.js';
import { exportContractTables } from './contract-export.js';
import { exportByPosition } from './position-export.js';
import { exportWindows } from './window-export.js';

/** `contracts`: the events again, into the contract tables, planned only while the registry is open. */
type Dataset = 'events' | 'aggregates' | 'contracts';

/** A file no snapshot names is an orphan once this old: younger, it may be a commit in flight. */
const ORPHAN_AGE_MS = 60 * 60_000;

interface ExportIntent {
  exportId: number;
  dataset: Dataset;
  fromNo: number;
  toNo: number;
}

export interface ArchiverOptions {
  hot: DuckDbHotStore;
  cold: ColdStore;
  lifecycle: LifecycleOptions;
  /** The lifecycle's "now" (tests move it instead of waiting days). */
  clock?: () => number;
  rollRows: number;
  rollIntervalMs: number;
  /** The contracts' fields: with them, the events of each subject with a contract also go to its contract table. */
  contracts?: ContractFieldSource;
  /**
   * The log the events' positions are of (a Kafka deployment's topic prefix): writers on one log
   * share the tables by position. Without one (the embedded log), this hot store is the tables'
   * only writer and exports by its commit numbers.
   */
  logId?: string;
  logger: Logger;
  metrics?: ComponentMetrics;
}

/** What each dataset's Parquet files hold, and which bookkeeping number selects the rows. */
const DATASETS: Record<Exclude<Dataset, 'contracts'>, { numberColumn: string; select: string; orderBy: string; only: string }> = {
  events: {
    // The synthetic probe's events are the platform's: never in the user's Parquet.
    only: NOT_PROBE_SQL,
    numberColumn: 'commit_no',
    // JSON as plain UTF-8 text: Iceberg's `string`, which every reader takes.
    select: EVENT_COLUMNS,
    orderBy: 'timestamp, log_pos',
  },
  aggregates: {
    only: 'true',
    numberColumn: 'final_no',
    select: WINDOW_COLUMNS,
    orderBy: 'name, window_size, window_start, group_key',
  },
};

/**
 * Copies committed rows from the hot store to Parquet in the cold store, by day. Each export
 * first records its intent (dataset and commit range) in the hot store, writes deterministic file
 * names, and only then marks the intent done; a crash in between re-runs the same intent and
 * overwrites the same files, so every row lands in Parquet exactly once. Other hot stores (the
 * serving nodes of a deployment) may write to the same tables: an export leaves out what the
 * table already holds, by log position for events and by window for aggregations.
 */
export class Archiver implements ColdArchiver {
  private conn: DuckDBConnection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lifecycleTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private pendingRows = 0;
  private lastExportAt = Date.now();
  filesWritten = 0;
  /** Rows written to Parquet by this process, per dataset. */
  readonly rowsWritten: Record<Dataset, number> = { events: 0, aggregates: 0, contracts: 0 };
  lastError: string | null = null;
  /** The Iceberg tables the exports commit to. */
  readonly tables: ColdTables;
  /** This hot store's name as a writer of the tables. */
  private writer = '';

  constructor(private readonly options: ArchiverOptions) {
    this.tables = new ColdTables(options.cold);
  }

  async start(): Promise<void> {
    this.conn = await this.options.hot.connect();
    this.options.hot.onCommitted((rows) => this.noteCommitted(rows));
    await this.conn.run('INSTALL parquet; LOAD parquet;').catch(() => undefined);
    this.writer = String((await this.conn.runAndReadAll('SELECT id FROM sl_cold_writer')).getRows()[0]![0]);
    // Finish whatever a crash interrupted before anything new.
    await this.runPending();
    const adopted = await adoptExportedFiles(this.conn, this.options.cold, this.tables, parquetEncryption(this.options.hot.encryptsParquet).read);
    if (adopted > 0) this.options.logger.info({ files: adopted }, 'added the Parquet files exported before the cold tier had Iceberg tables to the tables');
    await this.removeOrphans();
    this.timer = setInterval(() => void this.tick(), 500);
    this.timer.unref();
    this.lifecycleTimer = setInterval(() => void this.runLifecycle().catch((err: unknown) => this.options.logger.error({ err }, 'the lifecycle run failed')), this.options.lifecycle.intervalMs);
    this.lifecycleTimer.unref();
  }

  /**
   * Deletes what a crash between writing files and committing left in the tables: files that no
   * snapshot names, older than an hour (so that another writer's commit in flight keeps its files).
   */
  private async removeOrphans(): Promise<void> {
    for (const table of await this.tables.all()) {
      const removed = await table.removeOrphans(ORPHAN_AGE_MS).catch((err: unknown) => {
        this.options.logger.warn({ err, table: table.base }, 'removing orphan files failed; tried again at the next start');
        return [];
      });
      if (removed.length > 0) this.options.logger.info({ table: table.base, files: removed }, 'removed files no snapshot names (left by an interrupted commit)');
    }
  }

  /** Told of each commit to the hot store, to roll by size without polling the store. */
  private noteCommitted(rows: number): void {
    this.pendingRows += rows;
    if (this.pendingRows >= this.options.rollRows) void this.tick();
  }

  private async tick(): Promise<void> {
    const due = this.pendingRows >= this.options.rollRows || Date.now() - this.lastExportAt >= this.options.rollIntervalMs;
    if (!due || this.running) return;
    await this.exportNow().catch((err) => {
      this.lastError = (err as Error).message;
      this.options.metrics?.error(isSightlineError(err) ? err.code : 'SL_COLD_EXPORT_FAILED');
      this.options.logger.error({ err }, 'cold export failed; it will be retried');
    });
  }

  /** Exports everything committed so far. */
  exportNow(): Promise<void> {
    this.running ??= this.exportAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async exportAll(): Promise<void> {
    this.pendingRows = 0;
    this.lastExportAt = Date.now();
    const done = this.options.metrics?.startTimer('export');
    await this.plan('events');
    await this.plan('aggregates');
    if (this.options.contracts?.ready()) await this.plan('contracts');
    await this.runPending();
    done?.();
    this.lastError = null;
  }

  private async plan(dataset: Dataset): Promise<void> {
    const conn = this.conn!;
    const source = dataset === 'contracts' ? 'events' : dataset;
    const { numberColumn } = DATASETS[source];
    await conn.run('BEGIN TRANSACTION');
    try {
      const done = await conn.runAndReadAll('SELECT coalesce(max(to_no), 0) FROM sl_cold_exports WHERE dataset = $1', [dataset]);
      const fromNo = Number(done.getRows()[0]![0]) + 1;
      const top = await conn.runAndReadAll(`SELECT coalesce(max(${numberColumn}), 0) FROM ${source}`);
      const toNo = Number(top.getRows()[0]![0]);
      if (toNo >= fromNo) {
        const next = await conn.runAndReadAll('SELECT coalesce(max(export_id), 0) + 1 FROM sl_cold_exports');
        await conn.run('INSERT INTO sl_cold_exports VALUES ($1, $2, $3, $4, false, NULL)', [
          next.getRows()[0]![0]!,
          dataset,
          BigInt(fromNo),
          BigInt(toNo),
        ]);
      }
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async runPending(): Promise<void> {
    const conn = this.conn!;
    const reader = await conn.runAndReadAll('SELECT export_id, dataset, from_no, to_no FROM sl_cold_exports WHERE NOT done ORDER BY export_id');
    // A dataset's intents run in order, each after the one before succeeded; a failing one holds up
    // only its own dataset (a contract table's trouble must not stop `events`). The first error is
    // thrown once the others ran.
    const failed = new Map<string, unknown>();
    for (const [exportId, dataset, fromNo, toNo] of reader.getRows()) {
      // The contract tables wait for the registry (it opens after the stores).
      if (failed.has(String(dataset)) || (dataset === 'contracts' && !this.options.contracts?.ready())) continue;
      await this.runIntent({ exportId: Number(exportId), dataset: dataset as Dataset, fromNo: Number(fromNo), toNo: Number(toNo) }).catch((err: unknown) => failed.set(String(dataset), err));
    }
    if (failed.size > 0) throw failed.values().next().value;
  }

  private async runIntent(intent: ExportIntent): Promise<void> {
    const conn = this.conn!;
    const spec = DATASETS[intent.dataset === 'contracts' ? 'events' : intent.dataset];
    const range = `${spec.numberColumn} BETWEEN ${intent.fromNo} AND ${intent.toNo} AND ${spec.only}`;
    // The writer in the name too: another hot store (a new data folder on the same bucket) numbers
    // its commits from 1 again, and must never overwrite a file a table names.
    const fileName = `part-c${String(intent.fromNo).padStart(12, '0')}-c${String(intent.toNo).padStart(12, '0')}-w${this.writer.slice(0, 8)}.parquet`;
    if (intent.dataset === 'contracts') return this.runContractIntent(intent, range, fileName);
    if (intent.dataset === 'events') return this.runEventsIntent(intent, range, fileName);
    const names = await conn.runAndReadAll(`SELECT DISTINCT name FROM aggregates WHERE ${range} ORDER BY name`);
    const files: string[] = [];
    for (const [name] of names.getRows()) {
      const table = this.tables.of('aggregates', String(name));
      const encryption = parquetEncryption(this.options.hot.encryptsParquet);
      const { select, orderBy } = DATASETS.aggregates;
      const written = await exportWindows({ conn, cold: this.options.cold, table, writer: this.writer, where: `${range} AND name = $1`, name: String(name), toNo: intent.toNo, fileName, encryption, select, orderBy });
      this.options.metrics?.received(written.rows);
      this.options.metrics?.sent(written.rows, written.bytes);
      this.filesWritten += written.keys.length;
      this.rowsWritten.aggregates += written.rows;
      files.push(...written.keys);
    }
    await this.markDone(intent, files);
  }

  /** The events of an intent, past the positions the table holds (another node may have exported some). */
  private async runEventsIntent(intent: ExportIntent, range: string, fileName: string): Promise<void> {
    const table = this.tables.of('events');
    const shape = () => ({ spec: table.spec, select: DATASETS.events.select });
    const written = await exportByPosition({ ...this.exportContext(), table, where: range, toNo: intent.toNo, fileName, shape });
    this.options.metrics?.received(written.rows);
    await this.noteWritten(intent, written);
  }

  private async runContractIntent(intent: ExportIntent, range: string, fileName: string): Promise<void> {
    const written = await exportContractTables({ ...this.exportContext(), tables: this.tables, contracts: this.options.contracts!, range, toNo: intent.toNo, fileName });
    await this.noteWritten(intent, written);
  }

  private exportContext() {
    const { cold, hot } = this.options;
    return { conn: this.conn!, cold, writer: this.writer, logId: this.options.logId, encryptionCopy: parquetEncryption(hot.encryptsParquet).copy };
  }

  private async noteWritten(intent: ExportIntent, written: { keys: string[]; rows: number; bytes: number }): Promise<void> {
    this.options.metrics?.sent(written.rows, written.bytes);
    this.filesWritten += written.keys.length;
    this.rowsWritten[intent.dataset] += written.rows;
    await this.markDone(intent, written.keys);
  }

  private async markDone(intent: ExportIntent, files: string[]): Promise<void> {
    await this.conn!.run('UPDATE sl_cold_exports SET done = true, files = $1 WHERE export_id = $2', [JSON.stringify(files), BigInt(intent.exportId)]);
    if (files.length > 0) this.options.logger.info({ dataset: intent.dataset, files, range: [intent.fromNo, intent.toNo] }, 'archived to the cold store');
  }

  async eraseSubject(scope: ErasureScope): Promise<{ files: number; rows: number }> {
    const erased = await this.inTurn(() => this.eraseFromTables(scope));
    if (erased.files > 0) this.options.logger.info(erased, 'rewrote cold events files without the rows of a deletion request');
    return erased;
  }

  /**
   * Runs `work` on the archiver's connection in its turn: exports, erasures, lifecycle jobs and
   * backfills take turns, so a file is never rewritten while another of them writes it.
   */
  async inTurn<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    if (!this.conn) throw new SightlineError('SL_COLD_UNAVAILABLE', 'the archiver is not running');
    while (this.running) await this.running.catch(() => undefined);
    const conn = this.conn;
    const run = work(conn);
    this.running = run.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      this.running = undefined;
    });
    return run;
  }

  /** What a backfill or SQL on read works with: this archiver's tables and store, the hot store, its turn. */
  tablesTarget() {
    return {
      cold: this.options.cold,
      tables: this.tables,
      encryption: parquetEncryption(this.options.hot.encryptsParquet),
      hot: this.options.hot,
      inTurn: <T>(work: (conn: DuckDBConnection) => Promise<T>) => this.inTurn(work),
      /** Exports what the hot store committed: only inside a turn (it is the turn's own work). */
      exportPending: () => this.exportAll(),
    };
  }

  /**
   * Erases from `events`, every contract table (each holds the user's events) and `dead_letters`;
   * the rows counted are the events', which the contract tables repeat.
   */
  private async eraseFromTables(scope: ErasureScope): Promise<{ files: number; rows: number }> {
    const tables = [this.tables.of('events'), ...(await this.tables.all({ fresh: true })).filter((t) => t.base.startsWith('contracts/'))];
    const total = { files: 0, rows: 0 };
    for (const table of tables) {
      const erased = await eraseFromFiles({ conn: this.conn!, cold: this.options.cold, table, scope, encryption: parquetEncryption(this.options.hot.encryptsParquet) });
      total.files += erased.files;
      if (table.base === 'events') total.rows += erased.rows;
    }
    // Letters that left the hot store: their originals name the user too.
    const letters = await eraseLettersFromFiles({ conn: this.conn!, cold: this.options.cold, table: this.tables.of('dead_letters'), scope, encryption: parquetEncryption(this.options.hot.encryptsParquet) });
    total.files += letters.files;
    return total;
  }

  /**
   * Writes rows kept outside the hot store (the audit log's entries) as one Parquet file under
   * `key`: staged, published whole, encrypted as the other cold files are; never while an export runs.
   */
  async writeRows(key: string, rows: readonly object[], columns: Record<string, string>): Promise<void> {
    await this.inTurn(() => this.writeRowsNow(key, rows, columns));
  }

  private async writeRowsNow(key: string, rows: readonly object[], columns: Record<string, string>): Promise<void> {
    const { cold } = this.options;
    const name = key.replaceAll('/', '__');
    const json = cold.stagingPath(`${name}.ndjson`);
    const staged = cold.stagingPath(name);
    await writeFile(json, rows.map((r) => JSON.stringify(r)).join('\n'));
    try {
      const types = Object.entries(columns).map(([column, type]) => `'${column}': '${type}'`).join(', ');
      await this.conn!.run(
        `COPY (SELECT * FROM read_json('${json.replaceAll("'", "''")}', format = 'newline_delimited', columns = {${types}}))
         TO '${staged.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd${parquetEncryption(this.options.hot.encryptsParquet).copy})`,
      );
      await cold.put(key, staged);
    } finally {
      await rm(json, { force: true });
    }
  }

  lastLifecycle: LifecycleReport | null = null;

  /** Every lifecycle job now, taking turns with exports and erasures. */
  async runLifecycle(): Promise<LifecycleReport> {
    if (!this.conn) throw new SightlineError('SL_COLD_UNAVAILABLE', 'the archiver is not running');
    while (this.running) await this.running.catch(() => undefined);
    let report: LifecycleReport | undefined;
    const ctx = { conn: this.conn, hot: this.options.hot, cold: this.options.cold, tables: this.tables, options: this.options.lifecycle, encryption: parquetEncryption(this.options.hot.encryptsParquet), logger: this.options.logger, contractTables: this.options.contracts !== undefined, ...(this.options.metrics && { metrics: this.options.metrics }) };
    this.running = runLifecycleJobs(ctx, (this.options.clock ?? Date.now)())
      .then((r) => {
        report = r;
        this.lastLifecycle = r;
        // Rows gone from the tables: answers over them (a pipe reads the cold rows too) are stale.
        const removed = r.jobs['cold-retention'];
        if (removed && removed.files + removed.rows > 0) this.options.hot.windowChanges.all();
      })
      .finally(() => {
        this.running = undefined;
      });
    await this.running;
    return report!;
  }

  async readTable(read: TableRead): Promise<TableRows> {
    if (!this.conn) throw new SightlineError('SL_COLD_UNAVAILABLE', 'the archiver is not running');
    return readTableRows(this.conn, this.options.cold, this.tables, read, parquetEncryption(this.options.hot.encryptsParquet).read);
  }

  /** The Parquet file holding the events of `commitNo` for the day of `timestamp`, once exported. */
  async eventFileFor(commitNo: number, timestamp: number): Promise<string | undefined> {
    if (!this.conn) return undefined;
    const reader = await this.conn.runAndReadAll(
      "SELECT files FROM sl_cold_exports WHERE dataset = 'events' AND done AND from_no <= $1 AND to_no >= $1",
      [BigInt(commitNo)],
    );
    const day = new Date(timestamp).toISOString().slice(0, 10);
    for (const [files] of reader.getRows()) {
      const found = (JSON.parse(String(files)) as string[]).find((key) => key.includes(`/dt=${day}/`));
      if (found) return this.options.cold.location(found);
    }
    return undefined;
  }

  /**
   * A last export of everything committed. If it fails the error is thrown (the stop is not
   * clean) but nothing is lost: the rows stay in the hot store and the next start exports them.
   */
  async stop(options: { drain: boolean } = { drain: true }): Promise<void> {
    clearInterval(this.timer);
    clearInterval(this.lifecycleTimer);
    await this.running?.catch(() => undefined);
    try {
      if (options.drain && this.conn) await this.exportNow();
    } finally {
      this.conn?.closeSync();
      this.conn = undefined;
    }
  }
}
