import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DLQ_TOPIC } from '../../core/dead-letter.js';
import { EVENTS_TOPIC, MAIN_PIPELINE } from '../../core/pipeline-topics.js';
import { LineageEmitter } from '../../lineage/lineage-emitter.js';
import { buildLineageGraph } from '../../lineage/lineage-graph.js';
import { createLineageSinks } from '../../lineage/lineage-sinks.js';
import type { LineageStats } from '../../lineage/lineage-stats.js';
import type { QualityStats } from '../../quality/quality-stats.js';
import type { SourceTypeCounter } from '../../observe/source-type-counter.js';
import { lineageRoutes } from '../../serve/routes/lineage.js';
import type { Component } from '../component.js';
import type { PlatformContext } from '../context.js';
import { platformLineageStats } from '../platform-lineage-stats.js';
import type { IngestRole } from './ingest-role.js';
import type { LogComponent } from './log.js';
import type { ProcessRole } from './process-role.js';
import type { RegistryComponent } from './registry.js';
import type { StoresComponent } from './stores.js';

export interface LineageParts {
  logs: LogComponent;
  registry: RegistryComponent;
  stores: StoresComponent;
  process: ProcessRole;
  ingest: IngestRole;
  sourceTypes: SourceTypeCounter;
  qualityStats: QualityStats;
}

/**
 * OpenLineage runs of the platform's jobs (START once the API listens, RUNNING on an interval,
 * COMPLETE after the pipeline drained) and the /v1/lineage graph. Lineage describes one process
 * that runs every layer with one processor over every partition; a distributed deployment's is
 * not built yet, and there this component stays quiet.
 */
export class LineageComponent implements Component {
  readonly name = 'lineage';
  private emitter: LineageEmitter | undefined;
  private url = '';

  constructor(
    private readonly ctx: PlatformContext,
    private readonly parts: LineageParts,
  ) {}

  async start(): Promise<void> {}

  /** Called after every component started, so whether processing sees the whole pipeline is known. */
  private stats(): (() => Promise<LineageStats>) | undefined {
    const { logs, registry, stores, process, ingest, sourceTypes, qualityStats } = this.parts;
    const processing = process.processing;
    if (!processing?.wholePipeline) return undefined;
    const { config, node } = this.ctx;
    return platformLineageStats({
      node,
      dataDir: config.dataDir,
      logDir: join(config.dataDir, 'log'),
      ingestEndpoint: () => this.url,
      log: logs.log,
      eventsTopic: EVENTS_TOPIC,
      deadLetterTopic: DLQ_TOPIC,
      pipeline: MAIN_PIPELINE,
      hot: stores.hot,
      cold: stores.cold,
      registry: registry.registry,
      reference: process.referenceData,
      rules: config.quality.rules,
      sources: () => sourceTypes.snapshot(),
      ingest: () => ingest.service.counters,
      deadLetteredAtIngest: () => ingest.service.counters.rejected,
      processor: () => ({ counters: processing.counters, watermark: processing.watermark, lastBatchAt: processing.health().lastBatchAt, failing: processing.health().reason }),
      quality: () => qualityStats.snapshot(),
      archived: () => ({
        rows: { ...stores.archiver.rowsWritten },
        lastError: stores.archiver.lastError,
        lifecycle: stores.archiver.lastLifecycle,
        tierFolder: config.lifecycle.tier.prefix.split('/')[0]!,
      }),
    });
  }

  async routes(app: FastifyInstance): Promise<void> {
    const stats = this.stats();
    if (!stats) return;
    const namespace = this.ctx.config.lineage.namespace;
    await app.register(lineageRoutes, { graph: async () => buildLineageGraph(await stats(), { namespace }) });
  }

  async listening(url: string): Promise<void> {
    this.url = url;
    const stats = this.stats();
    if (!stats) return;
    const { config } = this.ctx;
    const logger = this.ctx.loggerFor('lineage');
    this.emitter = new LineageEmitter({ namespace: config.lineage.namespace, intervalMs: config.lineage.intervalMs, stats, sinks: createLineageSinks(config.lineage, logger), logger });
    await this.emitter.start();
  }

  /** COMPLETE reports the final counts: after the last batch and export, before the stores close. */
  async stop(): Promise<void> {
    await this.emitter?.stop();
  }
}
