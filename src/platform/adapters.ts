import type { ContractFieldSource } from '../core/contract-field.js';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { SightlineConfig } from '../config/config.js';
import { DLQ_TOPIC } from '../core/dead-letter.js';
import { SightlineError } from '../core/errors.js';
import { EVENTS_TOPIC, MAIN_PIPELINE, pipelineTopics, processorGroup } from '../core/pipeline-topics.js';
import type { ColdArchiver, ColdStore } from '../core/ports/cold-store.js';
import type { DeadLetterWriter } from '../core/ports/dead-letter-writer.js';
import type { BatchStore, HotStore } from '../core/ports/hot-store.js';
import type { Log } from '../core/ports/log.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import type { SchemaStore } from '../core/ports/schema-store.js';
import type { CommitLineage } from '../core/ports/processed-batch.js';
import { EmbeddedLog } from '../log/embedded/embedded-log.js';
import { KafkaLog } from '../log/kafka/kafka-log.js';
import { kafkaPartitionStores } from '../log/kafka/kafka-partition-store.js';
import type { KafkaClusterOptions } from '../log/log-options.js';
import { COMPONENTS, type ComponentName, EMBEDDED_COMPONENTS, type ComponentMetrics, type Metrics } from '../observe/metrics.js';
import type { Tracing } from '../observe/tracing.js';
import type { PipelineSpec } from '../process/batch-plan.js';
import { GroupLag } from '../process/group-lag.js';
import { PartitionProcessors } from '../process/partition-processors.js';
import type { ProcessingRuntime } from '../process/processing-view.js';
import { Processor } from '../process/processor.js';
import { WorkerThreadPlanner } from '../process/worker-thread-planner.js';
import type { QualityStats } from '../quality/quality-stats.js';
import { LogSchemaStore } from '../registry/store/log-schema-store.js';
import { LocalColdStore } from '../store/cold/local/local-cold-store.js';
import { Archiver } from '../store/hot/archiver.js';
import { DuckDbHotStore } from '../store/hot/duckdb-hot-store.js';
import { HotPipelineStore } from '../store/hot/hot-pipeline-store.js';
import { RowsLoader } from '../store/hot/rows-loader.js';
import type { Role } from './roles.js';
import { loadKafkaSecurity } from '../log/kafka/security.js';
import { dataKeyBeside } from '../store/hot/duckdb-encryption.js';
import { duckdbExtensionDir, loadKeyRing } from './key-file.js';

/**
 * The one place that knows which adapters a process runs on. Embedded (no `log.kafka`): the segment
 * log in the data folder, one processor over every partition committing straight into the hot store.
 * Kafka: the cluster is the log; each processing node runs one processor per partition it is
 * assigned, committing in Kafka transactions, and each serving node loads what they committed into
 * its own hot store. Both give the rest of the platform the same record of ports.
 */
export interface PlatformAdapters {
  /** The components whose base metrics this process emits (their series exist at zero from the start). */
  readonly metricComponents: readonly ComponentName[];
  /** The hot store (whose file lock guards the data folder), the cold store and the archiver between them. */
  openStores(deps: StoreDeps): Promise<OpenedStores>;
  /** The log with the pipeline's topics, and what runs on it. */
  openLog(logger: Logger): Promise<LogAdapters>;
}

export interface OpenedStores {
  hot: HotStore;
  cold: ColdStore;
  archiver: ColdArchiver;
}

