import { EVENTS_TOPIC, MAIN_PIPELINE } from '../../core/pipeline-topics.js';
import { streamStatus } from '../../process/stream-status.js';
import type { ReferenceData } from '../../core/ports/reference-data.js';
import type { PipelineSpec } from '../../process/batch-plan.js';
import { registerProcessingMetrics } from '../../process/processing-metrics.js';
import type { ProcessingRuntime } from '../../process/processing-view.js';
import { FileReferenceData } from '../../process/reference/file-reference-data.js';
import type { QualityStats } from '../../quality/quality-stats.js';
import type { SightlineConfig } from '../../config/config.js';
import { commitLineage } from '../commit-lineage.js';
import { allSteps, type Component, notStarted, startOrUndo, type StopOptions } from '../component.js';
import type { PlatformContext } from '../context.js';
import type { LogComponent } from './log.js';
import type { StoresComponent } from './stores.js';

const RETENTION_CHECK_MS = 60_000;

/**
 * The process role: the pipeline over the events topic (event time, dedup, lateness, quality,
 * enrichment, windows),
 * committing exactly once to the pipeline store the adapters chose. It stops once everything
 * accepted is committed (embedded), or hands its partitions to the group's other members (Kafka).
 */
export class ProcessRole implements Component {
  readonly name = 'process';
  private reference: ReferenceData | undefined;
  private running: ProcessingRuntime | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: PlatformContext,
    private readonly logs: LogComponent,
    /** The hot store the embedded processor commits into; absent on a node that does not serve. */
    private readonly stores: StoresComponent | undefined,
    private readonly qualityStats: QualityStats,
  ) {}

  start(): Promise<void> {
    return startOrUndo(this, () => this.startProcessing());
  }

  private async startProcessing(): Promise<void> {
    const { ctx } = this;
    const ref = ctx.config.enrichment.referenceData;
    const logger = ctx.loggerFor('process');
    if (ref) {
      this.reference = await FileReferenceData.open({
        ...ref,
        onReload: (info) => (info.error ? logger.error(info, 'reference data reload failed; keeping the previous table') : logger.info(info, 'reference data loaded')),
      });
    }
    const reference = this.reference;
    this.running = await this.logs.adaptersOf().processing({
      log: this.logs.log,
      spec: pipelineSpec(ctx.config),
      reference,
      hot: this.stores?.hot,
      deadLetters: this.logs.deadLetters,
      logger,
      metrics: ctx.metrics.component('process'),
      tracing: ctx.tracing,
      quality: this.qualityStats,
      lineage: () => commitLineage(ctx.config, ctx.node, reference),
    });
    await this.running.start();
    registerProcessingMetrics(ctx.metrics.registry, EVENTS_TOPIC, this.running);
    this.keepLogRetention(this.running);
  }

  /**
   * Log segments processing has committed are kept for log.retention, for replays and inspection,
   * then deleted (a log whose brokers enforce retention themselves deletes nothing here).
   */
  private keepLogRetention(processing: ProcessingRuntime): void {
    const { logger, config } = this.ctx;
    this.retentionTimer = setInterval(() => {
      this.logs.log.enforceRetention(EVENTS_TOPIC, processing.committedOffsets(), config.log.retentionMs).then(
        (deleted) => deleted > 0 && logger.info({ deleted }, 'log retention deleted segments'),
        (err) => logger.error({ err }, 'log retention failed'),
      );
    }, RETENTION_CHECK_MS);
    this.retentionTimer.unref();
  }

  /** Drains the backlog first on a clean stop; hands over at once otherwise. */
  async stop(options: StopOptions = { drain: true }): Promise<void> {
    clearInterval(this.retentionTimer);
    await allSteps([() => this.running?.stop(options), () => this.reference?.close()]);
  }

  /** The processing, once started. */
  get processing(): ProcessingRuntime | undefined {
    return this.running;
  }

  get referenceData(): ReferenceData | undefined {
    return this.reference;
  }

  async status(): Promise<Record<string, unknown>> {
    const processing = this.running;
    if (!processing) throw notStarted('processing');
    return {
      processor: {
        pipeline: MAIN_PIPELINE,
        ...(processing.partitions && { partitions: processing.partitions() }),
        watermark: processing.watermark,
        streams: streamStatus(pipelineSpec(this.ctx.config), processing.streams(), Date.now()),
        backlog: processing.totalBacklog(),
        ...(processing.firstRecord && { first_record: { at: processing.firstRecord.at, cpu_micros: processing.firstRecord.cpuMicros } }),
        ...processing.counters,
        ...processing.health(),
      },
      ...(this.reference && { reference_data: this.reference.info() }),
    };
  }

  async unready(): Promise<string[]> {
    const health = this.running?.health();
    return health && !health.ok ? [`processor: ${health.reason}`] : [];
  }
}

/** The pipeline the configuration describes. */
export function pipelineSpec(config: SightlineConfig): PipelineSpec {
  const ref = config.enrichment.referenceData;
  return {
    name: MAIN_PIPELINE,
    dedupWindowMs: config.process.dedupWindowMs,
    allowedLatenessMs: config.process.allowedLatenessMs,
    watermarkDelayMs: config.process.watermarkDelayMs,
    idleTimeoutMs: config.process.idleTimeoutMs,
    streamRules: config.process.streamRules,
    aggregations: config.aggregations,
    ...(ref && { joinOn: ref.joinOn }),
    ...(Object.keys(config.contracts.acceptedVersions).length > 0 && { acceptedVersions: config.contracts.acceptedVersions }),
    quality: config.quality,
    lateEvents: config.process.lateEvents,
    enrichmentMiss: config.enrichment.onMiss,
  };
}
