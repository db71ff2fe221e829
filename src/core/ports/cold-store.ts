/**
 * Long-term storage of Parquet files under keys such as
 * `events/dt=2026-11-26/part-c000000000001-c000000000042.parquet`. A file is written locally first
 * and then handed over whole with `put`, so a reader never sees part of one.
 */
export interface ColdStore {
  /** A local path to write a file to before `put`. */
  stagingPath(name: string): string;
  /** Publishes the staged file under `key` atomically, replacing any file already there. */
  put(key: string, stagedPath: string): Promise<void>;
  list(prefix: string): Promise<Array<{ key: string; bytes: number }>>;
  /** A location DuckDB (and other readers) can open, e.g. a local path or s3:// URL. */
  location(key: string): string;
}
