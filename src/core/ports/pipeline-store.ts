import type { DeadLetter } from '../dead-letter.js';
import type { PipelineCheckpoint, ProcessedBatch, SeenId } from './processed-batch.js';

/** A `unique` quality rule as a store looks its values up: by name, or by the field it reads. */
export interface UniqueRuleRef {
  name: string;
  match: { source?: string; type?: string };
  field: readonly string[];
}

/**
 * Where a processor keeps its checkpoint and state and commits its batches, exactly once: a
 * batch's rows, window counts, offsets and dead letters are all stored or none are. Embedded: the
 * hot store, after the letters were made durable in the dead-letter topic (a crash in between
 * writes them again, and the indexer drops the repeats). Kafka: one transaction per batch and log
 * partition, which the serving nodes then load. Both run test/contract/pipeline-store.contract.ts.
 */
export interface PipelineStore {
  loadCheckpoint(pipeline: string, partitions: number): Promise<PipelineCheckpoint>;
  /** Ids with event time at or after `since`: the dedup state a restart rebuilds. */
  idsSince(since: number): Promise<SeenId[]>;
  /** A `unique` rule's values with event time at or after `since`. */
  uniqueValuesSince(rule: UniqueRuleRef, since: number): Promise<Array<{ value: string; timestamp: number }>>;
  /** The newest stored event time per source, where the store knows it (else none). */
  newestEventTimes(): Promise<Array<{ source: string; timestamp: number }>>;
  /**
   * Which of `ids` are stored already, for late events older than the dedup state reaches. Never
   * names an id that is not stored; a store that cannot tell answers with none.
   */
  existingIds(ids: readonly string[]): Promise<Set<string>>;
  /** Commits the batch with its offsets and the dead letters it refused. */
  commit(batch: ProcessedBatch, deadLetters: readonly DeadLetter[]): Promise<void>;
  /** Undefined when a commit can succeed now; else why not (to tell a poison event from a broken store). */
  writable(): Promise<string | undefined>;
}
