import type { FastifyInstance } from 'fastify';
import { parquetObjects, totalsByDataset } from '../../core/ports/cold-store.js';
import type { WindowRow } from '../../core/ports/event-queries.js';
import { DeadLetterIndexer } from '../../dlq/dead-letter-indexer.js';
import { DeadLetterReplayer } from '../../dlq/replay.js';
import type { EventIntake } from '../../core/ports/event-intake.js';
import type { WholePipelineView } from '../../process/processing-view.js';
import type { QualityStats } from '../../quality/quality-stats.js';
import { QueryCache } from '../../serve/query-cache.js';
import { aggregateRoutes } from '../../serve/routes/aggregates.js';
import { dlqRoutes } from '../../serve/routes/dlq.js';
import { eventRoutes } from '../../serve/routes/events.js';
import { qualityRoutes } from '../../serve/routes/quality.js';
import { icebergCatalogRoutes } from '../../serve/routes/iceberg-catalog.js';
import { tableRoutes } from '../../serve/routes/tables.js';
import { sqlRoutes } from '../../serve/routes/sql.js';
import { pipeRoutes } from '../../serve/routes/pipes.js';
import { PipeStore } from '../../pipes/pipe-store.js';
import { openPipeTable } from '../../pipes/pipe-table.js';
import { defineConfiguredPipes } from '../../pipes/define-pipe.js';
import type { PipePage } from '../../pipes/pipe-runner.js';
import { openOver } from '../../table/log-table.js';
import { DuckDbSqlEngine } from '../../sql/duckdb-sql-engine.js';
import { SqlMetrics } from '../../sql/sql-metrics.js';
import { ColdTableCatalog } from '../../lakehouse/catalog.js';
import { ColdTables } from '../../lakehouse/cold-tables.js';
import { fileIoProperties } from '../../store/cold/s3/file-io-properties.js';
import type { RowsLoader } from '../../store/hot/rows-loader.js';
import { registerLoaderMetrics, registerStoreMetrics } from '../../store/store-metrics.js';
import { allSteps, type Component, startOrUndo, type StopOptions } from '../component.js';
import type { PlatformContext } from '../context.js';
import type { LogComponent } from './log.js';
import type { StoresComponent } from './stores.js';
import { DLQ_TOPIC } from '../../core/dead-letter.js';
import type { PartitionOffsets } from '../../core/ports/log.js';
import type { ErasureApplier } from '../../erasure/erasures.js';
import { StoreEraser } from '../../erasure/store-eraser.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { exportAudit } from '../audit-export.js';
import { SightlineError } from '../../core/errors.js';
import type { SqlEngine } from '../../core/ports/sql-engine.js';
import { ClientSlots } from '../../core/client-slots.js';

/** The longest SQL statement POST /v1/sql takes (BI tools' generated SQL stays far below). */
const MAX_STATEMENT_BYTES = 100_000;

export interface ServePeers {
  /** The processing of this process, when one processor here sees every partition (replay needs it). */
  wholePipeline(): WholePipelineView | undefined;
  /** This process's ingest, if it runs one (replay re-ingests through it). */
  ingest(): EventIntake | undefined;
  /** The events offsets this process's processing committed, if it runs the processing. */
  committedOffsets(): PartitionOffsets | undefined;
  /** The audit log, exported with the cold data. */
  audit(): AuditLog;
}

/**
 * The serve role: queries, dead letters and quality over this node's hot store, which it keeps
 * filled (on Kafka, loading what the processors committed), indexed (the dead-letter table) and
 * archived (Parquet in the cold store).
 */
export class ServeRole implements Component {
  readonly name = 'serve';
  private loader: RowsLoader | undefined;
  private indexer: DeadLetterIndexer | undefined;
  private auditTimer: NodeJS.Timeout | undefined;
  private auditExport: Promise<void> | undefined;
  private archiving = false;
  private sql: DuckDbSqlEngine | undefined;
  private pipes: PipeStore | undefined;
  /** Statements each client runs at once, over HTTP and the Postgres port together. */
  readonly sqlSlots = new ClientSlots((client) => this.ctx.config.rateLimits.clients[client]?.sqlConcurrent ?? this.ctx.config.rateLimits.sqlConcurrent);

  constructor(
    private readonly ctx: PlatformContext,
    private readonly stores: StoresComponent,
    private readonly logs: LogComponent,
    private readonly qualityStats: QualityStats,
    private readonly peers: ServePeers,
  ) {}

  start(): Promise<void> {
    return startOrUndo(this, () => this.startServing());
  }

