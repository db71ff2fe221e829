/** The DuckDB hot store: the `hot` config section. */
export interface HotStoreOptions {
  memoryLimit: string;
}

/** Parquet exports to the cold store: the `cold` config section, durations in ms. */
export interface ColdStoreOptions {
  rollRows: number;
  rollIntervalMs: number;
}
