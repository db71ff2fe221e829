/** The DuckDB hot store: the `hot` config section. */
export interface HotStoreOptions {
  memoryLimit: string;
  threads?: number;
}

/** Parquet exports to the cold store: the `cold` config section, durations in ms. */
export interface ColdStoreOptions {
  rollRows: number;
  rollIntervalMs: number;
  /** Whether each contract subject's events also go to its own table, with typed columns. */
  contractTables: boolean;
  /** Where the files go: absent, a folder in the data folder (`cold/`). */
  objectStore?: ObjectStoreOptions;
}

/**
 * An S3-compatible object store for the cold tier (`cold.objectStore`). What the config leaves out
 * comes from the standard AWS variables (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, AWS_REGION,
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) or the SDK's other usual sources, as for any AWS tool.
 */
export interface ObjectStoreOptions {
  bucket: string;
  /** Folder inside the bucket: '' or ending with '/'. */
  prefix: string;
  endpoint?: string;
  region?: string;
  /** Path-style addressing (http://host/bucket/key), which local servers need; on by default with an endpoint. */
  pathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  secretAccessKeyPath?: string;
  /** PEM file of the CAs to trust for the endpoint's TLS certificate, instead of the system's. */
  caPath?: string;
}

/** What the lifecycle does to one table (and its rows in the hot store); durations in ms. */
export interface TableLifecycle {
  hotRetentionMs?: number;
  coldRetentionMs?: number;
  tierAfterMs?: number;
  compactBelowBytes?: number;
  compactMinFiles?: number;
}

/** The `lifecycle` config section. */
export interface LifecycleOptions {
  intervalMs: number;
  snapshotRetentionMs: number;
  tier: { prefix: string; storageClass?: string };
  /** By dataset name (`events`, an aggregation's name) or `*` for every other. */
  tables: Record<string, TableLifecycle>;
}

/** A table's settings: its own over those of `*`. */
export function lifecycleOf(options: LifecycleOptions, dataset: string): TableLifecycle {
  return { ...options.tables['*'], ...options.tables[dataset] };
}
