import { ProduceAcks, Producer } from '@platformatic/kafka';
import { TransactionalProducer } from './transactional-producer.js';
import type { Logger } from 'pino';
import { type DeadLetter, deadLetterRecord, DLQ_TOPIC } from '../../core/dead-letter.js';
import { dedupHorizon } from '../../core/dedup-window.js';
import { SightlineError } from '../../core/errors.js';
import { partitionForKey } from '../../core/partitioner.js';
import type { PipelineCheckpoint, ProcessedBatch, SeenId, WindowCount } from '../../core/ports/processed-batch.js';
import type { Log, LogRecordInput } from '../../core/ports/log.js';
import type { PipelineStore, UniqueRuleRef } from '../../core/ports/pipeline-store.js';
import { brokerErrorIds, describeKafkaError, wrapKafkaError } from './errors.js';
import type { KafkaLog } from './kafka-log.js';
import { windowKey } from '../../core/window-key.js';
import { shareFinalThrough } from '../../core/share-bounds.js';
import { encodeBatchChunks, type PartitionProgress } from '../../core/batch-chunk.js';
import { pipelineTopics, STATE_READER_GROUP, transactionalId } from '../../core/pipeline-topics.js';

export interface KafkaPartitionStoreOptions {
  log: KafkaLog;
  pipeline: string;
  partition: number;
  dedupWindowMs: number;
  /** Largest record the rows and state topics take (their max.message.bytes). */
  maxRecordBytes: number;
  /** The most of an event's bytes a dead letter keeps. */
  maxOriginalBytes: number;
  logger: Logger;
}

type Transaction = Awaited<ReturnType<Producer['beginTransaction']>>;

interface IdBatch {
  maxTimestamp: number;
  /** Newest event time per stream among the ids: the record expires when every stream's window has passed it. */
  maxByStream?: Record<string, number>;
  /** Id, event time, stream. */
  ids: Array<[string, number, string?]>;
  unique: Array<[string, string, number]>;
}

interface Checkpoint extends PartitionProgress {
  commitNo: number;
}

// Ids per state record: about 60 bytes each, so a record stays far below the topic's limit.
const IDS_PER_RECORD = 5000;
const CHECKPOINT_KEY = 'cp';
const FENCED = ['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'];
/**
 * The producer's request timeout is also the transaction timeout it asks for (InitProducerId): a
 * commit paused longer than this (GC, a slow broker) is aborted by the coordinator. Java's default.
 */
const TRANSACTION_TIMEOUT_MS = 60_000;
/** A state read that makes no progress for this long fails (and is retried); a long one that moves goes on. */
const RESTORE_STALL_MS = 60_000;

/**
 * One partition's processing state and output on Kafka, written as Kafka Streams writes a task's:
 * each batch is one transaction of a producer whose transactional id belongs to the partition, so
 * a new owner's first transaction fences the old owner and aborts whatever it left open. The
 * transaction holds
 *  - the batch's rows and window counts on the rows topic (what the serving nodes load),
 *  - the partition's changelog on the compacted state topic: the checkpoint (next offset,
 *    watermark, totals), each open window's count (a tombstone once final), and the dedup ids and
 *    unique values each commit added (a tombstone once older than the dedup window),
 *  - the batch's dead letters.
 * The events offset lives in the checkpoint record, so offsets and outputs commit atomically. A new
 * owner rebuilds the state by reading its partition of the state topic, read_committed, to the end.
 */
export class KafkaPartitionStore implements PipelineStore {
  private producer: Producer | undefined;
  private transaction: Transaction | undefined;
  private checkpoint: Checkpoint = emptyCheckpoint();
  private readonly openWindows = new Map<string, WindowCount>();
  private readonly idBatches = new Map<string, IdBatch>();
  /** Tombstones owed for state that expired, sent with the next commit. */
  private expired: string[] = [];
  /** A commit failed: what Kafka holds is the truth, read again before the next batch. */
  private stale = true;
  private readonly topics: ReturnType<typeof pipelineTopics>;

  constructor(private readonly options: KafkaPartitionStoreOptions) {
    this.topics = pipelineTopics(options.pipeline);
  }

  get partition(): number {
    return this.options.partition;
  }

  /** Fences the previous owner and restores the partition's state. */
  async open(): Promise<void> {
    await this.restore();
  }

