import type { ErasureScope } from '../erasure.js';

/** One published object of a cold store. */
export interface ColdObject {
  key: string;
  bytes: number;
  /** When it was last written, in ms since the epoch (the store's clock). */
  modifiedAt: number;
}

/**
 * Long-term storage of files (Parquet data, table metadata) under keys such as
 * `events/dt=2026-11-26/part-c000000000001-c000000000042.parquet`: a folder on local disk or a
 * bucket and prefix of an S3-compatible object store. A file is written locally first and then
 * handed over whole with `put`, so a reader never sees part of one.
 */
export interface ColdStore {
  /** Where the files live, for status and lineage: a folder, or an s3:// bucket and prefix. */
  readonly root: string;
  /** A local path to write a file to before `put`. */
  stagingPath(name: string): string;
  /** Publishes the staged file under `key` atomically, replacing any file already there; the staged file is gone after. */
  put(key: string, stagedPath: string): Promise<void>;
  /**
   * Writes a small object (table metadata) whole. With `ifAbsent`, only when nothing is published
   * under `key` yet, as one atomic step: of writers racing for one key exactly one gets `true`.
   */
  write(key: string, body: Uint8Array, options?: { ifAbsent?: boolean }): Promise<boolean>;
  /** The bytes under `key`, or undefined when nothing is published there. */
  read(key: string): Promise<Buffer | undefined>;
  /** Copies the object under `key` to a local file; false when nothing is published there. */
  download(key: string, path: string): Promise<boolean>;
  /**
   * Copies an object to another key, published whole; `storageClass` (S3's, such as STANDARD_IA)
   * where the store has classes. False when nothing is published under `from`.
   */
  copy(from: string, to: string, options?: { storageClass?: string }): Promise<boolean>;
  /** Every published object whose key starts with `prefix`, sorted by key; never a staged one. */
  list(prefix: string): Promise<ColdObject[]>;
  /** Removes objects; keys that are already gone are not an error. */
  remove(keys: readonly string[]): Promise<void>;
  /** A location readers outside Sightline can open: a local path or an s3:// URL. */
  location(key: string): string;
  /** Lets go of connections; nothing is written after. */
  close(): void;
}

/** The Parquet files among listed objects. */
export const parquetObjects = (objects: readonly ColdObject[]): ColdObject[] => objects.filter((o) => o.key.endsWith('.parquet'));

/** A read of one table of the cold tier, as of a snapshot (its id, or the time it was current). */
export interface TableRead {
  /** The table's catalog name: `events`, `page_views`, … */
  table: string;
  snapshotId?: number;
  asOf?: number;
  /** Event time (window start for aggregates) in ms, `to` exclusive. */
  from?: number;
  to?: number;
  limit: number;
}

export interface TableRows {
  /** The snapshot read, or null when the table had none then. */
  snapshotId: number | null;
  rows: Array<Record<string, unknown>>;
}

export type LifecycleJob = 'hot-retention' | 'compaction' | 'tiering' | 'cold-retention' | 'snapshot-expiry';

/** One run of the lifecycle jobs: per job, what it did across the tables, and its errors. */
export interface LifecycleReport {
  at: number;
  jobs: Partial<Record<LifecycleJob, { tables: number; files: number; rows: number; snapshots: number; errors: string[] }>>;
}

/**
 * Copies what the hot store committed into the cold store, by day, each row exactly once. Its
 * adapter belongs to the hot store's (the DuckDB hot store exports Parquet with its own SQL).
 */
export interface ColdArchiver {
  start(): Promise<void>;
  /**
   * Stops; with `drain`, after a last export of everything committed, which throws when it fails
   * (the rows stay in the hot store, and the next start exports them).
   */
  stop(options?: { drain: boolean }): Promise<void>;
  /** Rows written to the cold store by this process, per dataset. */
  readonly rowsWritten: Readonly<Record<string, number>>;
  /** Why the last export failed, while it keeps failing. */
  readonly lastError: string | null;
  /** The location of the file holding the events of `commitNo` for the day of `timestamp`, once exported. */
  eventFileFor(commitNo: number, timestamp: number): Promise<string | undefined>;
  /**
   * Rewrites every events file holding rows of the user in scope without them (a deletion request),
   * never while an export runs; call it after the hot store dropped the rows, so no export brings them back.
   */
  eraseSubject(scope: ErasureScope): Promise<{ files: number; rows: number }>;
  /**
   * Writes rows kept outside the hot store (the audit log's entries) as one Parquet file under
   * `key`, with these column types: published whole, encrypted as the other files, never while an
   * export runs.
   */
  writeRows(key: string, rows: readonly object[], columns: Record<string, string>): Promise<void>;
  /** Rows of a table of the cold tier as of a snapshot, oldest event time first. */
  readTable(read: TableRead): Promise<TableRows>;
  /** Runs every lifecycle job now (they also run every `lifecycle.interval`), never while an export runs. */
  runLifecycle(): Promise<LifecycleReport>;
  /** The last run of the lifecycle jobs, if any ran since start. */
  readonly lastLifecycle: LifecycleReport | null;
}

/** Parquet files and their bytes per dataset (the first segment of a key: `events`, `aggregates`). */
export function totalsByDataset(files: readonly ColdObject[]): Map<string, { files: number; bytes: number }> {
  const by = new Map<string, { files: number; bytes: number }>();
  for (const f of parquetObjects(files)) {
    const dataset = f.key.split('/')[0]!;
    const d = by.get(dataset) ?? { files: 0, bytes: 0 };
    d.files++;
    d.bytes += f.bytes;
    by.set(dataset, d);
  }
  return by;
}
