import type { ErasureScope } from '../erasure.js';
import type { DeadLetterIndex } from './dead-letter-index.js';
import type { EventQueries } from './event-queries.js';
import type { PipelineCheckpoint, ProcessedBatch, SeenId } from './processed-batch.js';
import type { StoreAdmin } from './store-admin.js';

/**
 * The hot store's pipeline role: processed batches commit into it with their offsets, one
 * transaction each, and a processor restarts from what it holds. The embedded processor writes
 * here through a PipelineStore; on Kafka a serving node's loader writes what the processors
 * committed to the rows topic.
 */
export interface BatchStore {
  loadCheckpoint(pipeline: string, partitions: number): Promise<PipelineCheckpoint>;
  commit(batch: ProcessedBatch): Promise<void>;
  /** Commits the batches in order in one transaction: all of them, or none (a loader taking several at once). */
  commitAll(batches: readonly ProcessedBatch[]): Promise<void>;
  /** Ids with event time at or after `since`, to rebuild the dedup state after a restart. */
  idsSince(since: number): Promise<SeenId[]>;
  /** Values of a field (as quality's uniqueKey keeps them) in stored events since `since`, for `unique` rules after a restart. */
  fieldValuesSince(since: number, match: { source?: string; type?: string }, field: readonly string[]): Promise<Array<{ value: string; timestamp: number }>>;
  /** The newest stored event time per source. */
  newestEventTimes(): Promise<Array<{ source: string; timestamp: number }>>;
  /** Which of `ids` are stored already; for late events older than the dedup state reaches. */
  existingIds(ids: readonly string[]): Promise<Set<string>>;
  /** Undefined when a small write transaction commits; else why not (to tell a poison event from a broken store). */
  writable(): Promise<string | undefined>;
}

/**
 * The hot store plays four roles, each a port of its own: the pipeline's batches (BatchStore),
 * the query API (EventQueries), the dead-letter table (DeadLetterIndex) and operations
 * (StoreAdmin). An adapter (DuckDB) implements all four and runs test/contract/hot-store.contract.ts;
 * each user depends on the role it needs.
 */
export interface HotStore extends BatchStore, EventQueries, DeadLetterIndex, StoreAdmin {
  /** Deletes a user's events and dead letters (a deletion request); aggregates keep their counts. */
  eraseSubject(scope: ErasureScope): Promise<{ events: number; deadLetters: number }>;
}
