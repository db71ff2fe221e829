import type { Logger } from 'pino';
import type { SightlineError } from '../core/errors.js';
import type { CommitLineage, StreamTime } from '../core/ports/processed-batch.js';
import type { GroupListener, GroupMembership, GroupMemberOptions, Log, PartitionOffsets } from '../core/ports/log.js';
import type { PipelineStore } from '../core/ports/pipeline-store.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import type { ComponentMetrics } from '../observe/metrics.js';
import type { Tracing } from '../observe/tracing.js';
import type { PipelineSpec } from './batch-plan.js';
import { Processor } from './processor.js';
import type { ProcessingRuntime } from './processing-view.js';
import { addCounters, emptyProcessorCounters, type ProcessorCounters } from './processor-counters.js';
import type { QualityStats } from '../quality/quality-stats.js';
import { processorGroup } from '../core/pipeline-topics.js';

/** One partition's own store: it took the partition over (fencing an earlier owner) when it resolved. */
export interface PartitionStore extends PipelineStore {
  close(): Promise<void>;
}

export interface PartitionProcessorsOptions {
  log: Log;
  topic: string;
  spec: PipelineSpec;
  /** Opens the store of a partition this member was assigned, restoring its state. */
  openStore: (partition: number, logger: Logger) => Promise<PartitionStore>;
  reference?: ReferenceData;
  batchSize: number;
  logger: Logger;
  metrics?: ComponentMetrics;
  tracing?: Tracing;
  quality?: QualityStats;
  lineage?: () => CommitLineage;
  group?: GroupMemberOptions;
}

const START_RETRY_MS = 2000;

interface Running {
  processor: Processor;
  store: PartitionStore;
}

/**
 * A `sightline process` node: a member of the pipeline's consumer group, running one processor
 * per events partition the group assigns it. Each partition's processor has its own state (dedup
 * ids, open windows, watermark) and its own transactional store, so a partition moves between
 * nodes on a rebalance with its state: the new owner fences the old one and restores the state
 * from the state topic before it reads on from the checkpoint's offset.
 */
