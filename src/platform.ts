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
import type { CommitLineage } from './core/ports/processed-batch.js';
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
import { COMPONENTS, EMBEDDED_COMPONENTS, Metrics } from './observe/metrics.js';
import { registerPlatformMetrics } from './observe/platform-metrics.js';
import { SourceTypeCounter } from './observe/source-type-counter.js';
import { SyntheticProbe } from './observe/synthetic-probe.js';
import { SchemaRegistry } from './registry/schema-registry.js';
import { LogSchemaStore } from './registry/store/log-schema-store.js';
import { buildServer } from './serve/server.js';
import { Archiver } from './store/cold/archiver.js';
import { LocalColdStore } from './store/cold/local/local-cold-store.js';
import { DuckDbHotStore } from './store/hot/duckdb-hot-store.js';
import { HotPipelineStore } from './store/hot/hot-pipeline-store.js';
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
import type { Log } from './core/ports/log.js';
import { KafkaLog } from './log/kafka/kafka-log.js';
import { kafkaPartitionStores } from './log/kafka/kafka-partition-store.js';
import { PartitionProcessors } from './process/partition-processors.js';
import { RowsLoader } from './store/hot/rows-loader.js';
import { pipelineTopics, processorGroup } from './core/pipeline-topics.js';
import { GroupLag } from './process/group-lag.js';
import type { ProcessingView } from './process/processing-view.js';
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

/** The layers a process runs: all three in `sightline up`, any one or two per process on Kafka. */
export type Role = 'ingest' | 'process' | 'serve';
export const ALL_ROLES: readonly Role[] = ['ingest', 'process', 'serve'];

export interface PlatformOptions {
  /** Spans also go here (tests read them from an in-memory exporter). */
  spanExporter?: SpanExporter;
  /** Default: all three. Fewer need `log.kafka` (distributed mode). */
  roles?: readonly Role[];
}

/**
 * Starts the platform's roles in this process. Embedded (no `log.kafka`): log, processor, hot and
 * cold stores and the API, all here. Distributed: the log is Kafka; `process` joins the pipeline's
 * consumer group and commits each partition's batches in Kafka transactions, `serve` loads them
 * into its own hot store, `ingest` takes events; any role can run in any number of processes.
 */
