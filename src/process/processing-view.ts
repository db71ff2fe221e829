import type { PartitionOffsets } from '../core/ports/log.js';
import type { StreamTime } from '../core/ports/processed-batch.js';
import type { ProcessorCounters } from './processor-counters.js';

/**
 * What the platform reads of its processing, whichever runs it: one Processor over every partition
 * (embedded), or a consumer-group member's processors, one per partition it holds (distributed).
 */
export interface ProcessingView {
  readonly pipeline: string;
  readonly counters: ProcessorCounters;
  readonly watermark: number | null;
  /** Each stream's event time, as the processors here see it. */
  streams(): StreamTime[];
  backlog(): Map<number, number>;
  totalBacklog(): number;
  committedOffsets(): PartitionOffsets;
  newestEventTimes(): Array<{ source: string; timestamp: number }>;
  health(): { ok: boolean; reason: string | null; lastBatchAt: number };
  /** When the first record was read, and the process's CPU time (µs, all threads) then. */
  readonly firstRecord: { at: number; cpuMicros: number } | undefined;
  /** The partitions processed here, on a node that holds only its share of them (a group member). */
  partitions?(): number[];
}

/**
 * Where "is this event late now?" and "is everything in the log processed?" have one answer: one
 * processor here sees every partition (embedded). Replaying dead letters and lineage need it.
 */
export interface WholePipelineView {
  /** A stream's events older than this are late (null before its first watermark). */
  lateBefore(source: string, type: string): number | null;
  /** Resolves true once everything in the log at the time of the call is committed, false after the timeout. */
  waitForProcessed(timeoutMs: number): Promise<boolean>;
}

/** The process role's processing: started and stopped by it, read by status, metrics and alerts. */
export interface ProcessingRuntime extends ProcessingView {
  start(): Promise<void>;
  /**
   * Stops: after the backlog is processed (embedded; unless `drain` is false), or handing the
   * partitions to the group's other members at once (a consumer-group member).
   */
  stop(options?: { drain?: boolean }): Promise<void>;
  readonly wholePipeline?: WholePipelineView;
}
