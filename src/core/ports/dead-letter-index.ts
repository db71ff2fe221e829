import type { DeadLetterTopicRecord, ReplayOutcome, StoredDeadLetter } from '../dead-letter.js';
import type { PartitionOffsets } from './log.js';

/**
 * What the dead-letter indexer read from the dead-letter topic, committed with its offsets. A
 * letter whose origin (log position) and code are stored already is a repeat from a replayed
 * batch and is skipped.
 */
export interface DeadLetterBatch {
  consumer: string;
  /** Letters and replay outcomes in topic order: a later record overrides an earlier outcome. */
  records: DeadLetterTopicRecord[];
  offsets: PartitionOffsets;
}

/** A dead letter as the API lists it, with the latest replay outcome. */
export interface DeadLetterEntry extends StoredDeadLetter {
  replay?: ReplayOutcome;
}

export interface DeadLetterQuery {
  stage?: string;
  code?: string;
  rule?: string;
  source?: string;
  type?: string;
  eventId?: string;
  since?: number;
  until?: number;
  /** true: only replayed ones (outcome replayed or duplicate); false: only those not replayed yet. */
  replayed?: boolean;
  limit: number;
  /** Exclusive: entries older than this id (paging, newest first). */
  before?: string;
}

/**
 * The dead-letter topic as a table: the indexer commits what it read with its offsets, the API
 * and the replayer list and look up letters with their latest replay outcome.
 */
export interface DeadLetterIndex {
  /** The next offset per partition a consumer other than a pipeline (the dead-letter indexer) has stored. */
  loadOffsets(consumer: string, partitions: number): Promise<PartitionOffsets>;
  commitDeadLetters(batch: DeadLetterBatch): Promise<void>;
  deadLetters(query: DeadLetterQuery): Promise<DeadLetterEntry[]>;
  deadLetter(id: string): Promise<DeadLetterEntry | undefined>;
}
