import type { Logger } from 'pino';
import { SightlineError } from '../core/errors.js';
import type { CommitLineage, StreamTime } from '../core/ports/processed-batch.js';
import type { PipelineStore } from '../core/ports/pipeline-store.js';
import type { Log, LogConsumer, LogRecord, PartitionOffsets } from '../core/ports/log.js';
import type { DeadLetter } from '../core/dead-letter.js';
import type { ReferenceData } from '../core/ports/reference-data.js';
import type { PipelineSpec } from './batch-plan.js';
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ComponentMetrics } from '../observe/metrics.js';
import { NO_TRACING, type Tracing } from '../observe/tracing.js';
import { InlinePlanner } from './inline-planner.js';
import type { PlannedBatch, Planner } from './planner.js';
import { checkOffsetsAgainstLog, stateSince } from './state-restore.js';
import type { QualityStats } from '../quality/quality-stats.js';
import { cloneCounters, countDeadLetter, countersOf, countPlan, emptyProcessorCounters, type ProcessorCounters, reportPlan } from './processor-counters.js';
import type { ProcessingRuntime, WholePipelineView } from './processing-view.js';
import { startBatchSpan } from './batch-span.js';
import { NewestEventTimes } from './newest-event-times.js';
import { commitSetAside, type PieceCommitter, PoisonEvents } from './poison-events.js';
import { WakeableDelay } from './wakeable-delay.js';
import { lateBefore } from './stages/event-time.js';
import { rulesFor } from './stream-rules.js';
import { streamOf } from '../core/window-key.js';

export interface ProcessorOptions {
  log: Log;
  topic: string;
  /** Where the checkpoint lives and batches commit: the hot store, or Kafka transactions in distributed mode. */
  store: PipelineStore;
  /** The consumer group its read positions are mirrored to (for lag and status); default the pipeline's name. */
  group?: string;
  /** The partitions this processor reads (distributed mode: one, given by the consumer group); default all. */
  partitions?: readonly number[];
  spec: PipelineSpec;
  reference?: ReferenceData;
  batchSize: number;
  logger: Logger;
  /** Where batches are planned; the processor owns it. Default: on this thread. */
  planner?: Planner;
  metrics?: ComponentMetrics;
  tracing?: Tracing;
  quality?: QualityStats;
  /** What runs this pipeline, recorded with each commit as its events' lineage. */
  lineage?: () => CommitLineage;
  /** Another processor took the partitions over (distributed mode): this one has stopped. */
  onFenced?: (err: SightlineError) => void;
  /** Processing time, which idleness is measured on (a test clock in tests). */
  clock?: () => number;
}

const LOG_COMMIT_INTERVAL_MS = 1000;
/** With nothing to read, how often idle streams are checked for windows to close. */
const IDLE_CHECK_INTERVAL_MS = 1000;
/** The first retry of a failed batch waits this long, each next one twice as long, up to the max. */
const RETRY_DELAY_MS = 1000;
const MAX_RETRY_DELAY_MS = 10_000;

/**
 * Consumes the event topic in batches, plans each through the stages of batch-plan.ts (event
 * time, dedup, lateness, quality, enrichment, windows), and commits its rows, window counts, dead
 * letters and source offsets to its PipelineStore as one unit. The store, not the log, holds the
 * offsets that count, so a crash anywhere replays exactly the batches that did not commit. The
 * planner's state runs ahead of the store by at most the batch being committed; a failed commit
 * rebuilds it from the store.
 */
export class Processor implements ProcessingRuntime, WholePipelineView {
  private consumer!: LogConsumer;
  private readonly planner: Planner;
  /** Offsets the store holds: where a replay would start. */
  private committed: PartitionOffsets = new Map();
  /** Offsets after the last batch planned (committed or not): the base of the next plan. */
  private planned: PartitionOffsets = new Map();
  /** Running totals the store keeps, including batches planned but not yet committed. */
  private plannedCounters = emptyProcessorCounters();
  /** The commit in progress, if any; commits run one after the other, in batch order. */
  private inflight: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  /** The wait before a retry, which a stop ends: a stop does not sit out the backoff. */
  private readonly retryDelay = new WakeableDelay();
  /** Stop without processing the backlog: the partitions go to another processor. */
  private abandoning = false;
  private stalledError: string | null = null;
  private lastLogCommit = 0;
  private logCommit: Promise<void> | undefined;
  private lastBatchAt = Date.now();
  private lastIdleCheck = 0;
  private readonly now: () => number;
  /** Consecutive failed batches. */
  private failures = 0;
  private readonly poison = new PoisonEvents();
  private readonly tracing: Tracing;
  /**
   * When this processor first read a record, and the process's CPU time then (all threads): what
   * a benchmark needs to charge processing, not start-up, to the events.
   */
  firstRecord: { at: number; cpuMicros: number } | undefined;
  /** Newest event time stored per source: read from the store at start, then moved by each commit. */
  private readonly newest = new NewestEventTimes();
  readonly counters: ProcessorCounters = emptyProcessorCounters();

