import type { ErasureScope } from '../core/erasure.js';
import { isSightlineError } from '../core/errors.js';
import type { AggregateQuery, QualityQuery, RecentEventsQuery } from '../core/ports/event-queries.js';
import type { DeadLetterBatch, DeadLetterQuery } from '../core/ports/dead-letter-index.js';
import type { HotStore } from '../core/ports/hot-store.js';
import type { ProcessedBatch } from '../core/ports/processed-batch.js';
import type { ComponentMetrics } from './metrics.js';

/**
 * Any HotStore adapter with the `hot_store` component's base metrics: rows offered (received)
 * and committed (sent) with their bytes, commit and query latency, failures by code.
 */
export class InstrumentedHotStore implements HotStore {
  constructor(private readonly inner: HotStore, private readonly metrics: ComponentMetrics) {}

  loadCheckpoint(pipeline: string, partitions: number) {
    return this.inner.loadCheckpoint(pipeline, partitions);
  }

  idsSince(since: number) {
    return this.inner.idsSince(since);
  }

  fieldValuesSince(since: number, match: { source?: string; type?: string }, field: readonly string[]) {
    return this.inner.fieldValuesSince(since, match, field);
  }

  newestEventTimes() {
    return this.inner.newestEventTimes();
  }

  existingIds(ids: readonly string[]) {
    return this.inner.existingIds(ids);
  }

  async commit(batch: ProcessedBatch): Promise<void> {
    const rows = batch.rows.count;
    const bytes = batch.rows.ndjson.length;
    this.metrics.received(rows, bytes);
    await this.timed('commit', () => this.inner.commit(batch));
    this.metrics.sent(rows, bytes);
  }

  async commitAll(batches: readonly ProcessedBatch[]): Promise<void> {
    let rows = 0;
    let bytes = 0;
    for (const b of batches) {
      rows += b.rows.count;
      bytes += b.rows.ndjson.length;
    }
    this.metrics.received(rows, bytes);
    await this.timed('commit', () => this.inner.commitAll(batches));
    this.metrics.sent(rows, bytes);
  }

  recentEvents(query: RecentEventsQuery) {
    return this.timed('query', () => this.inner.recentEvents(query));
  }

  eventById(id: string) {
    return this.timed('query', () => this.inner.eventById(id));
  }

  aggregates(query: AggregateQuery) {
    return this.timed('query', () => this.inner.aggregates(query));
  }

  qualitySummary(query: QualityQuery) {
    return this.timed('query', () => this.inner.qualitySummary(query));
  }

  loadOffsets(consumer: string, partitions: number) {
    return this.inner.loadOffsets(consumer, partitions);
  }

  /** Timed apart from the pipeline's commits: the indexer's writes would blur the batch-commit latency. */
  commitDeadLetters(batch: DeadLetterBatch) {
    return this.timed('index_dead_letters', () => this.inner.commitDeadLetters(batch));
  }

  deadLetters(query: DeadLetterQuery) {
    return this.timed('query', () => this.inner.deadLetters(query));
  }

  deadLetter(id: string) {
    return this.timed('query', () => this.inner.deadLetter(id));
  }

  onWindowsChanged(listener: Parameters<HotStore['onWindowsChanged']>[0]) {
    this.inner.onWindowsChanged(listener);
  }

  generation() {
    return this.inner.generation();
  }

  forgetProbeEvents(which: { from: number; to: number; id?: string; othersBefore: number }) {
    return this.inner.forgetProbeEvents(which);
  }

  eraseSubject(scope: ErasureScope) {
    return this.inner.eraseSubject(scope);
  }

  stats() {
    return this.inner.stats();
  }

  ping(timeoutMs: number) {
    return this.inner.ping(timeoutMs);
  }

  writable() {
    return this.inner.writable();
  }

  columns() {
    return this.inner.columns();
  }

  close() {
    return this.inner.close();
  }

  private async timed<T>(operation: string, work: () => Promise<T>): Promise<T> {
    const done = this.metrics.startTimer(operation);
    try {
      const result = await work();
      done();
      return result;
    } catch (err) {
      this.metrics.error(isSightlineError(err) ? err.code : 'SL_STORE_WRITE_FAILED');
      throw err;
    }
  }
}