  private async restore(): Promise<void> {
    await this.closeProducer();
    const { log, partition } = this.options;
    const cluster = log.connection();
    const producer = new TransactionalProducer({
      clientId: `${cluster.clientId}-p${partition}`,
      bootstrapBrokers: cluster.bootstrap,
      ...cluster.security,
      idempotent: true,
      transactionalId: cluster.topicPrefix + transactionalId(this.options.pipeline, partition),
      acks: ProduceAcks.ALL,
      timeout: Math.max(cluster.requestTimeoutMs, TRANSACTION_TIMEOUT_MS),
      retries: 3,
      retryDelay: 200,
    });
    this.producer = producer;
    try {
      // The first transaction's InitProducerId bumps the id's epoch: from here the old owner can
      // commit nothing, and its open transaction is aborted, so the state read below is final.
      // Producer id and epoch -1 ask for the id's current producer with its epoch bumped, as Java's
      // client does; the client's default (0, 0) is refused (PRODUCER_FENCED) once the id exists.
      this.transaction = await producer.beginTransaction({ producerId: -1n, producerEpoch: -1 });
    } catch (error) {
      throw this.toError(error, 'taking over the partition (InitProducerId) failed');
    }
    await this.readState();
    this.stale = false;
  }

  private async readState(): Promise<void> {
    const { log, partition } = this.options;
    const topic = this.topics.state;
    await log.refreshOffsets(topic);
    const end = log.endOffsets(topic).get(partition) ?? 0;
    const start = log.startOffsets(topic).get(partition) ?? 0;
    this.openWindows.clear();
    this.idBatches.clear();
    this.expired = [];
    let checkpoint: Checkpoint = emptyCheckpoint();
    const consumer = await (log as Log).consumer(STATE_READER_GROUP, topic, { partitions: [partition] });
    try {
      consumer.seek(partition, start);
      let lastProgress = Date.now();
      let position = consumer.positions().get(partition) ?? 0;
      while (position < end) {
        if (Date.now() - lastProgress > RESTORE_STALL_MS) {
          throw new SightlineError('SL_LOG_UNAVAILABLE', `reading the state of partition ${partition} stalled at offset ${position} of ${end} for ${RESTORE_STALL_MS / 1000} s`);
        }
        const records = await consumer.poll(10_000, 500);
        const now = consumer.positions().get(partition) ?? 0;
        if (now > position) lastProgress = Date.now();
        position = now;
        for (const record of records) {
          if (record.partition !== partition) continue;
          const tombstone = record.value.length === 0;
          if (record.key === CHECKPOINT_KEY) {
            if (!tombstone) checkpoint = { ...emptyCheckpoint(), ...(JSON.parse(record.value.toString('utf8')) as Partial<Checkpoint>) };
          } else if (record.key.startsWith('w\u0000')) {
            if (tombstone) this.openWindows.delete(record.key);
            // A share written before shares per stream belongs to no stream; the sums stay exact.
            else {
              const share = JSON.parse(record.value.toString('utf8')) as Omit<WindowCount, 'stream'> & { stream?: string };
              this.openWindows.set(record.key, { ...share, stream: share.stream ?? '' });
            }
          } else if (record.key.startsWith('d\u0000')) {
            if (tombstone) this.idBatches.delete(record.key);
            else this.idBatches.set(record.key, JSON.parse(record.value.toString('utf8')) as IdBatch);
          }
        }
      }
    } finally {
      await consumer.close();
    }
    this.checkpoint = checkpoint;
    // Compaction keeps the latest record per key; state a crash left unexpired is dropped now.
    this.expire();
    this.options.logger.info(
      { partition, offset: checkpoint.offset, commitNo: checkpoint.commitNo, openWindows: this.openWindows.size, idRecords: this.idBatches.size, stateRecords: end - start },
      'partition state restored from the state topic',
    );
  }

  async loadCheckpoint(): Promise<PipelineCheckpoint> {
    if (this.stale) await this.restore();
    const c = this.checkpoint;
    return {
      offsets: new Map([[this.options.partition, c.offset]]),
      watermark: c.watermark,
      streams: c.streams,
      finalBounds: c.finalBounds,
      openWindows: [...this.openWindows.values()],
      commitNo: c.commitNo,
      ...(c.counters && { counters: c.counters }),
      duplicates: c.duplicates,
      late: c.late,
    };
  }

