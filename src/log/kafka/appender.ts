import { ProduceAcks, Producer, type ProduceResult } from '@platformatic/kafka';
import type { Logger } from 'pino';
import { SightlineError } from '../../core/errors.js';
import type { AppendResult, LogRecordInput } from '../../core/ports/log.js';
import { brokerErrorIds, describeKafkaError, isRetryableKafkaError, wrapKafkaError } from './errors.js';
import type { KafkaSecurity } from './security.js';

export interface AppenderOptions {
  bootstrap: string[];
  security: KafkaSecurity;
  clientId: string;
  logger: Logger;
  appendTimeoutMs: number;
  requestTimeoutMs: number;
  /** Called for each partition's acknowledged range: the next offset after it. */
  onAcknowledged: (topic: string, partition: number, endOffset: number) => void;
}

/** One caller's append: settled once every record has an offset, or on the first failure. */
interface PendingAppend {
  results: AppendResult[];
  left: number;
  settled: boolean;
  resolve: (results: AppendResult[]) => void;
  reject: (error: Error) => void;
}

interface Entry {
  append: PendingAppend;
  index: number;
  key: Buffer;
  value: Buffer;
  headers: Map<Buffer, Buffer>;
  timestamp: bigint;
  bytes: number;
}

/** Entries of one topic-partition, in the order they must be written. */
interface PartitionQueue {
  topic: string;
  partition: number;
  entries: Entry[];
}

// Under the broker's default max.message.bytes (1 MiB): one send carries at most this much per
// partition, as one record batch.
const MAX_BATCH_BYTES = 768 * 1024;
// Errors after which the producer session's sequence numbers no longer match the broker's.
const SESSION_ERRORS = ['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_PRODUCER_ID_MAPPING'];

/**
 * Writes appends through one idempotent producer (acks=all), one send at a time. Appends that
 * arrive while a send is in flight wait and go together in the next one, so concurrent callers
 * share round trips, and the client's per-partition sequence numbers (taken when a request is
 * built, advanced only when it succeeds) never see two requests of one partition in flight.
 *
 * A failed send is re-sent by this class, not only by the client: @platformatic/kafka 1.x retries
 * a request that was in flight to a crashed leader against that same address until its retries
 * run out (platformatic/kafka#377), so after each failure the metadata is dropped and the
 * partitions that were not acknowledged are sent again, with the same sequence numbers, until
 * `appendTimeoutMs`. Within one producer session the broker drops a re-sent batch it already
 * has, so these re-sends write nothing twice. When a batch is given up, the session is replaced
 * (its sequence numbers are ambiguous then), and the caller's retry of the rejected append may
 * write records that had reached the log: at-least-once, deduplicated downstream by event id.
 */
export class Appender {
  private producer: Producer;
  private readonly queues = new Map<string, PartitionQueue>();
  private pumping: Promise<void> | undefined;
  private closed = false;
  private sessions = 1;
  private resends = 0;

  constructor(private readonly options: AppenderOptions) {
    this.producer = this.createProducer();
  }

  private createProducer(): Producer {
    return new Producer({
      clientId: `${this.options.clientId}-producer`,
      bootstrapBrokers: this.options.bootstrap,
      ...this.options.security,
      idempotent: true,
      acks: ProduceAcks.ALL,
      timeout: this.options.requestTimeoutMs,
      // Few retries inside the client: they go to the address the request was first meant for;
      // the re-sends here refresh metadata first.
      retries: 2,
      retryDelay: 200,
    });
  }

  stats(): { sessions: number; resends: number } {
    return { sessions: this.sessions, resends: this.resends };
  }

  /** `partitions[i]` is the partition of `records[i]`; `topic` is the cluster's topic name. */
  append(topic: string, records: readonly LogRecordInput[], partitions: readonly number[]): Promise<AppendResult[]> {
    if (this.closed) return Promise.reject(new SightlineError('SL_LOG_CLOSED', 'the log is closed'));
    if (records.length === 0) return Promise.resolve([]);
    return new Promise<AppendResult[]>((resolve, reject) => {
      const append: PendingAppend = { results: new Array(records.length), left: records.length, settled: false, resolve, reject };
      records.forEach((record, index) => {
        const partition = partitions[index]!;
        const id = `${topic}\u0000${partition}`;
        let queue = this.queues.get(id);
        if (!queue) this.queues.set(id, (queue = { topic, partition, entries: [] }));
        const key = Buffer.from(record.key);
        const headers = new Map<Buffer, Buffer>();
        let headerBytes = 0;
        for (const [k, v] of Object.entries(record.headers ?? {})) {
          const hk = Buffer.from(k);
          const hv = Buffer.from(v);
          headers.set(hk, hv);
          headerBytes += hk.length + hv.length + 4;
        }
        queue.entries.push({ append, index, key, value: record.value, headers, timestamp: BigInt(record.timestamp), bytes: key.length + record.value.length + headerBytes + 24 });
      });
      this.pumping ??= this.pump();
    });
  }

