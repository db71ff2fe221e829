import type { ErasureScope } from '../erasure.js';

/**
 * Long-term storage of Parquet files under keys such as
 * `events/dt=2026-11-26/part-c000000000001-c000000000042.parquet`. A file is written locally first
 * and then handed over whole with `put`, so a reader never sees part of one.
 */
export interface ColdStore {
  /** Where the files live, for status and lineage: a folder, or a bucket and prefix. */
  readonly root: string;
  /** A local path to write a file to before `put`. */
  stagingPath(name: string): string;
  /** Publishes the staged file under `key` atomically, replacing any file already there. */
  put(key: string, stagedPath: string): Promise<void>;
  list(prefix: string): Promise<Array<{ key: string; bytes: number }>>;
  /** A location DuckDB (and other readers) can open, e.g. a local path or s3:// URL. */
  location(key: string): string;
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
}

/** Files and bytes per dataset (the first segment of a key: `events`, `aggregates`). */
export function totalsByDataset(files: ReadonlyArray<{ key: string; bytes: number }>): Map<string, { files: number; bytes: number }> {
  const by = new Map<string, { files: number; bytes: number }>();
  for (const f of files) {
    const dataset = f.key.split('/')[0]!;
    const d = by.get(dataset) ?? { files: 0, bytes: 0 };
    d.files++;
    d.bytes += f.bytes;
    by.set(dataset, d);
  }
  return by;
}