  async idsSince(since: number): Promise<SeenId[]> {
    const out: SeenId[] = [];
    for (const batch of this.idBatches.values()) {
      if (batch.maxTimestamp < since) continue;
      for (const [id, timestamp, stream] of batch.ids) if (timestamp >= since) out.push({ id, timestamp, stream: stream ?? '' });
    }
    return out;
  }

  /** Values are kept in the state topic by rule name, as each commit added them. */
  async uniqueValuesSince(rule: UniqueRuleRef, since: number): Promise<Array<{ value: string; timestamp: number }>> {
    const out: Array<{ value: string; timestamp: number }> = [];
    for (const batch of this.idBatches.values()) {
      if (batch.maxTimestamp < since) continue;
      for (const [r, value, timestamp] of batch.unique) if (r === rule.name && timestamp >= since) out.push({ value, timestamp });
    }
    return out;
  }

  /** Freshness per source comes from the serving nodes' stores; a processor starts without it. */
  async newestEventTimes(): Promise<Array<{ source: string; timestamp: number }>> {
    return [];
  }

  /**
   * Late events older than the dedup window are not checked against stored ids here: the stored
   * rows are on the serving nodes. With `process.lateEvents: store` such a repeat can be stored
   * twice; the default, dead-letter, refuses late events anyway.
   */
  async existingIds(): Promise<Set<string>> {
    return new Set();
  }

  async writable(): Promise<string | undefined> {
    return this.stale ? 'the last transaction failed; the state is read again before the next batch' : undefined;
  }

  async commit(batch: ProcessedBatch, deadLetters: readonly DeadLetter[]): Promise<void> {
    if (this.stale) await this.restore();
    const { partition, maxRecordBytes } = this.options;
    const next = batch.offsets.get(partition);
    if (next === undefined) throw new SightlineError('SL_STORE_WRITE_FAILED', `a batch for partition ${partition} carries no offset of it`);
    const checkpoint: Checkpoint = {
      offset: next,
      watermark: batch.watermark,
      streams: batch.streams,
      finalBounds: batch.finalBounds,
      duplicates: batch.duplicates,
      late: batch.late,
      ...(batch.counters && { counters: batch.counters }),
      commitNo: this.checkpoint.commitNo + 1,
    };
    const { commitNo, ...progress } = checkpoint;
    const { commitNo: _previous, ...before } = this.checkpoint;
    const rows = encodeBatchChunks(batch, commitNo, progress, maxRecordBytes - 64 * 1024, before);
    const state: Array<[string, Buffer | null]> = [];
    const windows = new Map(this.openWindows);
    for (const w of batch.windows) {
      const key = `w\u0000${windowKey(w.name, w.window, w.windowStart, w.group, w.stream)}`;
      windows.set(key, w);
      state.push([key, Buffer.from(JSON.stringify(w))]);
    }
    const newBatches = new Map<string, IdBatch>();
    const changes = batch.changelog;
    if (changes && (changes.ids.length > 0 || changes.unique.length > 0)) {
      const chunks = Math.max(1, Math.ceil(changes.ids.length / IDS_PER_RECORD));
      for (let i = 0; i < chunks; i++) {
        const ids = changes.ids.slice(i * IDS_PER_RECORD, (i + 1) * IDS_PER_RECORD).map(({ id, timestamp, stream }): [string, number, string] => [id, timestamp, stream]);
        const unique = i === 0 ? changes.unique.map(({ rule, value, timestamp }): [string, string, number] => [rule, value, timestamp]) : [];
        let maxTimestamp = Number.NEGATIVE_INFINITY;
        const maxByStream: Record<string, number> = {};
        for (const [, t, stream] of ids) {
          if (t > maxTimestamp) maxTimestamp = t;
          const seen = maxByStream[stream];
          if (seen === undefined || t > seen) maxByStream[stream] = t;
        }
        for (const [, , t] of unique) if (t > maxTimestamp) maxTimestamp = t;
        const key = `d\u0000${checkpoint.commitNo}\u0000${i}`;
        const record: IdBatch = { maxTimestamp, maxByStream, ids, unique };
        newBatches.set(key, record);
        state.push([key, Buffer.from(JSON.stringify(record))]);
      }
    }
    const tombstones = [...this.expired];
    const finalThrough = shareFinalThrough(batch.streams);
    for (const [key, w] of windows) {
      const through = finalThrough(w.stream);
      if (through !== null && w.windowEnd <= through) {
        windows.delete(key);
        tombstones.push(key);
      }
    }
    for (const key of tombstones) state.push([key, null]);
    state.push([CHECKPOINT_KEY, Buffer.from(JSON.stringify(checkpoint))]);

    const prefix = this.options.log.connection().topicPrefix;
    const now = BigInt(Date.now());
    const messages = [
      ...rows.map((value) => ({ topic: prefix + this.topics.rows, partition, key: Buffer.from(String(checkpoint.commitNo)), value, timestamp: now })),
      ...state.map(([key, value]) => ({ topic: prefix + this.topics.state, partition, key: Buffer.from(key), value, timestamp: now })),
      ...deadLetters.map((letter) => dlqMessage(deadLetterRecord(letter, this.options.maxOriginalBytes), prefix + DLQ_TOPIC, this.options.log.partitionCount(DLQ_TOPIC))),
    ];
    try {
      const transaction = this.transaction ?? (await this.producer!.beginTransaction());
      this.transaction = undefined;
      await transaction.send({ messages: messages as never });
      await transaction.commit();
    } catch (error) {
      // Whether the commit landed is unknown: the next InitProducerId settles it either way, and
      // the state is read back from what Kafka holds.
      this.stale = true;
      throw this.toError(error, `committing a batch of partition ${partition} failed`);
    }
    this.checkpoint = checkpoint;
    this.openWindows.clear();
    for (const [key, w] of windows) this.openWindows.set(key, w);
    for (const [key, b] of newBatches) this.idBatches.set(key, b);
    this.expired = [];
    this.expire();
  }