/** What runs on the log a process opened. */
export interface LogAdapters {
  readonly log: Log;
  /** How the log is reached, for status (Kafka's bootstrap and topic prefix); none for the embedded log. */
  readonly reachedAt?: Record<string, unknown>;
  /** Whether ingest names each event's contract in its record's headers: other consumers read a shared topic. */
  readonly schemaHeaders: boolean;
  /** The consumer group whose committed offsets mirror processing progress, wherever processing runs. */
  readonly processingGroup: string;
  openSchemaStore(): Promise<SchemaStore>;
  /** Whether tables on the log (`_keys`, `_audit`) are shared by the nodes of a deployment (Kafka) or this process's own. */
  readonly sharedTables: boolean;
  /** The process role's processing of the events topic. */
  processing(deps: ProcessingDeps): Promise<ProcessingRuntime>;
  /** What loads processed batches into a serving node's hot store; none where the processor commits there itself. */
  loader(deps: { hot: BatchStore; logger: Logger; metrics: Metrics }): RowsLoader | undefined;
  /** How far processing is behind, as ingest sees it for backpressure; `processing` is this process's, if any. */
  backlog(processing: () => ProcessingRuntime | undefined): Backlog;
}

export interface ProcessingDeps {
  log: Log;
  spec: PipelineSpec;
  reference: ReferenceData | undefined;
  /** Where committed batches go on the embedded log: the serving role's hot store. */
  hot: BatchStore | undefined;
  deadLetters: DeadLetterWriter;
  logger: Logger;
  metrics: ComponentMetrics;
  tracing: Tracing;
  quality: QualityStats;
  lineage: () => CommitLineage;
}

export interface Backlog {
  /** Events appended and not yet processed. */
  total(): number;
  start(): void;
  stop(): void;
}

/** What the stores are opened with. */
export interface StoreDeps {
  logger: Logger;
  metrics: ComponentMetrics;
  /** The lifecycle's "now": the wall clock unless a test gives its own. */
  clock?: () => number;
  /** The contracts' fields, for the contract tables. */
  contracts: ContractFieldSource;
}

/** The adapters the configuration asks for; the roles must be possible on them. */
export function chooseAdapters(config: SightlineConfig, roles: ReadonlySet<Role>, node: string): PlatformAdapters {
  const kafka = config.log.kafka;
  if (kafka) return kafkaAdapters(config, kafka, roles, node);
  if (roles.size < 3) {
    throw new SightlineError('SL_CONFIG_INVALID', 'the ingest, process and serve roles run in separate processes only on Kafka: pass --log kafka://host:port,...');
  }
  return embeddedAdapters(config);
}

/** The master keys, read once per platform: the log and the stores both need them at start. */
const keyRings = new WeakMap<SightlineConfig, ReturnType<typeof loadKeyRing>>();
function keyRingOf(config: SightlineConfig): ReturnType<typeof loadKeyRing> {
  let ring = keyRings.get(config);
  if (!ring) {
    // A refused key file is read again at the next start, not remembered as refused.
    ring = loadKeyRing(config.encryption).catch((err: unknown) => {
      keyRings.delete(config);
      throw err;
    });
    keyRings.set(config, ring);
  }
  return ring;
}

/**
 * The cold tier: a folder in the data folder, or an object store. The S3 client is loaded only
 * when one is configured: it is a large module tree that an embedded start does not need.
 */
async function openColdStore(config: SightlineConfig): Promise<ColdStore> {
  const objectStore = config.cold.objectStore;
  if (!objectStore) return LocalColdStore.open(join(config.dataDir, 'cold'));
  const { S3ColdStore } = await import('../store/cold/s3/s3-cold-store.js');
  return S3ColdStore.open({ objectStore, stagingDir: join(config.dataDir, 'cold-staging') });
}