export async function startPlatform(config: SightlineConfig, logger: Logger = createLogger(config.logLevel), options: PlatformOptions = {}): Promise<RunningPlatform> {
  const roles = new Set(options.roles ?? ALL_ROLES);
  const kafka = config.log.kafka;
  if (!kafka && roles.size < ALL_ROLES.length) {
    throw new SightlineError('SL_CONFIG_INVALID', 'the ingest, process and serve roles run in separate processes only on Kafka: pass --log kafka://host:port,...');
  }
  const serves = roles.has('serve');
  const tracing = new Tracing({ ...config.traces, version: VERSION, ...(options.spanExporter && { exporter: options.spanExporter }) });
  await mkdir(config.dataDir, { recursive: true });
  // The hot store first: its file lock keeps a second process out of the whole data folder
  // before anything (such as log recovery) touches it.
  let hot: DuckDbHotStore | undefined;
  if (serves) {
    await mkdir(join(config.dataDir, 'hot'), { recursive: true });
    hot = await DuckDbHotStore.open(join(config.dataDir, 'hot', 'sightline.duckdb'), { memoryLimit: config.hot.memoryLimit });
  }
  const log: Log = kafka ? await openKafkaLog(config, kafka, logger) : await openEmbeddedLog(config, logger);
  await log.ensureTopic(EVENTS_TOPIC, { partitions: config.log.partitions });
  if (kafka) {
    const topics = pipelineTopics(MAIN_PIPELINE);
    const partitions = log.partitionCount(EVENTS_TOPIC);
    await log.ensureTopic(topics.rows, { partitions });
    await log.ensureTopic(topics.state, { partitions, compact: true });
  }
  // On Kafka every node follows the one `_schemas` topic and writes under a fenced transactional id.
  const schemaStore = log instanceof KafkaLog ? await LogSchemaStore.openShared(log) : await LogSchemaStore.open(log);
  const registry = await SchemaRegistry.open(schemaStore, { defaultCompatibility: config.contracts.defaultCompatibility });
  if (roles.has('ingest') || !kafka) await registerConfiguredContracts(registry, config, logger);
  const metrics = new Metrics(
    kafka
      ? COMPONENTS.filter((c) => (c !== 'ingest' || roles.has('ingest')) && (c !== 'process' || roles.has('process')) && (!['sink', 'hot_store', 'cold_store'].includes(c) || serves))
      : EMBEDDED_COMPONENTS,
  );
  const contractStats = new ContractStats(metrics.registry);
  const qualityStats = new QualityStats(metrics.registry);
  // Headers (the reason, up to a few KiB) must fit beside the original in one record.
  const maxOriginalBytes = config.log.maxRecordBytes - 64 * 1024;
  const deadLetters = await DeadLetterQueue.open(log, metrics.registry, maxOriginalBytes);
  // The ingest and processing paths see the log and the hot store through their metrics.
  const observedLog = new InstrumentedLog(log, metrics.component('log'));
  const observedHot = hot && new InstrumentedHotStore(hot, metrics.component('hot_store'));
  const cold = serves ? await LocalColdStore.open(join(config.dataDir, 'cold')) : undefined;

  let reference: ReferenceData | undefined;
  const ref = config.enrichment.referenceData;
  if (ref && roles.has('process')) {
    reference = await FileReferenceData.open({
      ...ref,
      onReload: (info) => (info.error ? logger.error(info, 'reference data reload failed; keeping the previous table') : logger.info(info, 'reference data loaded')),
    });
  }

  const archiver =
    hot && cold
      ? new Archiver({
          hot,
          cold,
          rollRows: config.cold.rollRows,
          rollIntervalMs: config.cold.rollIntervalMs,
          logger: componentLogger(logger, 'cold', config.logLevels),
          metrics: metrics.component('cold_store'),
        })
      : undefined;
  await archiver?.start();
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
  const processLogger = componentLogger(logger, 'process', config.logLevels);
  let processor: Processor | undefined;
  let partitionProcessors: PartitionProcessors | undefined;
  if (!kafka) {
    processor = new Processor({
      log: observedLog,
      topic: EVENTS_TOPIC,
      store: new HotPipelineStore(observedHot!, deadLetters),
      spec,
      ...(reference && { reference }),
      ...(config.process.plannerThread && {
        planner: await WorkerPlanner.start({
          spec,
          ...(ref && { reference: { path: ref.path, format: ref.format, key: ref.key, reloadIntervalMs: ref.reloadIntervalMs } }),
        }),
      }),
      batchSize: config.process.batchSize,
      logger: processLogger,
      onCommitted: (plan) => archiver?.noteCommitted(plan.rows.count),
      metrics: metrics.component('process'),
      tracing,
      quality: qualityStats,
      lineage: () => commitLineage(config, reference),
    });
    await processor.start();
  } else if (roles.has('process')) {
    partitionProcessors = new PartitionProcessors({
      log,
      topic: EVENTS_TOPIC,
      spec,
      openStore: kafkaPartitionStores({ log: log as KafkaLog, pipeline: MAIN_PIPELINE, dedupWindowMs: spec.dedupWindowMs, maxRecordBytes: config.log.maxRecordBytes, maxOriginalBytes }),
      ...(reference && { reference }),
      batchSize: config.process.batchSize,
      logger: processLogger,
      metrics: metrics.component('process'),
      tracing,
      quality: qualityStats,
      lineage: () => commitLineage(config, reference),
      group: { sessionTimeoutMs: kafka.sessionTimeoutMs },
    });
    await partitionProcessors.start();
  }
  const processing: ProcessingView | undefined = processor ?? partitionProcessors;
  const sink =
    kafka && hot
      ? new RowsLoader({ log, hot: observedHot!, pipeline: MAIN_PIPELINE, logger: componentLogger(logger, 'sink', config.logLevels), metrics: metrics.component('sink'), onCommitted: (rows) => archiver?.noteCommitted(rows) })
      : undefined;
  await sink?.start();
  const dlqIndexer = hot ? new DeadLetterIndexer({ log, hot, logger: componentLogger(logger, 'dlq', config.logLevels) }) : undefined;
  await dlqIndexer?.start();
  registerPlatformMetrics(metrics.registry, {
    log,
    topic: EVENTS_TOPIC,
    ...(processing && { processor: processing }),
    ...(hot && cold && archiver && { stores: { hot, cold, coldRowsWritten: () => ({ ...archiver.rowsWritten }) } }),
    ...(kafka && {
      distributed: {
        ...(processing instanceof PartitionProcessors && { partitions: () => processing.partitions() }),
        ...(sink && { sinkBacklog: () => sink.backlog() }),
      },
    }),
  });

  // Ingest holds back (429) when the processors fall behind: in distributed mode their lag is read
  // from the group's committed offsets, which every processor mirrors about once a second.
  const offsetsGroup = kafka ? processorGroup(MAIN_PIPELINE) : MAIN_PIPELINE;
  const lag = kafka ? new GroupLag(log, offsetsGroup, EVENTS_TOPIC) : undefined;
  const backlog = (): number => (processor ? processor.totalBacklog() : (lag?.total() ?? 0));
  const sourceTypes = new SourceTypeCounter(metrics.registry);
  const ingest = roles.has('ingest')
    ? new IngestService({
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
        backlog,
        contracts: new ContractChecker(registry, config.contracts.unknown, contractStats),
        metrics: metrics.component('ingest'),
        sourceTypes,
        tracing,
        deadLetters,
        schemaHeaders: kafka !== undefined,
      })
    : undefined;
  lag?.start();
  const alertSignals = (): AlertSignals => ({
    now: Date.now(),
    volume: sourceTypes.snapshot(),
    newestEventTime: processing?.newestEventTimes() ?? [],
    received: (ingest?.counters.accepted ?? 0) + (ingest?.counters.rejected ?? 0),
    failed: (ingest?.counters.rejected ?? 0) + (processing?.counters.deadLettered ?? 0),
    backlog: backlog(),
    versionMismatches: { ...processing?.counters.versionMismatchesBySubjectVersion },
  });
  let address = '';
  // Lineage describes one process that runs every layer; a distributed deployment's is not built yet.
  const lineageStats =
    processor && ingest && hot && cold && archiver
      ? platformLineageStats({
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
        })
      : undefined;
  const lineage = lineageStats
    ? new LineageEmitter({
        namespace: config.lineage.namespace,
        intervalMs: config.lineage.intervalMs,
        stats: lineageStats,
        sinks: createLineageSinks(config.lineage, componentLogger(logger, 'lineage', config.logLevels)),
        logger: componentLogger(logger, 'lineage', config.logLevels),
      })
    : undefined;
  const alerts = new AlertEngine({
    config: config.alerts,
    signals: alertSignals,
    logger: componentLogger(logger, 'alerts', config.logLevels),
    registry: metrics.registry,
    externalUrl: () => address,
  });
  // Replay re-runs ingest's checks and waits for the processor: embedded mode only, for now.
  const replayer =
    processor && ingest && observedHot && dlqIndexer
      ? new DeadLetterReplayer({
          hot: observedHot,
          dlq: deadLetters,
          indexer: dlqIndexer,
          ingest,
          quality: config.quality,
          lateEvents: config.process.lateEvents,
          lateBefore: () => processor.lateBefore(),
          processed: (timeoutMs) => processor.waitForProcessed(timeoutMs),
        })
      : undefined;

  const status = async (): Promise<Record<string, unknown>> => {
    const processed = processing?.committedOffsets() ?? new Map<number, number>();
    const committed = await log.committedOffsets(offsetsGroup, EVENTS_TOPIC);
    const logStats = log.stats();
    const starts = log.startOffsets(EVENTS_TOPIC);
    const coldFiles = cold ? await cold.list('') : [];
    const datasets = totalsByDataset(coldFiles);
    const totals = sink?.totals();
    return {
      version: VERSION,
      roles: [...roles],
      data_dir: config.dataDir,
      log: {
        ...(kafka && { kafka: { bootstrap: kafka.bootstrap, topic_prefix: kafka.topicPrefix } }),
        fsyncs: logStats.fsyncs,
        // The processor reads the events topic; other topics (the registry's _schemas) have no backlog.
        topics: logStats.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => ({
            partition: p.partition,
            start_offset: t.topic === EVENTS_TOPIC ? (starts.get(p.partition) ?? 0) : 0,
            end_offset: p.endOffset,
            ...(t.topic === EVENTS_TOPIC && {
              ...(processed.has(p.partition) && { processed_offset: processed.get(p.partition) }),
              committed_offset: committed.get(p.partition) ?? 0,
              backlog: Math.max(0, p.endOffset - (processed.get(p.partition) ?? committed.get(p.partition) ?? 0)),
            }),
            bytes: p.bytes,
            segments: p.segments,
          })),
        })),
      },
      ...(ingest && { ingest: ingest.counters }),
      ...(processing && {
        processor: {
          pipeline: MAIN_PIPELINE,
          ...(partitionProcessors && { partitions: partitionProcessors.partitions() }),
          watermark: processing.watermark,
          backlog: processing.totalBacklog(),
          ...(processing.firstRecord && { first_record: { at: processing.firstRecord.at, cpu_micros: processing.firstRecord.cpuMicros } }),
          ...processing.counters,
          ...processing.health(),
        },
      }),
      ...(sink && {
        sink: { ...sink.counters, ...totals, watermark: sink.watermark, backlog: Object.fromEntries(sink.backlog()), ...sink.health() },
      }),
      ...(hot && { hot_store: await hot.stats() }),
      ...(cold &&
        archiver && {
          cold_store: {
            root: cold.root,
            files: coldFiles.length,
            bytes: coldFiles.reduce((s, f) => s + f.bytes, 0),
            datasets: Object.fromEntries(datasets),
            rows_written: archiver.rowsWritten,
            last_error: archiver.lastError,
          },
        }),
      ...(reference && { reference_data: reference.info() }),
    };
  };

  /** Ready = it can take, process and serve events: the log can be written, the stores answer, nothing is stalled. */
  const ready = async (): Promise<{ ready: boolean; reasons: string[] }> => {
    const reasons: string[] = [];
    if (log instanceof EmbeddedLog) for (const failure of log.failures()) reasons.push(`log partition stopped after a failed write: ${failure}`);
    const health = processing?.health();
    if (health && !health.ok) reasons.push(`processor: ${health.reason}`);
    const sinkHealth = sink?.health();
    if (sinkHealth && !sinkHealth.ok) reasons.push(`sink: ${sinkHealth.reason}`);
    const hotError = await hot?.ping(1000);
    if (hotError) reasons.push(`hot store: ${hotError}`);
    if (archiver?.lastError) reasons.push(`cold store: ${archiver.lastError}`);
    return { ready: reasons.length === 0, reasons };
  };

  // Segments the processor has committed are kept for log.retention, for replays and inspection.
  // Kafka enforces retention.ms itself.
  const retentionTimer =
    log instanceof EmbeddedLog && processor
      ? setInterval(() => {
          log.enforceRetention(EVENTS_TOPIC, processor.committedOffsets(), config.log.retentionMs).then(
            (deleted) => deleted > 0 && logger.info({ deleted }, 'log retention deleted segments'),
            (err) => logger.error({ err }, 'log retention failed'),
          );
        }, RETENTION_CHECK_MS)
      : undefined;
  retentionTimer?.unref();

  const app: FastifyInstance = await buildServer({ config, logger, status, ready, version: VERSION, registry, contractStats, metrics,
    ...(ingest && { ingest }),
    ...(hot && { hot }),
    storeGeneration: () => (processor ? processor.counters.batches : (sink?.counters.records ?? 0)),
    ...(archiver && { coldFileFor: (commitNo: number, timestamp: number) => archiver.eventFileFor(commitNo, timestamp) }),
    tracing,
    ...(replayer && { replayer }),
    ...(hot && { qualityStats }),
    alerts,
    ...(lineageStats && { lineageGraph: async () => buildLineageGraph(await lineageStats(), { namespace: config.lineage.namespace }) }),
  });
  address = await app.listen({ host: config.server.host, port: config.server.port });
  const probe = ingest && hot ? new SyntheticProbe({ url: address, intervalMs: config.probe.intervalMs, timeoutMs: config.probe.timeoutMs, logger }, metrics.registry) : undefined;
  probe?.start();
  alerts.start();
  await lineage?.start();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      logger.info('stopping: no new events; processing what was accepted');
      await probe?.stop();
      await alerts.stop();
      ingest?.stop();
      lag?.stop();
      if (retentionTimer) clearInterval(retentionTimer);
      await app.close();
      await processor?.stop();
      // A member leaving hands its partitions to the others at once, each from its last commit.
      await partitionProcessors?.stop();
      await sink?.stop();
      await dlqIndexer?.stop();
      await archiver?.stop();
      // COMPLETE reports the final counts: after the last batch and export, before the stores close.
      await lineage?.stop();
      await reference?.close();
      await hot?.close();
      await registry.close();
      await log.close();
      await tracing.shutdown();
      logger.info('stopped cleanly');
    })();
    return stopping;
  };
  return { url: address, config, logger, stop };
}