  constructor(private readonly options: ProcessorOptions) {
    this.planner = options.planner ?? new InlinePlanner(options.spec, options.reference);
    this.tracing = options.tracing ?? NO_TRACING;
    this.now = options.clock ?? Date.now;
  }

  get pipeline(): string {
    return this.options.spec.name;
  }

  get group(): string {
    return this.options.group ?? this.options.spec.name;
  }

  /** Itself, when it reads every partition; a processor of some partitions cannot answer for the rest. */
  get wholePipeline(): WholePipelineView | undefined {
    return this.options.partitions ? undefined : this;
  }

  async start(): Promise<void> {
    const { log, topic } = this.options;
    this.consumer = await log.consumer(this.group, topic, this.options.partitions && { partitions: this.options.partitions });
    await this.restoreFromStore();
    this.newest.restore(await this.options.store.newestEventTimes());
    this.loop = this.run();
  }

  /** (Re)builds all in-memory state from the store's checkpoint and rewinds the consumer to it. */
  private async restoreFromStore(): Promise<void> {
    const { log, topic, store, spec } = this.options;
    const checkpoint = await store.loadCheckpoint(spec.name, log.partitionCount(topic));
    checkOffsetsAgainstLog(checkpoint.offsets, topic, this.endOffsets(), log.startOffsets(topic));
    const { ids, unique } = await stateSince(store, spec, checkpoint, this.now());
    await this.planner.reset(checkpoint, ids, unique);
    // The counters are the checkpoint's: they survive a restart, and a failed batch counts nothing.
    const kept = countersOf(checkpoint);
    Object.assign(this.counters, kept, { commitFailures: this.counters.commitFailures });
    this.plannedCounters = kept;
    this.committed = new Map(checkpoint.offsets);
    this.planned = new Map(checkpoint.offsets);
    for (const [partition, offset] of checkpoint.offsets) this.consumer.seek(partition, offset);
    this.options.logger.info(
      { pipeline: spec.name, offsets: Object.fromEntries(checkpoint.offsets), watermark: checkpoint.watermark, openWindows: checkpoint.openWindows.length, dedupIds: ids.length },
      'processor resumed from its checkpoint',
    );
  }