/** DuckDB and the cold store: the same on both logs. */
async function openLocalStores(config: SightlineConfig, deps: StoreDeps): Promise<OpenedStores> {
  await mkdir(join(config.dataDir, 'hot'), { recursive: true });
  const ring = await keyRingOf(config);
  // With a master key: the DuckDB file and the Parquet files are encrypted, each store its data key.
  const encryption = ring && { ring, extensionDir: duckdbExtensionDir(), parquetKey: await dataKeyBeside(join(config.dataDir, 'cold'), ring) };
  const hot = await DuckDbHotStore.open(join(config.dataDir, 'hot', 'sightline.duckdb'), { memoryLimit: config.hot.memoryLimit, ...(config.hot.threads !== undefined && { threads: config.hot.threads }), ...(encryption && { encryption }) });
  try {
    const cold = await openColdStore(config);
    // DuckDB needs its own folder (its spill files, staged rows) and the cold tier's files where
    // they are local; nothing else, so no SQL can read the log, the keys or the network.
    await hot.confineFiles([join(config.dataDir, 'hot'), dirname(cold.stagingPath('x')), ...(cold.root.includes('://') ? [] : [cold.root])]);
    const archiver = new Archiver({
      hot,
      cold,
      lifecycle: config.lifecycle,
      ...(deps.clock && { clock: deps.clock }),
      ...(config.cold.contractTables && { contracts: deps.contracts }),
      // Serving nodes on one Kafka deployment load the same events at the same positions: they
      // share the tables of one object store by those positions.
      ...(config.log.kafka && { logId: `kafka.${config.log.kafka.topicPrefix}` }),
      rollRows: config.cold.rollRows,
      rollIntervalMs: config.cold.rollIntervalMs,
      logger: deps.logger,
      metrics: deps.metrics,
    });
    return { hot, cold, archiver };
  } catch (err) {
    await hot.close();
    throw err;
  }
}

function embeddedAdapters(config: SightlineConfig): PlatformAdapters {
  return {
    metricComponents: EMBEDDED_COMPONENTS,
    openStores: (deps) => openLocalStores(config, deps),
    async openLog(logger) {
      const keyRing = await keyRingOf(config);
      const log = await EmbeddedLog.open({
        dir: join(config.dataDir, 'log'),
        segmentBytes: config.log.segmentBytes,
        maxRecordBytes: config.log.maxRecordBytes,
        ...(keyRing && { keyRing }),
        onRecovery: (info) => logger.warn(info, 'log recovery cut a torn tail (never-acknowledged bytes)'),
        onWritable: (info) => logger.warn(info, 'log partition takes writes again'),
      });
      try {
        await log.ensureTopic(EVENTS_TOPIC, { partitions: config.log.partitions });
      } catch (err) {
        await log.close();
        throw err;
      }
      return {
        log,
        // Read only by Sightline's own processor: the headers would cost about 6 µs an event for nobody.
        schemaHeaders: false,
        processingGroup: MAIN_PIPELINE,
        openSchemaStore: () => LogSchemaStore.open(log),
        sharedTables: false,
        processing: async (deps) => {
          if (!deps.hot) throw new SightlineError('SL_API_INTERNAL', 'embedded processing needs the hot store of the serve role in the same process');
          const ref = config.enrichment.referenceData;
          return new Processor({
            ...processorOptions(config, deps),
            store: new HotPipelineStore(deps.hot, deps.deadLetters),
            ...(config.process.plannerThread && {
              planner: await WorkerThreadPlanner.start({
                spec: deps.spec,
                ...(ref && { reference: { path: ref.path, format: ref.format, key: ref.key, reloadIntervalMs: ref.reloadIntervalMs } }),
              }),
            }),
          });
        },
        loader: () => undefined,
        // The processor is in this process: its backlog is read directly.
        backlog: (processing) => ({ total: () => processing()?.totalBacklog() ?? 0, start: () => undefined, stop: () => undefined }),
      };
    },
  };
}

/**
 * The Kafka log of a deployment with its pipeline topics: made where missing (an administrator's
 * `sightline kafka setup`, or a node whose principal may create topics), checked where they exist.
 */