  private async pump(): Promise<void> {
    for (;;) {
      // Appends made in the same turn of the event loop (requests parsed together) join this send.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = this.takeBatch();
      if (batch.length === 0) {
        // Cleared in the same step that found the queues empty: an append made after this starts
        // a new pump, and none can slip in between and wait for a pump that is ending.
        this.pumping = undefined;
        return;
      }
      try {
        await this.send(batch);
      } catch (error) {
        // send() handles the client's failures; this is a bug's last resort, so no append waits forever.
        this.fail(batch, wrapKafkaError(error, 'SL_LOG_WRITE_FAILED', 'append failed'));
      }
    }
  }

  /** Up to MAX_BATCH_BYTES of the oldest entries of every partition. */
  private takeBatch(): PartitionQueue[] {
    const batch: PartitionQueue[] = [];
    for (const [id, queue] of this.queues) {
      // Entries of an append that already failed are not sent: the caller was told it failed.
      const live = queue.entries.filter((e) => !e.append.settled);
      let bytes = 0;
      let take = 0;
      while (take < live.length && (take === 0 || bytes + live[take]!.bytes <= MAX_BATCH_BYTES)) bytes += live[take++]!.bytes;
      if (take > 0) batch.push({ topic: queue.topic, partition: queue.partition, entries: live.slice(0, take) });
      if (take === live.length) this.queues.delete(id);
      else queue.entries = live.slice(take);
    }
    return batch;
  }

  private async send(batch: PartitionQueue[]): Promise<void> {
    const deadline = Date.now() + this.options.appendTimeoutMs;
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (this.closed && attempt > 0) return this.fail(pending, new SightlineError('SL_LOG_CLOSED', 'the log closed while the batch was being re-sent; it may or may not be in the log'));
      const messages = pending.flatMap((q) =>
        q.entries.map((e) => ({ topic: q.topic, partition: q.partition, key: e.key, value: e.value, headers: e.headers, timestamp: e.timestamp })),
      );
      let error: unknown;
      let produced: ProduceResult | undefined;
      try {
        produced = await this.producer.send({ messages });
      } catch (err) {
        error = err;
        // Partitions led by brokers that did answer were written; only the others are re-sent.
        produced = (err as { produced?: ProduceResult }).produced;
      }
      pending = this.settle(pending, produced);
      if (pending.length === 0) return;
      error ??= new Error(`the broker acknowledged no offset for ${pending.map((q) => `${q.topic}/${q.partition}`).join(', ')}`);
      const backoff = Math.min(1000, 100 * 2 ** attempt);
      if (!isRetryableKafkaError(error) || Date.now() + backoff > deadline) {
        this.fail(pending, wrapKafkaError(error, 'SL_LOG_WRITE_FAILED', `append of ${countRecords(pending)} records failed`, isRetryableKafkaError(error)));
        // Whether the broker has these batches is unknown, so their sequence numbers cannot be
        // reused for other records: a new session starts clean.
        await this.resetSession();
        return;
      }
      this.resends++;
      this.options.logger.warn({ attempt: attempt + 1, partitions: pending.length, err: describeKafkaError(error) }, 'kafka append failed; refreshing metadata and re-sending');
      const ids = brokerErrorIds(error);
      if (SESSION_ERRORS.some((id) => ids.has(id))) await this.resetSession();
      else this.producer.clearMetadata();
      await new Promise((r) => setTimeout(r, backoff));
    }
  }

  /** Resolves what the broker acknowledged; returns the partitions still to send. */
  private settle(pending: PartitionQueue[], produced: ProduceResult | undefined): PartitionQueue[] {
    const acked = new Map<string, number>();
    for (const o of produced?.offsets ?? []) acked.set(`${o.topic}\u0000${o.partition}`, Number(o.offset));
    const rest: PartitionQueue[] = [];
    for (const queue of pending) {
      const base = acked.get(`${queue.topic}\u0000${queue.partition}`);
      if (base === undefined || base < 0) {
        rest.push(queue);
        continue;
      }
      // Before any caller resumes, so endOffsets() already counts what its append wrote.
      this.options.onAcknowledged(queue.topic, queue.partition, base + queue.entries.length);
      // One record batch per partition per request: its records take consecutive offsets.
      queue.entries.forEach((entry, i) => {
        const append = entry.append;
        append.results[entry.index] = { partition: queue.partition, offset: base + i };
        if (--append.left === 0 && !append.settled) {
          append.settled = true;
          append.resolve(append.results);
        }
      });
    }
    return rest;
  }

  private fail(pending: PartitionQueue[], error: Error): void {
    for (const queue of pending) {
      for (const entry of queue.entries) {
        if (entry.append.settled) continue;
        entry.append.settled = true;
        entry.append.reject(error);
      }
    }
  }

  private async resetSession(): Promise<void> {
    const old = this.producer;
    this.producer = this.createProducer();
    this.sessions++;
    await new Promise<void>((resolve) => old.close(true, () => resolve()));
  }

  /** Refuses new appends, lets the send in flight finish, and fails what was still queued. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const queued = [...this.queues.values()];
    this.queues.clear();
    this.fail(queued, new SightlineError('SL_LOG_CLOSED', 'the log closed before the batch was sent'));
    await this.pumping;
    await this.producer.close().catch(() => undefined);
  }
}

function countRecords(queues: PartitionQueue[]): number {
  return queues.reduce((sum, q) => sum + q.entries.length, 0);
}
