import type { DeadLetter } from '../../core/dead-letter.js';
import type { DeadLetterWriter } from '../../core/ports/dead-letter-writer.js';
import type { BatchStore } from '../../core/ports/hot-store.js';
import type { PipelineStore, UniqueRuleRef } from '../../core/ports/pipeline-store.js';
import type { PipelineCheckpoint, ProcessedBatch, SeenId } from '../../core/ports/processed-batch.js';

/**
 * The embedded processor's PipelineStore: the hot store itself. A batch's dead letters are made
 * durable in the dead-letter topic first, then its rows, counts and offsets commit in one hot-store
 * transaction; a crash in between writes the letters again on replay, and the indexer drops the
 * repeats by origin.
 */
export class HotPipelineStore implements PipelineStore {
  constructor(
    private readonly hot: BatchStore,
    private readonly deadLetters: DeadLetterWriter,
  ) {}

  loadCheckpoint(pipeline: string, partitions: number): Promise<PipelineCheckpoint> {
    return this.hot.loadCheckpoint(pipeline, partitions);
  }

  idsSince(since: number): Promise<SeenId[]> {
    return this.hot.idsSince(since);
  }

  /** The stored events are the record: a rule's values are read back from the field it checks. */
  uniqueValuesSince(rule: UniqueRuleRef, since: number): Promise<Array<{ value: string; timestamp: number }>> {
    return this.hot.fieldValuesSince(since, rule.match, rule.field);
  }

  newestEventTimes(): Promise<Array<{ source: string; timestamp: number }>> {
    return this.hot.newestEventTimes();
  }

  existingIds(ids: readonly string[]): Promise<Set<string>> {
    return this.hot.existingIds(ids);
  }

  async commit(batch: ProcessedBatch, deadLetters: readonly DeadLetter[]): Promise<void> {
    await this.deadLetters.write(deadLetters);
    await this.hot.commit(batch);
  }

  writable(): Promise<string | undefined> {
    return this.hot.writable();
  }
}