export async function openKafkaLog(config: SightlineConfig, kafka: KafkaClusterOptions, clientId: string, logger: Logger): Promise<KafkaLog> {
  // Every topic takes records as large as the embedded log does (Kafka's default is 1 MB).
  const recordLimit = { configs: { 'max.message.bytes': String(config.log.maxRecordBytes) } };
  const topics = pipelineTopics(MAIN_PIPELINE);
  if (kafka.security.sasl && !kafka.security.tls) logger.warn('log.kafka.sasl without log.kafka.tls: events, keys and audit entries cross the network unencrypted');
  const log = await KafkaLog.open({
    bootstrap: kafka.bootstrap,
    security: await loadKafkaSecurity(kafka.security),
    clientId,
    topicPrefix: kafka.topicPrefix,
    topicDefaults: { replicationFactor: kafka.replicationFactor, minInsyncReplicas: kafka.minInsyncReplicas },
    topics: {
      [EVENTS_TOPIC]: { retentionMs: config.log.retentionMs, ...recordLimit },
      [DLQ_TOPIC]: recordLimit,
      [topics.rows]: { retentionMs: config.log.retentionMs, ...recordLimit },
      [topics.state]: { compact: true, ...recordLimit },
      _schemas: { compact: true },
    },
    logger,
  });
  try {
    await log.ensureTopic(EVENTS_TOPIC, { partitions: config.log.partitions });
    // Partition p of the rows and state topics is written only by the processor of events partition p.
    const partitions = log.partitionCount(EVENTS_TOPIC);
    await log.ensureTopic(topics.rows, { partitions });
    await log.ensureTopic(topics.state, { partitions, compact: true });
  } catch (err) {
    await log.close();
    throw err;
  }
  return log;
}

function kafkaAdapters(config: SightlineConfig, kafka: KafkaClusterOptions, roles: ReadonlySet<Role>, node: string): PlatformAdapters {
  const serves = roles.has('serve');
  return {
    metricComponents: COMPONENTS.filter((c) => (c !== 'ingest' || roles.has('ingest')) && (c !== 'process' || roles.has('process')) && (!['sink', 'hot_store', 'cold_store'].includes(c) || serves)),
    openStores: (deps) => openLocalStores(config, deps),
    async openLog(logger) {
      const log = await openKafkaLog(config, kafka, `sightline-${node}-${process.pid}`, logger);
      return {
        log,
        reachedAt: { bootstrap: kafka.bootstrap, topic_prefix: kafka.topicPrefix },
        schemaHeaders: true,
        processingGroup: processorGroup(MAIN_PIPELINE),
        // Every node follows the one `_schemas` topic and writes under a fenced transactional id.
        openSchemaStore: () => LogSchemaStore.openShared(log),
        sharedTables: true,
        processing: async (deps) =>
          new PartitionProcessors({
            ...processorOptions(config, deps),
            openStore: kafkaPartitionStores({
              log,
              pipeline: deps.spec.name,
              dedupWindowMs: deps.spec.dedupWindowMs,
              maxRecordBytes: config.log.maxRecordBytes,
              maxOriginalBytes: maxOriginalBytes(config),
            }),
            group: { sessionTimeoutMs: kafka.sessionTimeoutMs },
          }),
        loader: (deps) => new RowsLoader({ log, hot: deps.hot, pipeline: MAIN_PIPELINE, logger: deps.logger, metrics: deps.metrics.component('sink') }),
        // The processors may run elsewhere: their lag is read from the group's committed offsets,
        // which every processor mirrors about once a second.
        backlog: () => new GroupLag(log, processorGroup(MAIN_PIPELINE), EVENTS_TOPIC),
      };
    },
  };
}

/** What a processor is given on either log: the pipeline, where it reads, and what it reports to. */
function processorOptions(config: SightlineConfig, deps: ProcessingDeps) {
  return {
    log: deps.log,
    topic: EVENTS_TOPIC,
    spec: deps.spec,
    ...(deps.reference && { reference: deps.reference }),
    batchSize: config.process.batchSize,
    logger: deps.logger,
    metrics: deps.metrics,
    tracing: deps.tracing,
    quality: deps.quality,
    lineage: deps.lineage,
  };
}

/** The most of an event's bytes a dead letter keeps: its headers (the reason, a few KiB) must fit beside it in one record. */
export function maxOriginalBytes(config: SightlineConfig): number {
  return config.log.maxRecordBytes - 64 * 1024;
}
