import { EVENTS_TOPIC } from '../../core/pipeline-topics.js';
import type { Log, PartitionOffsets } from '../../core/ports/log.js';
import { DeadLetterQueue } from '../../dlq/dead-letter-queue.js';
import { registerLogMetrics } from '../../log/log-metrics.js';
import { InstrumentedLog } from '../../observe/instrumented-log.js';
import type { ProcessingRuntime } from '../../process/processing-view.js';
import { type Backlog, type LogAdapters, maxOriginalBytes, type PlatformAdapters } from '../adapters.js';
import { type Component, notStarted } from '../component.js';
import type { PlatformContext } from '../context.js';

/**
 * The log and what every node keeps on it: the dead-letter topic, and the processing backlog as
 * ingest and alerts see it. Ingest and processing append and read through the instrumented port,
 * so the `log` metrics count them.
 */
export class LogComponent implements Component {
  readonly name = 'log';
  private opened: LogAdapters | undefined;
  private observed: Log | undefined;
  private letters: DeadLetterQueue | undefined;
  private lag: Backlog | undefined;

  constructor(
    private readonly ctx: PlatformContext,
    private readonly adapters: PlatformAdapters,
    /** The processing in this process, once the process role started it. */
    private readonly processing: () => ProcessingRuntime | undefined,
  ) {}

  async start(): Promise<void> {
    const opened = await this.adapters.openLog(this.ctx.loggerFor('log'));
    this.opened = opened;
    try {
      this.observed = new InstrumentedLog(opened.log, this.ctx.metrics.component('log'));
      this.letters = await DeadLetterQueue.open(opened.log, this.ctx.metrics.registry, maxOriginalBytes(this.ctx.config));
    } catch (err) {
      await opened.log.close().catch(() => undefined);
      throw err;
    }
    registerLogMetrics(this.ctx.metrics.registry, opened.log);
    this.lag = opened.backlog(this.processing);
    this.lag.start();
  }

  async stop(): Promise<void> {
    this.lag?.stop();
    await this.opened?.log.close();
  }

  /** The log, counted in the `log` metrics. */
  get log(): Log {
    this.adaptersOf();
    return this.observed!;
  }

  get deadLetters(): DeadLetterQueue {
    this.adaptersOf();
    return this.letters!;
  }

  get backlog(): Backlog {
    this.adaptersOf();
    return this.lag!;
  }

  /** What runs on this log: the schema store, processing, loading, as the adapters chose them. */
  adaptersOf(): LogAdapters {
    if (!this.opened) throw notStarted('the log');
    return this.opened;
  }

  async status(): Promise<Record<string, unknown>> {
    const { log, reachedAt, processingGroup } = this.adaptersOf();
    const processed = this.processing()?.committedOffsets() ?? new Map<number, number>();
    const committed = await log.committedOffsets(processingGroup, EVENTS_TOPIC);
    const stats = log.stats();
    return {
      log: {
        ...(reachedAt && { kafka: reachedAt }),
        fsyncs: stats.fsyncs,
        // The processor reads the events topic; other topics (the registry's _schemas) have no backlog.
        topics: stats.topics.map((t) => ({
          topic: t.topic,
          partitions: t.partitions.map((p) => ({
            partition: p.partition,
            start_offset: t.topic === EVENTS_TOPIC ? (log.startOffsets(EVENTS_TOPIC).get(p.partition) ?? 0) : 0,
            end_offset: p.endOffset,
            ...(t.topic === EVENTS_TOPIC && eventsProgress(p.partition, p.endOffset, processed, committed)),
            bytes: p.bytes,
            segments: p.segments,
          })),
        })),
      },
    };
  }

  async unready(): Promise<string[]> {
    return this.failing();
  }

  async failing(): Promise<string[]> {
    return this.adaptersOf().log.failures().map((failure) => `log partition stopped after a failed write: ${failure}`);
  }
}

/** An events partition's processed and committed offsets, and what is left to process. */
function eventsProgress(partition: number, end: number, processed: PartitionOffsets, committed: PartitionOffsets): Record<string, number> {
  return {
    ...(processed.has(partition) && { processed_offset: processed.get(partition)! }),
    committed_offset: committed.get(partition) ?? 0,
    backlog: Math.max(0, end - (processed.get(partition) ?? committed.get(partition) ?? 0)),
  };
}