  private async startServing(): Promise<void> {
    const { ctx, stores } = this;
    this.archiving = true;
    await stores.archiver.start();
    this.loader = this.logs.adaptersOf().loader({ hot: stores.hot, logger: ctx.loggerFor('sink'), metrics: ctx.metrics });
    await this.loader?.start();
    this.indexer = new DeadLetterIndexer({ log: this.logs.adaptersOf().log, hot: stores.hot, logger: ctx.loggerFor('dlq') });
    await this.indexer.start();
    this.auditTimer = setInterval(() => void this.exportAudit(), ctx.config.cold.rollIntervalMs);
    this.auditTimer.unref();
    registerStoreMetrics(ctx.metrics.registry, { hot: stores.hot, cold: stores.cold, coldRowsWritten: () => ({ ...stores.archiver.rowsWritten }) });
    const loader = this.loader;
    if (loader) registerLoaderMetrics(ctx.metrics.registry, () => loader.backlog());
    const target = stores.tablesTarget();
    if (target) {
      this.sql = new DuckDbSqlEngine({
        connect: () => target.hot.connect(),
        readGate: target.hot.readGate,
        cold: target.cold,
        tables: target.tables,
        encryptionRead: target.encryption.read,
        aggregations: ctx.config.aggregations.map((a) => a.name),
        limits: ctx.config.sql,
        metrics: new SqlMetrics(ctx.metrics.registry),
      });
      const { log, sharedTables } = this.logs.adaptersOf();
      this.pipes = await openOver(await openPipeTable(log, sharedTables), (table) => PipeStore.open(table));
      await defineConfiguredPipes(this.pipes, this.sql, ctx.config.pipes, (fields, message) => ctx.loggerFor('serve').info(fields, message));
    }
  }

  /**
   * Loads what was committed, indexes the last dead letters, and exports everything to the cold
   * store; without `drain` (a failed start) the last export is left to the next start.
   */
  async stop(options: StopOptions = { drain: true }): Promise<void> {
    clearInterval(this.auditTimer);
    this.sql?.close();
    await allSteps([
      () => this.pipes?.close(),
      () => this.loader?.stop(),
      () => this.indexer?.stop(),
      async () => {
        await this.auditExport;
        if (options.drain && this.archiving) await this.exportAudit();
      },
      () => this.archiving && this.stores.archiver.stop(options),
    ]);
  }

  /** Audit entries not in the cold store yet, to it; one export at a time. */
  private exportAudit(): Promise<void> {
    this.auditExport ??= exportAudit(this.peers.audit(), this.stores.cold, (key, rows, columns) => this.stores.archiver.writeRows(key, rows, columns))
      .then(() => undefined)
      .catch((err: unknown) => this.ctx.loggerFor('cold').error({ err }, 'exporting the audit log to the cold store failed; it is tried again'))
      .finally(() => {
        this.auditExport = undefined;
      });
    return this.auditExport;
  }

  async routes(app: FastifyInstance): Promise<void> {
    const { config, metrics } = this.ctx;
    const { hot, archiver } = this.stores;
    const api = { defaultLimit: config.api.defaultLimit, maxLimit: config.api.maxLimit };
    await app.register(eventRoutes, { hot, ...api, coldFileFor: (commitNo, timestamp) => archiver.eventFileFor(commitNo, timestamp) });
    await app.register(aggregateRoutes, {
      hot,
      aggregations: config.aggregations,
      maxLimit: api.maxLimit,
      cache: new QueryCache<WindowRow[]>('aggregates', (listener) => hot.onWindowsChanged(listener), metrics.registry),
    });
    const replayer = this.replayer();
    const indexer = this.indexer;
    await app.register(dlqRoutes, { hot, ...(replayer && { replayer }), ...(indexer && { indexed: (ms: number) => indexer.waitUntilCaughtUp(ms) }), ...api });
    await app.register(qualityRoutes, { hot, rules: config.quality.rules, stats: this.qualityStats, maxLimit: api.maxLimit });
    const catalog = new ColdTableCatalog(new ColdTables(this.stores.cold), fileIoProperties(config.cold.objectStore));
    await app.register(icebergCatalogRoutes, { catalog });
    await app.register(tableRoutes, { catalog, read: (read) => archiver.readTable(read), runLifecycle: () => archiver.runLifecycle(), lastLifecycle: () => archiver.lastLifecycle, maxLimit: api.maxLimit });
    if (this.sql) await app.register(sqlRoutes, { engine: this.sql, slots: this.sqlSlots, maxStatementBytes: MAX_STATEMENT_BYTES });
    if (this.sql && this.pipes) {
      await app.register(pipeRoutes, {
        pipes: this.pipes,
        engine: this.sql,
        slots: this.sqlSlots,
        cache: new QueryCache<PipePage>('pipes', (listener) => hot.onWindowsChanged(listener), metrics.registry, 256),
        ...api,
        maxStatementBytes: MAX_STATEMENT_BYTES,
        configured: new Set(config.pipes.map((p) => p.name)),
        document: (paths) => app.openApiPaths.push(paths),
      });
    }
  }

