import type { DeadLetter } from '../dead-letter.js';
import type { HotStore, ProcessedBatch } from './hot-store.js';

/**
 * Where a processor keeps its checkpoint and commits its batches. Embedded: the hot store, in one
 * DuckDB transaction per batch. Distributed: one Kafka transaction per batch and log partition
 * (src/distributed/kafka-partition-store.ts), which the serving nodes' sinks then load.
 */
export interface PipelineStore
  extends Pick<HotStore, 'loadCheckpoint' | 'idsSince' | 'fieldValuesSince' | 'newestEventTimes' | 'existingIds' | 'writable'> {
  /**
   * Commits the batch with its offsets. `deadLetters` are given only to a store that declares
   * `commitsDeadLetters`: it writes them in the same atomic unit. Otherwise the processor writes
   * them to the dead-letter topic before the commit.
   */
  commit(batch: ProcessedBatch, deadLetters?: readonly DeadLetter[]): Promise<void>;
  readonly commitsDeadLetters?: boolean;
  /** A `unique` rule's values within the dedup window, for a store that keeps them by rule (else fieldValuesSince). */
  uniqueValuesSince?(rule: string, since: number): Promise<Array<{ value: string; timestamp: number }>>;
}
