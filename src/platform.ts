import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { SightlineConfig } from './config/config.js';
import { ContractChecker } from './contracts/contract-checker.js';
import { ContractStats } from './contracts/contract-stats.js';
import { SightlineError } from './core/errors.js';
import { totalsByDataset } from './core/ports/cold-store.js';
import type { ReferenceData } from './core/ports/reference-data.js';
import type { CommitLineage } from './core/ports/hot-store.js';
import { IngestService } from './ingest/ingest-service.js';
import { EmbeddedLog } from './log/embedded/embedded-log.js';
import type { PipelineSpec } from './process/batch-plan.js';
import { Processor } from './process/processor.js';
import { WorkerPlanner } from './process/worker-planner.js';
import { FileReferenceData } from './process/reference/file-reference-data.js';
import { InstrumentedHotStore } from './observe/instrumented-hot-store.js';
import { componentLogger, createLogger } from './observe/logging.js';
import { Tracing } from './observe/tracing.js';
import { InstrumentedLog } from './observe/instrumented-log.js';
import { Metrics } from './observe/metrics.js';
import { registerPlatformMetrics } from './observe/platform-metrics.js';
import { SourceTypeCounter } from './observe/source-type-counter.js';
import { SyntheticProbe } from './observe/synthetic-probe.js';
import { SchemaRegistry } from './registry/schema-registry.js';
import { LogSchemaStore } from './registry/store/log-schema-store.js';
import { buildServer } from './serve/server.js';
import { Archiver } from './store/cold/archiver.js';
import { LocalColdStore } from './store/cold/local/local-cold-store.js';
import { DuckDbHotStore } from './store/hot/duckdb-hot-store.js';
import { VERSION } from './version.js';
import { DeadLetterQueue } from './dlq/dead-letter-queue.js';
import { DeadLetterIndexer } from './dlq/dead-letter-indexer.js';
import { DeadLetterReplayer } from './dlq/replay.js';
import { QualityStats } from './quality/quality-stats.js';
import { AlertEngine } from './alerts/alert-engine.js';
import { LineageEmitter } from './lineage/lineage-emitter.js';
import { buildLineageGraph } from './lineage/lineage-graph.js';
import { createLineageSinks } from './lineage/lineage-sinks.js';
import { platformLineageStats } from './lineage/platform-lineage-stats.js';
import { DLQ_TOPIC } from './core/dead-letter.js';
import type { AlertSignals } from './alerts/signals.js';

export const EVENTS_TOPIC = 'events';
export const MAIN_PIPELINE = 'main';
const RETENTION_CHECK_MS = 60_000;

export interface RunningPlatform {
  url: string;
  config: SightlineConfig;
  logger: Logger;
  /** Stops taking events, processes all accepted ones, flushes both stores. */
  stop(): Promise<void>;
}

/** Starts the embedded platform: log, processor, hot and cold stores and the API, in this process. */
export interface PlatformOptions {
  /** Spans also go here (tests read them from an in-memory exporter). */
  spanExporter?: SpanExporter;
}

