import type { Logger } from 'pino';
import { DLQ_INDEX_GROUP } from '../core/pipeline-topics.js';
import { type DeadLetterTopicRecord, DLQ_TOPIC, readDeadLetterRecord } from '../core/dead-letter.js';
import type { DeadLetterIndex } from '../core/ports/dead-letter-index.js';
import type { Log, LogConsumer, LogRecord } from '../core/ports/log.js';

export const DLQ_INDEX_CONSUMER = DLQ_INDEX_GROUP;
const BATCH = 1000;
const RETRY_DELAY_MS = 1000;

/**
 * Keeps the hot store's `dead_letters` table in step with the dead-letter topic, so dead letters
 * can be listed, filtered and counted with SQL. The topic stays the record: the table and its
 * offsets are committed together, so after a crash the indexer resumes exactly where the table is.
 */
export class DeadLetterIndexer {
  private consumer!: LogConsumer;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private indexedTo = new Map<number, number>();
  lastError: string | null = null;

  constructor(private readonly options: { log: Log; hot: DeadLetterIndex; logger: Logger; pollMs?: number }) {}

  async start(): Promise<void> {
    const { log } = this.options;
    this.consumer = await log.consumer(DLQ_INDEX_CONSUMER, DLQ_TOPIC);
    await this.rewind();
    this.loop = this.run();
  }

  private async rewind(): Promise<void> {
    const { log, hot } = this.options;
    const offsets = await hot.loadOffsets(DLQ_INDEX_CONSUMER, log.partitionCount(DLQ_TOPIC));
    for (const [partition, offset] of offsets) this.consumer.seek(partition, offset);
    this.indexedTo = offsets;
  }

  /** The offsets below which every dead letter is in the table. */
  indexedOffsets(): Map<number, number> {
    return new Map(this.indexedTo);
  }

  /** True once every dead letter written so far is in the table. */
  caughtUp(): boolean {
    for (const [partition, end] of this.options.log.endOffsets(DLQ_TOPIC)) if ((this.indexedTo.get(partition) ?? 0) < end) return false;
    return true;
  }

  /** Resolves true once the table holds every dead letter written before the call; false after the timeout. */
  async waitUntilCaughtUp(timeoutMs = 5000): Promise<boolean> {
    const ends = this.options.log.endOffsets(DLQ_TOPIC);
    const deadline = Date.now() + timeoutMs;
    while ([...ends].some(([p, end]) => (this.indexedTo.get(p) ?? 0) < end)) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    let failures = 0;
    while (!this.stopping || !this.caughtUp()) {
      let records: LogRecord[] = [];
      try {
        records = await this.consumer.poll(BATCH, this.stopping ? 0 : (this.options.pollMs ?? 200));
        if (records.length === 0) {
          if (this.stopping) break;
          continue;
        }
        // After two failures of the same records, one at a time: a record that fails alone is
        // skipped (it stays in the topic) instead of stopping the index for good.
        if (failures >= 2) await this.indexOneByOne(records);
        else await this.index(records);
        failures = 0;
        this.lastError = null;
        void this.consumer.commit(new Map(this.indexedTo)).catch(() => undefined);
      } catch (err) {
        failures++;
        this.lastError = (err as Error).message;
        logger.error({ err }, 'dead-letter index commit failed; retrying from the last commit');
        // Stopping does not wait for a store that keeps failing: the topic keeps the letters.
        if (this.stopping) break;
        await new Promise((r) => setTimeout(r, RETRY_DELAY_MS));
        await this.rewind().catch(() => undefined);
      }
    }
  }

  private async index(records: readonly LogRecord[]): Promise<void> {
    const read: DeadLetterTopicRecord[] = [];
    const offsets = new Map(this.indexedTo);
    for (const record of records) {
      offsets.set(record.partition, record.offset + 1);
      const item = readDeadLetterRecord(record);
      if (item) read.push(item);
    }
    await this.options.hot.commitDeadLetters({ consumer: DLQ_INDEX_CONSUMER, records: read, offsets });
    this.indexedTo = offsets;
  }

  private async indexOneByOne(records: readonly LogRecord[]): Promise<void> {
    for (const record of records) {
      try {
        await this.index([record]);
      } catch (err) {
        this.options.logger.error({ err, partition: record.partition, offset: record.offset }, 'a dead-letter record the index cannot take is skipped (it stays in the topic)');
        const offsets = new Map(this.indexedTo);
        offsets.set(record.partition, record.offset + 1);
        await this.options.hot.commitDeadLetters({ consumer: DLQ_INDEX_CONSUMER, records: [], offsets });
        this.indexedTo = offsets;
      }
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await this.consumer.close();
  }
}
