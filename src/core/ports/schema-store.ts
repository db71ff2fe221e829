import type { TableChange, TableStore } from './table-store.js';

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

/** The registry's store: a table (TableStore) of registry records. */
export type SchemaStore = TableStore<RegistryRecord>;
export type StoreChange<T> = TableChange<RegistryRecord, T>;