export async function startPlatform(config: SightlineConfig, logger: Logger = createLogger(config.logLevel), options: PlatformOptions = {}): Promise<RunningPlatform> {
  const tracing = new Tracing({ ...config.traces, version: VERSION, ...(options.spanExporter && { exporter: options.spanExporter }) });
  await mkdir(config.dataDir, { recursive: true });
  // The hot store first: its file lock keeps a second process out of the whole data folder
  // before anything (such as log recovery) touches it.
  await mkdir(join(config.dataDir, 'hot'), { recursive: true });
  const hot = await DuckDbHotStore.open(join(config.dataDir, 'hot', 'sightline.duckdb'), { memoryLimit: config.hot.memoryLimit });
  const log = await EmbeddedLog.open({
    dir: join(config.dataDir, 'log'),
    segmentBytes: config.log.segmentBytes,
    maxRecordBytes: config.log.maxRecordBytes,
    onRecovery: (info) => logger.warn(info, 'log recovery cut a torn tail (never-acknowledged bytes)'),
  });
  await log.ensureTopic(EVENTS_TOPIC, { partitions: config.log.partitions });
  const registry = await SchemaRegistry.open(await LogSchemaStore.open(log), { defaultCompatibility: config.contracts.defaultCompatibility });
  await registerConfiguredContracts(registry, config, logger);
  const metrics = new Metrics();
  const contractStats = new ContractStats(metrics.registry);
  const qualityStats = new QualityStats(metrics.registry);
  // Headers (the reason, up to a few KiB) must fit beside the original in one record.
  const deadLetters = await DeadLetterQueue.open(log, metrics.registry, config.log.maxRecordBytes - 64 * 1024);
  // The ingest and processing paths see the log and the hot store through their metrics.
  const observedLog = new InstrumentedLog(log, metrics.component('log'));
  const observedHot = new InstrumentedHotStore(hot, metrics.component('hot_store'));
  const cold = await LocalColdStore.open(join(config.dataDir, 'cold'));

  let reference: ReferenceData | undefined;
  const ref = config.enrichment.referenceData;
  if (ref) {
    reference = await FileReferenceData.open({
      ...ref,
      onReload: (info) => (info.error ? logger.error(info, 'reference data reload failed; keeping the previous table') : logger.info(info, 'reference data loaded')),
    });
  }

  const archiver = new Archiver({
    hot,
    cold,
    rollRows: config.cold.rollRows,
    rollIntervalMs: config.cold.rollIntervalMs,
    logger: componentLogger(logger, 'cold', config.logLevels),
    metrics: metrics.component('cold_store'),
  });
  await archiver.start();
  const spec: PipelineSpec = {
    name: MAIN_PIPELINE,
    dedupWindowMs: config.process.dedupWindowMs,
    allowedLatenessMs: config.process.allowedLatenessMs,
    watermarkDelayMs: config.process.watermarkDelayMs,
    aggregations: config.aggregations,
    ...(ref && { joinOn: ref.joinOn }),
    ...(Object.keys(config.contracts.acceptedVersions).length > 0 && { acceptedVersions: config.contracts.acceptedVersions }),
    quality: config.quality,
    lateEvents: config.process.lateEvents,
    enrichmentMiss: config.enrichment.onMiss,
  };
  const processor = new Processor({
    log: observedLog,
    topic: EVENTS_TOPIC,
    hot: observedHot,
    spec,
    ...(reference && { reference }),
    ...(config.process.plannerThread && {
      planner: await WorkerPlanner.start({
        spec,
        ...(ref && { reference: { path: ref.path, format: ref.format, key: ref.key, reloadIntervalMs: ref.reloadIntervalMs } }),
      }),
    }),
    batchSize: config.process.batchSize,
    logger: componentLogger(logger, 'process', config.logLevels),
    onCommitted: (plan) => archiver.noteCommitted(plan.rows.count),
    metrics: metrics.component('process'),
    tracing,
    deadLetters,
    quality: qualityStats,
    lineage: () => commitLineage(config, reference),
  });
  await processor.start();
  const dlqIndexer = new DeadLetterIndexer({ log, hot, logger: componentLogger(logger, 'dlq', config.logLevels) });
  await dlqIndexer.start();
  registerPlatformMetrics(metrics.registry, { log, topic: EVENTS_TOPIC, processor, hot, cold, coldRowsWritten: () => ({ ...archiver.rowsWritten }) });

  const sourceTypes = new SourceTypeCounter(metrics.registry);
  const ingest = new IngestService({
    log: observedLog,
    topic: EVENTS_TOPIC,
    limits: {
      maxEventBytes: config.ingest.maxEventBytes,
      maxDepth: config.ingest.maxDepth,
      maxStringLength: config.ingest.maxStringLength,
      maxFutureSkewMs: config.ingest.maxFutureSkewMs,
    },
    maxBacklogEvents: config.ingest.maxBacklogEvents,
    maxInFlightBytes: config.ingest.maxInFlightBytes,
    maxBodyBytes: config.ingest.maxBodyBytes,
    retryAfterSeconds: config.ingest.retryAfterSeconds,
    backlog: () => processor.totalBacklog(),
    contracts: new ContractChecker(registry, config.contracts.unknown, contractStats),
    metrics: metrics.component('ingest'),
    sourceTypes,
    tracing,
    deadLetters,
  });
  const alertSignals = (): AlertSignals => ({
    now: Date.now(),
    volume: sourceTypes.snapshot(),
    newestEventTime: processor.newestEventTimes(),
    received: ingest.counters.accepted + ingest.counters.rejected,
    failed: ingest.counters.rejected + processor.counters.deadLettered,
    backlog: processor.totalBacklog(),
    versionMismatches: { ...processor.counters.versionMismatchesBySubjectVersion },
  });
  let address = '';
  const lineageStats = platformLineageStats({
    node: NODE,
    dataDir: config.dataDir,
    logDir: join(config.dataDir, 'log'),
    ingestEndpoint: () => address,
    log,
    eventsTopic: EVENTS_TOPIC,
    deadLetterTopic: DLQ_TOPIC,
    pipeline: MAIN_PIPELINE,
    hot,
    cold,
    registry,
    reference,
    rules: config.quality.rules,
    sources: () => sourceTypes.snapshot(),
    ingest: () => ingest.counters,
    deadLetteredAtIngest: () => ingest.counters.rejected,
    processor: () => ({ counters: processor.counters, watermark: processor.watermark, lastBatchAt: processor.health().lastBatchAt, failing: processor.health().reason }),
    quality: () => qualityStats.snapshot(),
    archived: () => ({ rows: { ...archiver.rowsWritten }, lastError: archiver.lastError }),
  });
  const lineage = new LineageEmitter({
    namespace: config.lineage.namespace,
    intervalMs: config.lineage.intervalMs,
    stats: lineageStats,
    sinks: createLineageSinks(config.lineage, componentLogger(logger, 'lineage', config.logLevels)),
    logger: componentLogger(logger, 'lineage', config.logLevels),
  });
  const alerts = new AlertEngine({
    config: config.alerts,
    signals: alertSignals,
    logger: componentLogger(logger, 'alerts', config.logLevels),
    registry: metrics.registry,
    externalUrl: () => address,
  });
  const replayer = new DeadLetterReplayer({
    hot: observedHot,
    dlq: deadLetters,
    indexer: dlqIndexer,
    ingest,
    quality: config.quality,
    lateEvents: config.process.lateEvents,
    lateBefore: () => processor.lateBefore(),
    processed: (timeoutMs) => processor.waitForProcessed(timeoutMs),
  });

  const status = async (): Promise<Record<string, unknown>> => {
    const processed = processor.committedOffsets();
    const committed = await log.committedOffsets(MAIN_PIPELINE, EVENTS_TOPIC);
    const logStats = log.stats();
    const starts = log.startOffsets(EVENTS_TOPIC);
    const coldFiles = await cold.list('');
    const datasets = totalsByDataset(coldFiles);
    return {
      version: VERSION,
      data_dir: config.dataDir,
      log: {
        fsyncs: logStats.fsyncs,
        // The processor reads the events topic; other topics (the registry's _schemas) have no backlog.
        topics: logStats.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => ({
            partition: p.partition,
            start_offset: t.topic === EVENTS_TOPIC ? (starts.get(p.partition) ?? 0) : 0,
            end_offset: p.endOffset,
            ...(t.topic === EVENTS_TOPIC && {
              processed_offset: processed.get(p.partition) ?? 0,
              committed_offset: committed.get(p.partition) ?? 0,
              backlog: Math.max(0, p.endOffset - (processed.get(p.partition) ?? 0)),
            }),
            bytes: p.bytes,
            segments: p.segments,
          })),
        })),
      },
      ingest: ingest.counters,
      processor: { pipeline: MAIN_PIPELINE, watermark: processor.watermark, backlog: processor.totalBacklog(), ...processor.counters, ...processor.health() },
      hot_store: await hot.stats(),
      cold_store: {
        root: cold.root,
        files: coldFiles.length,
        bytes: coldFiles.reduce((s, f) => s + f.bytes, 0),
        datasets: Object.fromEntries(datasets),
        rows_written: archiver.rowsWritten,
        last_error: archiver.lastError,
      },
      ...(reference && { reference_data: reference.info() }),
    };
  };

  /** Ready = it can take, process and serve events: the log can be written, the stores answer, nothing is stalled. */
  const ready = async (): Promise<{ ready: boolean; reasons: string[] }> => {
    const reasons: string[] = [];
    for (const failure of log.failures()) reasons.push(`log partition stopped after a failed write: ${failure}`);
    const health = processor.health();
    if (!health.ok) reasons.push(`processor: ${health.reason}`);
    const hotError = await hot.ping(1000);
    if (hotError) reasons.push(`hot store: ${hotError}`);
    if (archiver.lastError) reasons.push(`cold store: ${archiver.lastError}`);
    return { ready: reasons.length === 0, reasons };
  };

  // Segments the processor has committed are kept for log.retention, for replays and inspection.
  const retentionTimer = setInterval(() => {
    log.enforceRetention(EVENTS_TOPIC, processor.committedOffsets(), config.log.retentionMs).then(
      (deleted) => deleted > 0 && logger.info({ deleted }, 'log retention deleted segments'),
      (err) => logger.error({ err }, 'log retention failed'),
    );
  }, RETENTION_CHECK_MS);
  retentionTimer.unref();

  const app: FastifyInstance = await buildServer({ config, logger, ingest, hot, status, ready, version: VERSION, registry, contractStats, metrics,
    storeGeneration: () => processor.counters.batches,
    coldFileFor: (commitNo, timestamp) => archiver.eventFileFor(commitNo, timestamp),
    tracing,
    replayer,
    qualityStats,
    alerts,
    lineageGraph: async () => buildLineageGraph(await lineageStats(), { namespace: config.lineage.namespace }),
  });
  address = await app.listen({ host: config.server.host, port: config.server.port });
  const probe = new SyntheticProbe({ url: address, intervalMs: config.probe.intervalMs, timeoutMs: config.probe.timeoutMs, logger }, metrics.registry);
  probe.start();
  alerts.start();
  await lineage.start();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('stopping: no new events; processing what was accepted');
      await probe.stop();
      await alerts.stop();
      ingest.stop();
      clearInterval(retentionTimer);
      await app.close();
      await processor.stop();
      await dlqIndexer.stop();
      await archiver.stop();
      // COMPLETE reports the final counts: after the last batch and export, before the stores close.
      await lineage.stop();
      await reference?.close();
      await hot.close();
      await registry.close();
      await log.close();
      await tracing.shutdown();
      logger.info('stopped cleanly');
    })();
    return stopping;
  };
  return { url: address, config, logger, stop };
}