  /** Resolves true once everything in the log at the time of the call is committed, false after the timeout. */
  async waitForProcessed(timeoutMs: number): Promise<boolean> {
    const target = this.endOffsets();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if ([...target].every(([p, end]) => (this.committed.get(p) ?? 0) >= end)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Newest event time stored per source. */
  newestEventTimes(): Array<{ source: string; timestamp: number }> {
    return this.newest.list();
  }

  /** Each stream's event time after the last planned batch. */
  streams(): StreamTime[] {
    return this.planner.streams;
  }

  lateBefore(source: string, type: string): number | null {
    const time = this.planner.streams.find((s) => s.stream === streamOf(source, type));
    if (!time || time.watermark === null) return null;
    return lateBefore(time, rulesFor(this.options.spec, source, type));
  }

  /** Events in the log not yet committed to the store, per partition. */
  backlog(): Map<number, number> {
    const ends = this.endOffsets();
    const out = new Map<number, number>();
    for (const [p, end] of ends) out.set(p, Math.max(0, end - (this.committed.get(p) ?? 0)));
    return out;
  }

  /** End offsets of the partitions this processor reads. */
  private endOffsets(): PartitionOffsets {
    const ends = this.options.log.endOffsets(this.options.topic);
    const only = this.options.partitions;
    if (!only) return ends;
    return new Map(only.map((p) => [p, ends.get(p) ?? 0]));
  }

  totalBacklog(): number {
    let total = 0;
    for (const n of this.backlog().values()) total += n;
    return total;
  }

  committedOffsets(): PartitionOffsets {
    return new Map(this.committed);
  }

  get watermark(): number | null {
    return this.planner.watermark;
  }

  health(): { ok: boolean; reason: string | null; lastBatchAt: number } {
    return { ok: this.stalledError === null, reason: this.stalledError, lastBatchAt: this.lastBatchAt };
  }

  /**
   * Poll → plan → commit, with the commit of one batch running (mostly inside DuckDB, off this
   * thread) while the next is polled and planned. Planning applies a batch's effect to the
   * in-memory state at once, so the next plan builds on it; if a commit fails, everything planned
   * after the last good commit is thrown away and the state is rebuilt from the store.
   */
  private async run(): Promise<void> {
    const { batchSize } = this.options;
    let needsRestore = false;
    let isolateNext = false;
    while (!this.abandoning && (!this.stopping || this.totalBacklog() > 0)) {
      try {
        if (needsRestore) {
          await this.restoreFromStore();
          needsRestore = false;
        }
        const records = await this.consumer.poll(batchSize, this.stopping ? 0 : 200);
        if (records.length > 0 && !this.firstRecord) {
          const cpu = process.cpuUsage();
          this.firstRecord = { at: Date.now(), cpuMicros: cpu.user + cpu.system };
        }
        if (records.length === 0) {
          await this.inflight;
          await this.maybeCommitToLog(false);
          if (!this.stopping) await this.closeIdleWindows();
          if (this.stopping && this.totalBacklog() > 0) await new Promise((r) => setTimeout(r, 10));
          continue;
        }
        if (isolateNext) {
          // Polled right after a restore, so the batch starts at the committed offsets.
          isolateNext = false;
          needsRestore = true;
          await this.isolate(records);
          continue;
        }
        await this.planAndCommit(records);
        this.stalledError = null;
      } catch (err) {
        if (err instanceof SightlineError && err.code === 'SL_PARTITION_FENCED') {
          this.abandoning = true;
          this.stalledError = err.message;
          this.options.logger.warn({ err: err.message, pipeline: this.pipeline, partitions: this.options.partitions }, 'another processor took these partitions over; stopping here');
          await this.inflight?.catch(() => undefined);
          this.inflight = undefined;
          this.options.onFenced?.(err);
          return;
        }
        this.counters.commitFailures++;
        this.options.metrics?.error(err instanceof SightlineError ? err.code : 'SL_STORE_WRITE_FAILED');
        this.stalledError = (err as Error).message;
        await this.inflight?.catch(() => undefined);
        this.inflight = undefined;
        if (this.stopping) {
          // A stop must not wait for a store that may never take the batch (a full disk): what is
          // not committed stays in the log and is processed after the restart.
          this.options.logger.error({ err, pipeline: this.pipeline }, 'batch failed while stopping; stopping without it (it stays in the log)');
          break;
        }
        this.options.logger.error({ err, pipeline: this.pipeline }, 'batch failed; rebuilding state from the last commit and retrying');
        // Nothing is polled or planned again until the state matches the store.
        needsRestore = true;
        // The same records failed twice: maybe one event among them fails every attempt.
        if (++this.failures >= 2) isolateNext = true;
        await this.retryDelay.wait(Math.min(RETRY_DELAY_MS * 2 ** (this.failures - 1), MAX_RETRY_DELAY_MS));
      }
    }
    await this.inflight;
    await this.maybeCommitToLog(true);
  }

  /**
   * A batch that failed twice is committed in pieces, to find an event that fails every attempt
   * and set it aside in the dead-letter queue (poison-events.ts).
   */
  private async isolate(records: readonly LogRecord[]): Promise<void> {
    const committer: PieceCommitter = {
      commit: async (piece) => {
        await this.planAndCommit(piece);
        await this.inflight;
      },
      restore: async () => {
        await this.inflight?.catch(() => undefined);
        this.inflight = undefined;
        await this.restoreFromStore();
      },
      setAside: (record, letter, err) => this.setAside(record, letter, err),
      unwritable: () => this.options.store.writable(),
    };
    await this.poison.isolate(records, committer);
    this.failures = 0;
    this.stalledError = null;
  }

  /** Sets an event aside: its dead letter committed with the checkpoint moved past it, then counted and logged. */
  private async setAside(record: LogRecord, letter: DeadLetter, err: Error): Promise<void> {
    await commitSetAside(this.options.store, this.options.spec.name, this.options.log.partitionCount(this.options.topic), record, letter);
    countDeadLetter(this.counters, letter.reason.code);
    this.options.metrics?.discarded(letter.reason.code);
    this.options.logger.error({ partition: record.partition, offset: record.offset, eventId: letter.eventId, err }, 'an event the hot store refuses on its own went to the dead-letter queue');
  }

  /**
   * With everything read, an empty batch moves the streams' clocks on the processing clock, so
   * windows of a stream idle past its timeout become final; committed only when one does.
   */
  private async closeIdleWindows(): Promise<void> {
    const now = this.now();
    if (now - this.lastIdleCheck < IDLE_CHECK_INTERVAL_MS || this.totalBacklog() > 0) return;
    this.lastIdleCheck = now;
    await this.planAndCommit([], true);
    this.stalledError = null;
  }

  private async planAndCommit(records: readonly LogRecord[], onlyIfFinalizing = false): Promise<void> {
    const { store, spec } = this.options;
    const ends = this.endOffsets();
    const positions = this.consumer.positions();
    const withUnread = [...ends].filter(([p, end]) => (positions.get(p) ?? 0) < end).map(([p]) => p);
    // A store lookup must see every earlier batch, so it waits for the commit in flight.
    const lookup = async (ids: string[]): Promise<Set<string>> => {
      await this.inflight;
      return store.existingIds(ids);
    };
    // An idle check is not a batch: no span, no timings.
    const idleCheck = records.length === 0;
    const metrics = idleCheck ? undefined : this.options.metrics;
    const planned = metrics?.startTimer('plan');
    const batchDone = metrics?.startTimer('batch');
    const tracing = idleCheck ? NO_TRACING : this.tracing;
    const batchSpan = startBatchSpan(tracing, this.pipeline, records);
    const inBatch = batchSpan && trace.setSpan(ROOT_CONTEXT, batchSpan);
    let plan: PlannedBatch;
    try {
      plan = await tracing.step('sightline.process.plan', () => this.planner.plan(records, withUnread, this.planned, lookup, this.now()), { parent: inBatch });
    } catch (err) {
      batchSpan?.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      batchSpan?.end();
      throw err;
    }
    planned?.();
    if (onlyIfFinalizing && !plan.finalizes) {
      // The clocks moved in the planner only; the next commit carries them.
      batchSpan?.end();
      return;
    }
    this.planned = plan.offsets;
    countPlan(this.plannedCounters, plan);
    const totals = cloneCounters(this.plannedCounters);
    const batch = {
      pipeline: spec.name,
      rows: plan.rows,
      traceRuns: plan.traceRuns,
      windows: plan.windows,
      finalBounds: plan.finalBounds,
      watermark: plan.watermark,
      streams: plan.streams,
      offsets: plan.offsets,
      duplicates: totals.duplicates,
      late: totals.late,
      counters: totals,
      quality: plan.quality,
      ...(this.options.lineage && { lineage: this.options.lineage() }),
      ...(plan.changelog && { changelog: plan.changelog }),
    };
    const previous = this.inflight;
    const commit = (async () => {
      await previous;
      await tracing.step('sightline.hot_store.commit', () => store.commit(batch, plan.deadLetters), { parent: inBatch, attributes: { 'sightline.rows': batch.rows.count } });
      this.committed = plan.offsets;
      this.failures = 0;
      if (plan.rows.count > 0) this.poison.noteStoredRows();
      // From the poll of the batch to its rows, counts and offsets committed.
      batchDone?.();
      this.count(plan, totals);
      void this.maybeCommitToLog(false);
    })();
    commit.then(
      () => {
        batchSpan?.setAttributes({ 'sightline.rows': plan.rows.count, 'sightline.duplicates': plan.duplicates, 'sightline.late': plan.late });
        batchSpan?.end();
      },
      (err: Error) => {
        batchSpan?.recordException(err);
        batchSpan?.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
        batchSpan?.end();
      },
    );
    this.inflight = commit;
    // At most two batches in flight: one committing, this one queued behind it.
    await previous;
  }

  private count(plan: PlannedBatch, totals: ProcessorCounters): void {
    Object.assign(this.counters, cloneCounters(totals), { commitFailures: this.counters.commitFailures });
    for (const [source, timestamp] of Object.entries(plan.newestBySource)) this.newest.note(source, timestamp);
    this.options.quality?.count(plan.quality);
    this.lastBatchAt = Date.now();
    if (this.options.metrics) reportPlan(this.options.metrics, plan);
  }

  /** Mirrors the store's offsets into the log's group offsets, for status and log retention. */
  private async maybeCommitToLog(force: boolean): Promise<void> {
    // One write of the offsets file at a time; a forced one waits for the one running.
    if (this.logCommit) {
      if (!force) return;
      await this.logCommit;
    }
    const now = Date.now();
    if (!force && now - this.lastLogCommit < LOG_COMMIT_INTERVAL_MS) return;
    this.lastLogCommit = now;
    this.logCommit = this.consumer
      .commit(new Map(this.committed))
      .catch((err) => this.options.logger.warn({ err }, 'group offset commit failed'))
      .finally(() => {
        this.logCommit = undefined;
      });
    await this.logCommit;
  }

  /**
   * Stops after everything in the log at the time of the call (and after) is committed; with
   * `drain: false` (the partitions go to another processor) after the batch in flight.
   */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    this.stopping = true;
    if (options.drain === false) this.abandoning = true;
    this.retryDelay.end();
    await this.loop;
    // A processor whose start failed may have no consumer yet; its planner (a thread) still goes.
    await this.consumer?.close();
    await this.planner.close();
  }
}
