import type { PartitionOffsets } from '../core/ports/log.js';
import type { ProcessorCounters } from './processor.js';

/**
 * What the platform reads of its processing, whichever runs it: one Processor over every partition
 * (embedded), or a consumer-group member's processors, one per partition it holds (distributed).
 */
export interface ProcessingView {
  readonly pipeline: string;
  readonly counters: ProcessorCounters;
  readonly watermark: number | null;
  backlog(): Map<number, number>;
  totalBacklog(): number;
  committedOffsets(): PartitionOffsets;
  newestEventTimes(): Array<{ source: string; timestamp: number }>;
  health(): { ok: boolean; reason: string | null; lastBatchAt: number };
  /** When the first record was read, and the process's CPU time (µs, all threads) then. */
  readonly firstRecord: { at: number; cpuMicros: number } | undefined;
}