async function openEmbeddedLog(config: SightlineConfig, logger: Logger): Promise<EmbeddedLog> {
  return EmbeddedLog.open({
    dir: join(config.dataDir, 'log'),
    segmentBytes: config.log.segmentBytes,
    maxRecordBytes: config.log.maxRecordBytes,
    onRecovery: (info) => logger.warn(info, 'log recovery cut a torn tail (never-acknowledged bytes)'),
  });
}

async function openKafkaLog(config: SightlineConfig, kafka: NonNullable<SightlineConfig['log']['kafka']>, logger: Logger): Promise<KafkaLog> {
  // Every topic takes records as large as the embedded log does (Kafka's default is 1 MB).
  const recordLimit = { configs: { 'max.message.bytes': String(config.log.maxRecordBytes) } };
  const topics = pipelineTopics(MAIN_PIPELINE);
  return KafkaLog.open({
    bootstrap: kafka.bootstrap,
    clientId: `sightline-${NODE}-${process.pid}`,
    topicPrefix: kafka.topicPrefix,
    topicDefaults: { replicationFactor: kafka.replicationFactor, minInsyncReplicas: kafka.minInsyncReplicas },
    topics: {
      [EVENTS_TOPIC]: { retentionMs: config.log.retentionMs, ...recordLimit },
      [DLQ_TOPIC]: recordLimit,
      [topics.rows]: { retentionMs: config.log.retentionMs, ...recordLimit },
      [topics.state]: { compact: true, ...recordLimit },
      _schemas: { compact: true },
    },
    logger: componentLogger(logger, 'log', config.logLevels),
  });
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
