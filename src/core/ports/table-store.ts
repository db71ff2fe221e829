import { SightlineError } from '../errors.js';
import type { Log, LogConsumer, LogRecordInput } from './log.js';

/*
 * A table: an append-only sequence of keyed records on a one-partition topic, replayed in order at
 * start and followed after. The latest record of a key is its state, so a compacted Kafka topic
 * holds it as well as the embedded log does. The schema registry keeps its history in one
 * (`_schemas`), API keys in another (`_keys`).
 */

/** A change computed under the write lock: the records to append, and what the caller gets back. */
export interface TableChange<R, T> {
  records: R[];
  result: T;
}

/**
 * Several nodes may share one table: every node of a distributed deployment opens the same topic
 * (`_schemas` for the registry, `_keys` for API keys). What holds across all of them:
 *
 * - every node is delivered every committed record, each once, in the order of the store;
 * - changes are serialised: `exclusive` computes a change only after every record committed by
 *   any node before it took the lock was delivered, and no other node commits until it is done,
 *   so a change computed from the delivered state (next version, next id) stays right.
 */
export interface TableStore<R> {
  /**
   * Delivers every record already stored, oldest first, before it resolves (a throw from
   * `onRecords` then rejects it); then goes on delivering the records any node commits, within
   * about a second. Called once, before `exclusive`. `onRecords` runs synchronously, never
   * concurrently with itself or with a `change`.
   */
  follow(onRecords: (records: readonly R[]) => void): Promise<void>;
  /**
   * Takes the store's write lock (shared by every node on the same storage), waits until every
   * record committed before was delivered, calls `change`, appends its records atomically (all or
   * none), and resolves with its result once they were delivered to `onRecords` here. A throw
   * from `change` appends nothing. `change` may run more than once: when another node took the
   * lock before the records were committed, they are discarded and `change` runs again on the
   * newer state, so it must depend on nothing but the delivered state.
   */
  exclusive<T>(change: () => TableChange<R, T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A table on a log writes through one of these: how it excludes the other writers of the same
 * topic and appends. In process for the embedded log (one process owns its data folder); a fenced
 * Kafka transaction across nodes.
 */
export interface TableWriter {
  /**
   * Runs `body` holding the lock. `append` writes records atomically and resolves with the offset
   * just past them; they are committed only when `locked` resolves. Rejects with WriteLockLost when
   * another writer took the lock first: the records are then discarded; with CommitOutcomeUnknown
   * when they may or may not have been committed. The next `locked` settles an open commit first.
   */
  locked<T>(body: (append: (records: LogRecordInput[]) => Promise<number>) => Promise<T>): Promise<T>;
  /** The offset every record committed so far lies before. */
  committedEnd(): Promise<number>;
  close(): Promise<void>;
}

/** What a store on a log needs of a reader: one position in the topic's one partition, read forward. */
export type TopicReader = Pick<LogConsumer, 'seek' | 'positions' | 'poll' | 'close'>;

/**
 * A log whose topics the nodes of a deployment share (Kafka): a table's topic is written under a
 * lock that holds across nodes and read committed records only, so every node follows the same
 * history. `label` names the table in errors ("registry", "keys").
 */
export interface SharedTableLog extends Log {
  tableWriter(topic: string, label: string): TableWriter;
  tableReader(topic: string, label: string): Promise<TopicReader>;
}

/**
 * Another writer took the lock before this one committed, or the lock cannot be had yet; nothing
 * of the records is visible. The store computes the change again on the newer state.
 */
export class WriteLockLost extends SightlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SL_TABLE_STORE_FAILED', message, { ...options, retryable: true });
  }
}

/**
 * The commit of records at [first, end) failed in a way that leaves its outcome open (a lost
 * response, a timeout, an error after the coordinator may have logged the commit). The store
 * settles it by reading: the records are either there or never will be.
 */
export class CommitOutcomeUnknown extends SightlineError {
  constructor(readonly first: number, readonly end: number, message: string, options?: { cause?: unknown }) {
    super('SL_TABLE_STORE_FAILED', message, { ...options, retryable: true });
  }
}
