import { SightlineError } from '../core/errors.js';
import type { Log, LogRecordInput } from '../core/ports/log.js';
import type { ErrorCode } from '../core/errors.js';
import {
  CommitOutcomeUnknown,
  type SharedTableLog,
  type TableChange,
  type TableStore,
  type TableWriter,
  type TopicReader,
  WriteLockLost,
} from '../core/ports/table-store.js';
import { SerialQueue } from '../core/serial.js';

/** What a table is to its log: its name in messages, its record's key, and its record's bytes. */
export interface TableCodec<R> {
  /** Names the table in errors and in its consumer group: "registry", "keys". */
  label: string;
  /** The code of the table's own failures. */
  errorCode: ErrorCode;
  key(record: R): string;
  /** The record, or undefined when it is not one this version of Sightline wrote. */
  decode(value: unknown): R | undefined;
}
const READ_BATCH = 1000;
/** How long one read of the tail waits for new records; also how long `close` may wait for it. */
const FOLLOW_WAIT_MS = 250;
/** How long a write waits for the records before it (or its own) to be read back. */
const CATCH_UP_TIMEOUT_MS = 30_000;
/** Lost locks in a row before a write gives up; each loss means another node committed meanwhile. */
const LOCK_ATTEMPTS = 50;

/** Offsets of delivered records kept to settle an open commit: far more than one write appends. */
const RECENT_OFFSETS = 4096;

/**
 * A table's records as a one-partition topic of the platform's log, keyed so that a compacted
 * topic keeps each key's latest record: the embedded log in `sightline up`, Kafka in a
 * distributed deployment (openShared: the log's writer locks across nodes). One partition keeps every
 * record in the order it was written. One consumer follows the topic and delivers what it reads,
 * whoever wrote it; a write waits until that consumer reached the end before computing its change,
 * and until it read the change back before resolving.
 */
export class LogTable<R> implements TableStore<R> {
  private consumer: TopicReader | undefined;
  private onRecords: ((records: readonly R[]) => void) | undefined;
  private following: Promise<void> | undefined;
  /** The next offset the follower delivers. */
  private position = 0;
  /** Offsets of the latest records delivered, newest last. */
  private readonly recent = new Set<number>();
  private readonly waiters = new Set<{ offset: number; resolve: () => void; reject: (error: Error) => void }>();
  private failure: SightlineError | undefined;
  private readonly writes = new SerialQueue();
  private closed = false;
  private readonly counts = { commits: 0, lostLocks: 0 };

  private constructor(
    private readonly log: Log,
    private readonly topic: string,
    private readonly codec: TableCodec<R>,
    private readonly writer: TableWriter,
    private readonly openReader: () => Promise<TopicReader>,
  ) {}

  /** A table whose writes exclude each other within this process: enough for the embedded log. */
  static async open<R>(log: Log, topic: string, codec: TableCodec<R>): Promise<LogTable<R>> {
    await ensureTableTopic(log, topic, codec);
    return new LogTable(log, topic, codec, new InProcessWriter(log, topic, codec), () => log.consumer(`sightline-${codec.label}`, topic));
  }

  /** A table shared by every node (`shared`: Kafka) or only within this process (the embedded log). */
  static openOn<R>(log: Log | SharedTableLog, shared: boolean, topic: string, codec: TableCodec<R>): Promise<LogTable<R>> {
    return shared ? LogTable.openShared(log as SharedTableLog, topic, codec) : LogTable.open(log, topic, codec);
  }

  /**
   * A table shared by every node of a deployment (Kafka): writes lock across nodes, and the
   * follower reads committed records only.
   */
  static async openShared<R>(log: SharedTableLog, topic: string, codec: TableCodec<R>): Promise<LogTable<R>> {
    await ensureTableTopic(log, topic, codec);
    return new LogTable(log, topic, codec, log.tableWriter(topic, codec.label), () => log.tableReader(topic, codec.label));
  }

