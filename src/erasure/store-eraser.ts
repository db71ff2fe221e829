import { DLQ_TOPIC } from '../core/dead-letter.js';
import { bytesInScope, type ErasureCounts, type ErasureScope, erasedValue } from '../core/erasure.js';
import type { Log, PartitionOffsets } from '../core/ports/log.js';
import { EVENTS_TOPIC } from '../core/pipeline-topics.js';
import type { ErasureApplier } from './erasures.js';

export interface StoreEraserDeps {
  hot: { eraseSubject(scope: ErasureScope): Promise<ErasureCounts['hot']> };
  archiver: { eraseSubject(scope: ErasureScope): Promise<ErasureCounts['cold']> };
  log: Log;
  /**
   * Resolves once what the log held before the call reached the hot store (processed, loaded,
   * dead letters indexed): a request is applied after every event accepted before it is stored.
   */
  settled(timeoutMs: number): Promise<void>;
  /** Offsets below which a topic's records are processed and committed, where this node knows them. */
  safeOffsets(topic: string): PartitionOffsets | undefined;
  /** What to say of records the log cannot rewrite (Kafka): they go with retention. */
  logNote: string;
}

const SETTLE_MS = 30_000;

/**
 * Removes a user's events from what this node holds, in the order that leaves no copy behind: the
 * hot store (events and dead letters) once everything accepted before is in it, then the cold
 * files (exports read the hot store, so none brings rows back), then the log's retained segments
 * where it can rewrite them. Aggregates keep their counts.
 */
export class StoreEraser implements ErasureApplier {
  constructor(private readonly deps: StoreEraserDeps) {}

  async apply(scope: ErasureScope): Promise<ErasureCounts> {
    const { deps } = this;
    await deps.settled(SETTLE_MS);
    const hot = await deps.hot.eraseSubject(scope);
    const cold = await deps.archiver.eraseSubject(scope);
    // Again, once the indexer stored what a step of the archiver wrote meanwhile (a backfill
    // refusing the user's events writes their dead letters to the topic).
    await deps.settled(SETTLE_MS);
    const again = await deps.hot.eraseSubject(scope);
    hot.events += again.events;
    hot.deadLetters += again.deadLetters;
    const log: ErasureCounts['log'] = { records: 0, segments: 0, left: 0 };
    if (!deps.log.eraseRecords) return { hot, cold, log: { ...log, note: deps.logNote } };
    for (const topic of [EVENTS_TOPIC, DLQ_TOPIC]) {
      const safe = deps.safeOffsets(topic);
      const erased = await deps.log.eraseRecords(topic, safe ?? new Map(), (value, timestamp) => bytesInScope(value, scope, timestamp), erasedValue);
      log.records += erased.records;
      log.segments += erased.segments;
      log.left += erased.left;
    }
    if (log.left > 0) log.note = 'records in a segment still open for appends (or not yet processed) are not rewritten: they go with log.retention';
    return { hot, cold, log };
  }
}