const NODE = hostname();

/**
 * What processes a commit's events, recorded with the commit: the steps in order, each with what
 * versions it (a digest of the quality rules, the time the reference data was loaded).
 */
function commitLineage(config: SightlineConfig, reference: ReferenceData | undefined): CommitLineage {
  const ref = reference?.info();
  return {
    node: NODE,
    version: VERSION,
    steps: [
      { step: 'dedup', window_ms: config.process.dedupWindowMs },
      { step: 'late_check', allowed_lateness_ms: config.process.allowedLatenessMs, late_events: config.process.lateEvents },
      ...(config.quality.rules.length > 0 ? [{ step: 'quality', rules: config.quality.rules.map((r) => r.name), digest: rulesDigest(config) }] : []),
      ...(ref ? [{ step: 'enrichment', reference: ref.source, loaded_at: ref.loadedAt, rows: ref.rows }] : []),
      ...(config.aggregations.length > 0 ? [{ step: 'aggregation', aggregations: config.aggregations.map((a) => a.name) }] : []),
    ],
  };
}

const digests = new WeakMap<SightlineConfig, string>();
function rulesDigest(config: SightlineConfig): string {
  let digest = digests.get(config);
  if (digest === undefined) {
    digest = createHash('sha256').update(JSON.stringify(config.quality.rules)).digest('hex').slice(0, 12);
    digests.set(config, digest);
  }
  return digest;
}

/**
 * Registers the schemas the config lists (contracts kept in version control next to it). The same
 * schema again is a no-op; a changed one becomes a new version if the subject's level allows it,
 * and an incompatible or unreadable one stops the start with the reason.
 */
async function registerConfiguredContracts(registry: SchemaRegistry, config: SightlineConfig, logger: Logger): Promise<void> {
  for (const contract of config.contracts.register) {
    let schema: string;
    try {
      schema = await readFile(contract.path, 'utf8');
    } catch (err) {
      throw new SightlineError('SL_CONFIG_INVALID', `contracts.register: cannot read ${contract.path}: ${(err as Error).message}`);
    }
    try {
      const result = await registry.register(contract.subject, { schema, schemaType: contract.schemaType });
      if (result.created) logger.info({ subject: contract.subject, version: result.version, id: result.id }, 'registered a contract from the config');
    } catch (err) {
      if (err instanceof SightlineError) throw new SightlineError(err.code, `contracts.register ${contract.subject} (${contract.path}): ${err.message}`, { cause: err });
      throw err;
    }
  }
}