  async follow(onRecords: (records: readonly R[]) => void): Promise<void> {
    if (this.onRecords) throw this.failed('is already followed');
    this.onRecords = onRecords;
    this.consumer = await this.openReader();
    this.position = this.log.startOffsets(this.topic).get(0) ?? 0;
    this.consumer.seek(0, this.position);
    this.following = this.tail(this.consumer);
    await this.caughtUp(await this.writer.committedEnd());
  }

  exclusive<T>(change: () => TableChange<R, T>): Promise<T> {
    return this.writes.run(async () => {
      for (let attempt = 1; ; attempt++) {
        this.checkUsable();
        let result!: T;
        try {
          const end = await this.writer.locked(async (append) => {
            await this.caughtUp(await this.writer.committedEnd());
            const planned = change();
            result = planned.result;
            return planned.records.length === 0 ? this.position : append(planned.records.map((r) => encodeRecord(this.codec, r)));
          });
          await this.caughtUp(end);
          this.counts.commits++;
          return result;
        } catch (error) {
          if (error instanceof WriteLockLost) this.counts.lostLocks++;
          if (error instanceof CommitOutcomeUnknown && (await this.wasCommitted(error))) return result;
          if (!(error instanceof WriteLockLost || error instanceof CommitOutcomeUnknown) || attempt >= LOCK_ATTEMPTS) throw error;
          // Both writers back off at random, so one of them gets through before the other fences it.
          await sleep(Math.random() * Math.min(200, 10 * attempt));
        }
      }
    });
  }

  /** Changes written, and attempts that lost the lock or could not take it (each was computed again). */
  stats(): { commits: number; lostLocks: number } {
    return { ...this.counts };
  }

  /** Whether a commit whose outcome was open went through: its first record was delivered. */
  private async wasCommitted(open: CommitOutcomeUnknown): Promise<boolean> {
    // Taking the lock again settles the open transaction (committed or aborted); then everything
    // committed is readable.
    await this.writer.locked(async () => this.caughtUp(await this.writer.committedEnd()));
    if (!this.recent.has(open.first)) return false;
    await this.caughtUp(open.end);
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.writes.idle();
    this.closed = true;
    this.settle(this.failed('is closed'));
    await this.consumer?.close();
    await this.following;
    await this.writer.close();
  }

  private checkUsable(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw this.failed('is closed');
    if (!this.onRecords) throw this.failed('is written before it is followed');
  }

  private failed(what: string, cause?: unknown): SightlineError {
    return new SightlineError(this.codec.errorCode, `the ${this.codec.label} store ${what}`, cause === undefined ? undefined : { cause });
  }

  private async tail(consumer: TopicReader): Promise<void> {
    while (!this.closed && !this.failure) {
      let polled;
      const started = Date.now();
      try {
        polled = await consumer.poll(READ_BATCH, FOLLOW_WAIT_MS);
      } catch {
        // The log is unreachable for now (waiting writes time out on their own); read on later.
        if (!this.closed) await sleep(FOLLOW_WAIT_MS);
        continue;
      }
      // A consumer whose log was closed under it answers at once with nothing: do not spin on it.
      if (polled.length === 0 && Date.now() - started < FOLLOW_WAIT_MS / 2 && !this.closed) await sleep(FOLLOW_WAIT_MS);
      try {
        if (polled.length > 0) this.onRecords!(polled.map((r) => decodeRecord(this.codec, r.value, r.offset)));
        this.remember(polled.map((r) => r.offset));
      } catch (error) {
        // Applying records out of order would diverge from the other nodes: stop, and refuse writes.
        this.failure = error instanceof SightlineError ? error : this.failed(`could not apply its records: ${(error as Error).message}`, error);
        this.settle(this.failure);
        return;
      }
      this.position = Math.max(this.position, consumer.positions().get(0) ?? 0);
      this.settle();
    }
  }