  /**
   * Id records wholly older than the dedup window of their streams are owed a tombstone. Unique
   * values ride in the same records and expire with them, behind the lowest watermark.
   */
  private expire(): void {
    const { streams, watermark } = this.checkpoint;
    if (streams.length === 0 && watermark === null) return;
    const horizon = new Map(streams.map((t) => [t.stream, dedupHorizon(t.watermark, this.options.dedupWindowMs)]));
    let lowest = Number.POSITIVE_INFINITY;
    for (const h of horizon.values()) if (h < lowest) lowest = h;
    if (streams.length === 0) lowest = dedupHorizon(watermark, this.options.dedupWindowMs);
    for (const [key, batch] of this.idBatches) {
      const byStream = batch.maxByStream;
      const passed = byStream
        ? batch.unique.every(([, , t]) => t < lowest) && Object.entries(byStream).every(([stream, t]) => t < (horizon.get(stream) ?? lowest))
        : batch.maxTimestamp < lowest;
      if (passed) {
        this.idBatches.delete(key);
        this.expired.push(key);
      }
    }
  }

  private toError(error: unknown, what: string): SightlineError {
    const ids = brokerErrorIds(error);
    if (FENCED.some((id) => ids.has(id))) {
      return new SightlineError('SL_PARTITION_FENCED', `${what}: partition ${this.options.partition} was taken over by another processor (${describeKafkaError(error)})`, { cause: error });
    }
    this.producer?.clearMetadata();
    return wrapKafkaError(error, 'SL_LOG_WRITE_FAILED', what, true);
  }

  private async closeProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.transaction = undefined;
    await producer?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.closeProducer();
  }
}

function emptyCheckpoint(): Checkpoint {
  return { offset: 0, watermark: null, streams: [], finalBounds: {}, duplicates: 0, late: 0, commitNo: 0 };
}

function dlqMessage(record: LogRecordInput, topic: string, partitions: number): Record<string, unknown> {
  const headers = new Map<Buffer, Buffer>();
  for (const [k, v] of Object.entries(record.headers ?? {})) headers.set(Buffer.from(k), Buffer.from(v));
  return { topic, partition: partitionForKey(record.key, partitions), key: Buffer.from(record.key), value: record.value, headers, timestamp: BigInt(record.timestamp) };
}

/**
 * What a processing node's group member calls for each partition it is assigned: the partition's
 * store, opened (the previous owner fenced, the state restored).
 */
export function kafkaPartitionStores(options: Omit<KafkaPartitionStoreOptions, 'partition' | 'logger'>): (partition: number, logger: Logger) => Promise<KafkaPartitionStore> {
  return async (partition, logger) => {
    const store = new KafkaPartitionStore({ ...options, partition, logger });
    await store.open();
    return store;
  };
}