export class PartitionProcessors implements GroupListener, ProcessingRuntime {
  private readonly running = new Map<number, Running>();
  /** Counters of processors that stopped here (their partitions moved away), so totals never go down. */
  private readonly retired: ProcessorCounters = emptyProcessorCounters();
  private firstOfRetired: { at: number; cpuMicros: number } | undefined;
  private membership: GroupMembership | undefined;
  /** Assignment changes run one after the other. */
  private changes: Promise<void> = Promise.resolve();
  private readonly retries = new Map<number, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: PartitionProcessorsOptions) {}

  get pipeline(): string {
    return this.options.spec.name;
  }

  get group(): string {
    return processorGroup(this.options.spec.name);
  }

  async start(): Promise<void> {
    const { log, topic } = this.options;
    this.membership = await log.joinGroup(this.group, topic, this, this.options.group);
  }

  /**
   * Returns at once: restoring a partition's state can take longer than a session, and the member
   * heartbeats only between these calls. A revocation queues behind the starts.
   */
  async onAssigned(partitions: number[]): Promise<void> {
    void this.serially(() => Promise.all(partitions.map((p) => this.startOrRetry(p))).then(() => undefined));
  }

  /**
   * A partition that cannot start now (the cluster is busy aborting the old owner's transaction,
   * a broker is down) is tried again while it stays assigned here: it must not sit unprocessed.
   */
  private async startOrRetry(partition: number): Promise<void> {
    try {
      await this.startPartition(partition);
    } catch (err) {
      this.options.logger.warn({ partition, err: (err as Error).message }, 'starting a partition failed; trying again shortly');
      this.startLater(partition);
    }
  }

  /** Starts the partition in a moment if the group still assigns it here then. */
  private startLater(partition: number): void {
    const timer = setTimeout(() => {
      this.retries.delete(partition);
      if (this.stopped || !this.membership?.assigned().includes(partition)) return;
      void this.serially(() => this.startOrRetry(partition));
    }, START_RETRY_MS);
    this.retries.set(partition, timer);
  }

  onRevoked(partitions: number[]): Promise<void> {
    return this.serially(() => Promise.all(partitions.map((p) => this.stopPartition(p))).then(() => undefined));
  }

  private serially(change: () => Promise<void>): Promise<void> {
    const next = this.changes.then(change);
    this.changes = next.catch((err) => this.options.logger.error({ err }, 'changing the partitions this node processes failed'));
    return next;
  }

  private async startPartition(partition: number): Promise<void> {
    if (this.running.has(partition)) return;
    const o = this.options;
    const logger = o.logger.child({ partition });
    const started = Date.now();
    const store = await o.openStore(partition, logger);
    const processor = new Processor({
      log: o.log,
      topic: o.topic,
      store,
      // Mirrored through this node's membership, so Kafka's tools show the lag of the group the
      // processors are in; the offsets that count are in the state topic.
      group: processorGroup(o.spec.name),
      partitions: [partition],
      spec: { ...o.spec, changelog: true },
      ...(o.reference && { reference: o.reference }),
      batchSize: o.batchSize,
      logger,
      ...(o.metrics && { metrics: o.metrics }),
      ...(o.tracing && { tracing: o.tracing }),
      ...(o.quality && { quality: o.quality }),
      ...(o.lineage && { lineage: o.lineage }),
      onFenced: (err) => void this.onFenced(partition, err),
    });
    await processor.start();
    this.running.set(partition, { processor, store });
    logger.info({ tookMs: Date.now() - started }, 'processing partition');
  }

  private async stopPartition(partition: number): Promise<void> {
    clearTimeout(this.retries.get(partition));
    this.retries.delete(partition);
    const running = this.running.get(partition);
    if (!running) return;
    this.running.delete(partition);
    await running.processor.stop({ drain: false });
    await running.store.close();
    // Duplicates and late are the partition's running totals from its checkpoint: a later owner
    // (maybe this node again) starts from them, so they are not kept here.
    addCounters(this.retired, { ...running.processor.counters, duplicates: 0, late: 0 });
    const f = running.processor.firstRecord;
    if (f && (!this.firstOfRetired || f.at < this.firstOfRetired.at)) this.firstOfRetired = f;
  }

  /**
   * Another producer took the partition's transactional id. Usually a new owner after a rebalance,
   * whose revocation reaches this node soon. But a commit paused past the transaction timeout is
   * fenced by the coordinator itself, with the partition still assigned here: then it starts again
   * (restoring from what Kafka holds), or it would sit unprocessed while the group thinks it is not.
   */
  private async onFenced(partition: number, err: SightlineError): Promise<void> {
    this.options.logger.warn({ partition, err: err.message }, 'partition fenced; released here, and taken up again if the group still assigns it here');
    await this.serially(() => this.stopPartition(partition));
    this.startLater(partition);
  }

  /** The first record any of this node's processors read (processors that stopped included). */
  get firstRecord(): { at: number; cpuMicros: number } | undefined {
    let first = this.firstOfRetired;
    for (const { processor } of this.running.values()) {
      const f = processor.firstRecord;
      if (f && (!first || f.at < first.at)) first = f;
    }
    return first;
  }

  /** Partitions processed here now. */
  partitions(): number[] {
    return [...this.running.keys()].sort((a, b) => a - b);
  }

  get counters(): ProcessorCounters {
    const total = emptyProcessorCounters();
    addCounters(total, this.retired);
    for (const { processor } of this.running.values()) addCounters(total, processor.counters);
    return total;
  }

  /** The lowest watermark among this node's partitions (each has its own). */
  get watermark(): number | null {
    let low: number | null = null;
    for (const { processor } of this.running.values()) {
      const w = processor.watermark;
      if (w !== null && (low === null || w < low)) low = w;
    }
    return low;
  }

  /** Each stream over this node's partitions: the lowest watermark and bound, the newest event. */
  streams(): StreamTime[] {
    const out = new Map<string, StreamTime>();
    for (const { processor } of this.running.values()) {
      for (const s of processor.streams()) {
        const seen = out.get(s.stream);
        out.set(s.stream, seen ? combineStreamTimes(seen, s) : s);
      }
    }
    return [...out.values()];
  }

  backlog(): Map<number, number> {
    const out = new Map<number, number>();
    for (const { processor } of this.running.values()) for (const [p, n] of processor.backlog()) out.set(p, n);
    return out;
  }

  totalBacklog(): number {
    let total = 0;
    for (const n of this.backlog().values()) total += n;
    return total;
  }

  committedOffsets(): PartitionOffsets {
    const out: PartitionOffsets = new Map();
    for (const { processor } of this.running.values()) for (const [p, n] of processor.committedOffsets()) out.set(p, n);
    return out;
  }

  newestEventTimes(): Array<{ source: string; timestamp: number }> {
    const newest = new Map<string, number>();
    for (const { processor } of this.running.values()) {
      for (const { source, timestamp } of processor.newestEventTimes()) newest.set(source, Math.max(timestamp, newest.get(source) ?? timestamp));
    }
    return [...newest].map(([source, timestamp]) => ({ source, timestamp }));
  }

  health(): { ok: boolean; reason: string | null; lastBatchAt: number } {
    let lastBatchAt = 0;
    const reasons: string[] = [];
    const idle = (this.membership?.assigned() ?? []).filter((p) => !this.running.has(p));
    if (idle.length > 0) reasons.push(`partitions ${idle.join(', ')} are assigned here but not processed yet (starting, or retrying a failed start)`);
    for (const [p, { processor }] of this.running) {
      const h = processor.health();
      lastBatchAt = Math.max(lastBatchAt, h.lastBatchAt);
      if (!h.ok) reasons.push(`partition ${p}: ${h.reason}`);
    }
    return { ok: reasons.length === 0, reason: reasons.length === 0 ? null : reasons.join('; '), lastBatchAt };
  }

  /** Leaves the group: the partitions go to the other members at once, each from its last commit. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    await this.membership?.close();
    await this.changes;
    await Promise.all([...this.running.keys()].map((p) => this.stopPartition(p)));
  }
}

function combineStreamTimes(a: StreamTime, b: StreamTime): StreamTime {
  const low = (x: number | null, y: number | null): number | null => (x === null || y === null ? null : Math.min(x, y));
  const high = (x: number | null, y: number | null): number | null => (x === null ? y : y === null ? x : Math.max(x, y));
  return {
    stream: a.stream,
    watermark: low(a.watermark, b.watermark),
    finalizedThrough: low(a.finalizedThrough, b.finalizedThrough),
    maxEventTime: high(a.maxEventTime, b.maxEventTime),
    lastEventAt: high(a.lastEventAt, b.lastEventAt),
  };
}