  private remember(offsets: number[]): void {
    for (const offset of offsets) this.recent.add(offset);
    if (this.recent.size <= RECENT_OFFSETS) return;
    for (const offset of this.recent) {
      this.recent.delete(offset);
      if (this.recent.size <= RECENT_OFFSETS / 2) break;
    }
  }

  /** Resolves once everything before `offset` was delivered. */
  private caughtUp(offset: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.position >= offset) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(this.failed(`could not read "${this.topic}" up to offset ${offset} within ${CATCH_UP_TIMEOUT_MS / 1000} s (at ${this.position})`));
      }, CATCH_UP_TIMEOUT_MS);
      const waiter = {
        offset,
        resolve: () => (clearTimeout(timer), resolve()),
        reject: (error: Error) => (clearTimeout(timer), reject(error)),
      };
      this.waiters.add(waiter);
    });
  }

  /** Resolves the waiters the follower reached, or rejects them all with `error`. */
  private settle(error?: Error): void {
    for (const waiter of this.waiters) {
      if (error) waiter.reject(error);
      else if (this.position >= waiter.offset) waiter.resolve();
      else continue;
      this.waiters.delete(waiter);
    }
  }
}

/** A table's topic: one partition, compacted where the log compacts. */
export async function ensureTableTopic<R>(log: Log, topic: string, codec: TableCodec<R>): Promise<void> {
  await log.ensureTopic(topic, { partitions: 1, compact: true });
  if (log.partitionCount(topic) !== 1) {
    throw new SightlineError(codec.errorCode, `the ${codec.label} topic "${topic}" must have exactly one partition, it has ${log.partitionCount(topic)}`);
  }
}

/** Every store of one log and topic in this process shares one lock. */
const processLocks = new WeakMap<Log, Map<string, SerialQueue>>();

class InProcessWriter<R> implements TableWriter {
  private readonly lock: SerialQueue;

  constructor(private readonly log: Log, private readonly topic: string, private readonly codec: TableCodec<R>) {
    let byTopic = processLocks.get(log);
    if (!byTopic) processLocks.set(log, (byTopic = new Map()));
    let lock = byTopic.get(topic);
    if (!lock) byTopic.set(topic, (lock = new SerialQueue()));
    this.lock = lock;
  }

  locked<T>(body: (append: (records: LogRecordInput[]) => Promise<number>) => Promise<T>): Promise<T> {
    return this.lock.run(() =>
      body(async (records) => {
        try {
          const results = await this.log.append(this.topic, records);
          return results[results.length - 1]!.offset + 1;
        } catch (err) {
          throw new SightlineError(this.codec.errorCode, `could not store the ${this.codec.label} change: ${(err as Error).message}`, { cause: err });
        }
      }),
    );
  }

  async committedEnd(): Promise<number> {
    return this.log.endOffsets(this.topic).get(0) ?? 0;
  }

  async close(): Promise<void> {}
}

/** A record as the table's topic holds it: JSON, under the codec's key. */
export function encodeRecord<R>(codec: TableCodec<R>, record: R): LogRecordInput {
  return { key: codec.key(record), value: Buffer.from(JSON.stringify(record)), timestamp: Date.now() };
}

function decodeRecord<R>(codec: TableCodec<R>, value: Buffer, offset: number): R {
  let record: R | undefined;
  try {
    record = codec.decode(JSON.parse(value.toString('utf8')));
  } catch {
    // reported below
  }
  if (record === undefined) throw new SightlineError(codec.errorCode, `${codec.label} record at offset ${offset} is not one this version of Sightline wrote`);
  return record;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Opens what reads a table (a registry, a key store, an audit log) over it, closing the table if that fails. */
export async function openOver<R, T>(table: TableStore<R>, open: (table: TableStore<R>) => Promise<T>): Promise<T> {
  try {
    return await open(table);
  } catch (err) {
    await table.close();
    throw err;
  }
}
