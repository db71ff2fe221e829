import { SightlineError } from '../errors.js';
import type { Log, LogConsumer, LogRecordInput } from './log.js';

/**
 * Where the schema registry keeps its history: an append-only sequence of keyed records, replayed
 * in order at start and followed after. The latest record of a key is its state, so a compacted
 * Kafka topic (as Confluent Schema Registry uses) holds it as well as the embedded log does. Every
 * store (on either log, and the in-memory one) runs the contract suite in test/contract/schema-store.contract.ts.
 */
export type SchemaType = 'AVRO' | 'JSON';

export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export interface SchemaVersionRecord {
  kind: 'schema';
  subject: string;
  version: number;
  /** Global id: the same schema (type and canonical form) has one id under every subject. */
  id: number;
  schemaType: SchemaType;
  /** The schema text as registered, returned as is. */
  schema: string;
  deleted: boolean;
  /** Epoch ms; events naming a deprecated version are accepted with a warning until the sunset. */
  deprecatedAt?: number;
  /** Epoch ms after which events naming this version are rejected. */
  sunsetAt?: number;
  registeredAt: number;
}

/** A hard delete: the version is gone, its id stays used. */
export interface SchemaTombstoneRecord {
  kind: 'schema-tombstone';
  subject: string;
  version: number;
  id: number;
}

/** A compatibility level, for the whole registry (subject null) or one subject; null level = unset. */
export interface ConfigRecord {
  kind: 'config';
  subject: string | null;
  compatibility: CompatibilityLevel | null;
}

/**
 * The highest global id handed out. Written before a schema record takes a new id: under
 * compaction the tombstone that held the highest id may be replaced, and ids must never be reused.
 */
export interface IdCounterRecord {
  kind: 'ids';
  maxId: number;
}

export type RegistryRecord = SchemaVersionRecord | SchemaTombstoneRecord | ConfigRecord | IdCounterRecord;

export function registryRecordKey(record: RegistryRecord): string {
  if (record.kind === 'ids') return 'ids';
  if (record.kind === 'config') return record.subject === null ? 'config' : `config/${record.subject}`;
  return `schema/${record.subject}/${record.version}`;
}

/** A change computed under the write lock: the records to append, and what the caller gets back. */
export interface StoreChange<T> {
  records: RegistryRecord[];
  result: T;
}

/**
 * Several registries may share one store: every node of a distributed deployment opens the same
 * `_schemas` topic. What holds across all of them:
 *
 * - every node is delivered every committed record, each once, in the order of the store;
 * - changes are serialised: `exclusive` computes a change only after every record committed by
 *   any node before it took the lock was delivered, and no other node commits until it is done,
 *   so a change computed from the delivered state (next version, next id) stays right.
 */
export interface SchemaStore {
  /**
   * Delivers every record already stored, oldest first, before it resolves (a throw from
   * `onRecords` then rejects it); then goes on delivering the records any node commits, within
   * about a second. Called once, before `exclusive`. `onRecords` runs synchronously, never
   * concurrently with itself or with a `change`.
   */
  follow(onRecords: (records: readonly RegistryRecord[]) => void): Promise<void>;
  /**
   * Takes the store's write lock (shared by every node on the same storage), waits until every
   * record committed before was delivered, calls `change`, appends its records atomically (all or
   * none), and resolves with its result once they were delivered to `onRecords` here. A throw
   * from `change` appends nothing. `change` may run more than once: when another node took the
   * lock before the records were committed, they are discarded and `change` runs again on the
   * newer state, so it must depend on nothing but the delivered state.
   */
  exclusive<T>(change: () => StoreChange<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A store on a log writes through one of these: how it excludes the other writers of the same
 * topic and appends. In process for the embedded log (one process owns its data folder); a fenced
 * Kafka transaction across nodes.
 */
export interface SchemaWriter {
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
 * A log whose topics the nodes of a deployment share (Kafka): the registry's topic is written
 * under a lock that holds across nodes and read committed records only, so every node follows the
 * same history.
 */
export interface SharedSchemaLog extends Log {
  schemaWriter(topic: string): SchemaWriter;
  schemaReader(topic: string): Promise<TopicReader>;
}

/**
 * Another writer took the lock before this one committed, or the lock cannot be had yet; nothing
 * of the records is visible. The store computes the change again on the newer state.
 */
export class WriteLockLost extends SightlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SL_REGISTRY_STORE_FAILED', message, { ...options, retryable: true });
  }
}

/**
 * The commit of records at [first, end) failed in a way that leaves its outcome open (a lost
 * response, a timeout, an error after the coordinator may have logged the commit). The store
 * settles it by reading: the records are either there or never will be.
 */
export class CommitOutcomeUnknown extends SightlineError {
  constructor(readonly first: number, readonly end: number, message: string, options?: { cause?: unknown }) {
    super('SL_REGISTRY_STORE_FAILED', message, { ...options, retryable: true });
  }
}
