import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { SnapshotFile } from '../../fs/snapshot-file.js';
import { ContractChecker } from '../../contracts/contract-checker.js';
import type { ContractStats } from '../../contracts/contract-stats.js';
import { EVENTS_TOPIC } from '../../core/pipeline-topics.js';
import { IngestService } from '../../ingest/ingest-service.js';
import type { SourceTypeCounter } from '../../observe/source-type-counter.js';
import { ingestRoutes } from '../../serve/routes/ingest.js';
import { type Component, notStarted } from '../component.js';
import type { PlatformContext } from '../context.js';
import type { LogComponent } from './log.js';
import type { RegistryComponent } from './registry.js';

interface KeptCounters {
  since: number;
  ingest: IngestService['counters'];
  contracts: ReturnType<ContractStats['snapshot']>;
  sources: ReturnType<SourceTypeCounter['snapshot']>;
}

/**
 * The ingest role: POST /v1/events checks each event (envelope, contract) and appends the good ones
 * to the log, durable before it answers; refused ones go to the dead-letter topic. It holds back
 * (429) while processing is too far behind, and refuses new events (503) once the API closes.
 */
export class IngestRole implements Component {
  readonly name = 'ingest';
  private ingest: IngestService | undefined;
  private kept: SnapshotFile | undefined;
  /** When these counters began: the first start of this data folder, kept across restarts. */
  private countingSince = Date.now();

  constructor(
    private readonly ctx: PlatformContext,
    private readonly logs: LogComponent,
    private readonly registry: RegistryComponent,
    private readonly sourceTypes: SourceTypeCounter,
  ) {}

  async start(): Promise<void> {
    const { config, metrics, tracing } = this.ctx;
    const backlog = this.logs.backlog;
    this.ingest = new IngestService({
      log: this.logs.log,
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
      backlog: () => backlog.total(),
      contracts: new ContractChecker(this.registry.registry, config.contracts.unknown, this.registry.contractStats),
      metrics: metrics.component('ingest'),
      sourceTypes: this.sourceTypes,
      tracing,
      deadLetters: this.logs.deadLetters,
      schemaHeaders: this.logs.adaptersOf().schemaHeaders,
    });
    await this.restoreCounters();
  }

  /** Ingest, contract and per-source counters go on across restarts (status and schema list say since when). */
  private async restoreCounters(): Promise<void> {
    const { config } = this.ctx;
    const service = this.ingest!;
    const stats = this.registry.contractStats;
    this.kept = new SnapshotFile(
      join(config.dataDir, 'state', 'ingest-counters.json'),
      (): KeptCounters => ({ since: this.countingSince, ingest: service.counters, contracts: stats.snapshot(), sources: this.sourceTypes.snapshot() }),
      this.ctx.loggerFor('ingest'),
    );
    const kept = (await this.kept.load()) as Partial<KeptCounters> | undefined;
    if (kept) {
      if (typeof kept.since === 'number') this.countingSince = kept.since;
      if (kept.ingest) Object.assign(service.counters, kept.ingest);
      if (kept.contracts) stats.restore(kept.contracts);
      if (kept.sources) this.sourceTypes.restore(kept.sources);
    }
    this.kept.start();
  }

  async stop(): Promise<void> {
    this.ingest?.stop();
    await this.kept?.stop();
  }

  get service(): IngestService {
    if (!this.ingest) throw notStarted('ingest');
    return this.ingest;
  }

  async routes(app: FastifyInstance): Promise<void> {
    const { config, metrics, tracing } = this.ctx;
    const service = this.service;
    await app.register(ingestRoutes, { service, maxBodyBytes: config.ingest.maxBodyBytes, maxEventsPerBatch: config.ingest.maxEventsPerBatch, metrics: metrics.component('ingest'), tracing });
    // The first thing a closing API does: new batches get 503 SL_INGEST_STOPPING (retryable) while
    // the requests in flight finish.
    app.addHook('preClose', async () => service.stop());
  }

  async status(): Promise<Record<string, unknown>> {
    return { ingest: { ...this.service.counters, counting_since: this.countingSince } };
  }
}