  /** SQL on read over this node's stores (POST /v1/sql, the Postgres port), once serving started. */
  get sqlEngine(): SqlEngine | undefined {
    return this.sql;
  }

  /**
   * Deletion requests applied to this node's stores, and to the log's segments where the log can
   * rewrite them (embedded), once what was accepted before the request is stored.
   */
  eraser(): ErasureApplier {
    const { log } = this.logs.adaptersOf();
    return new StoreEraser({
      hot: this.stores.hot,
      archiver: this.stores.archiver,
      log,
      settled: async (timeoutMs) => {
        const behind = (what: string) => new SightlineError('SL_ERASURE_FAILED', `${what} did not catch up within ${timeoutMs / 1000} s; the request is tried again`, { retryable: true });
        const whole = this.peers.wholePipeline();
        if (whole && !(await whole.waitForProcessed(timeoutMs))) throw behind('processing');
        // Elsewhere (Kafka), the processors' group: nothing appended before the call left unprocessed.
        if (!whole && !(await until(() => this.logs.backlog.total() === 0, timeoutMs))) throw behind("the processors' group");
        if (!(await until(() => [...(this.loader?.backlog().values() ?? [])].every((n) => n === 0), timeoutMs))) throw behind('loading the rows topic');
        if (this.indexer && !(await this.indexer.waitUntilCaughtUp(timeoutMs))) throw behind('the dead-letter index');
      },
      safeOffsets: (topic) => (topic === DLQ_TOPIC ? this.indexer?.indexedOffsets() : this.peers.committedOffsets()),
      logNote: 'Kafka cannot rewrite single records: the events, rows and dead-letter topics keep them until their retention (log.retention)',
    });
  }

  /** Replay re-runs ingest's checks and waits for the processor: only where both are here and see everything. */
  private replayer(): DeadLetterReplayer | undefined {
    const whole = this.peers.wholePipeline();
    const ingest = this.peers.ingest();
    if (!whole || !ingest || !this.indexer) return undefined;
    const { config } = this.ctx;
    return new DeadLetterReplayer({
      hot: this.stores.hot,
      dlq: this.logs.deadLetters,
      indexer: this.indexer,
      ingest,
      quality: config.quality,
      lateEvents: config.process.lateEvents,
      lateBefore: (source, type) => whole.lateBefore(source, type),
      processed: (timeoutMs) => whole.waitForProcessed(timeoutMs),
    });
  }

  async status(): Promise<Record<string, unknown>> {
    const { hot, cold, archiver } = this.stores;
    const coldFiles = parquetObjects(await cold.list(''));
    const loader = this.loader;
    return {
      ...(loader && { sink: { ...loader.counters, ...loader.totals(), watermark: loader.watermark, backlog: Object.fromEntries(loader.backlog()), ...loader.health() } }),
      hot_store: await hot.stats(),
      cold_store: {
        root: cold.root,
        files: coldFiles.length,
        bytes: coldFiles.reduce((s, f) => s + f.bytes, 0),
        datasets: Object.fromEntries(totalsByDataset(coldFiles)),
        rows_written: archiver.rowsWritten,
        last_error: archiver.lastError,
        lifecycle: archiver.lastLifecycle && { at: new Date(archiver.lastLifecycle.at).toISOString(), jobs: archiver.lastLifecycle.jobs },
      },
    };
  }

  async unready(): Promise<string[]> {
    const reasons: string[] = [];
    const loaderHealth = this.loader?.health();
    if (loaderHealth && !loaderHealth.ok) reasons.push(`sink: ${loaderHealth.reason}`);
    const hotError = await this.stores.hot.ping(1000);
    if (hotError) reasons.push(`hot store: ${hotError}`);
    if (this.stores.archiver.lastError) reasons.push(`cold store: ${this.stores.archiver.lastError}`);
    return reasons;
  }
}

/** Polls `done` every 50 ms: true once it holds, false after `timeoutMs`. */
async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
