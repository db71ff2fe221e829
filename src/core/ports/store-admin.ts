export interface TableStats {
  table: string;
  rows: number;
}

export interface HotStoreStats {
  file: string;
  bytes: number;
  tables: TableStats[];
}

/** What operations read of the hot store (status, readiness, lineage facets), and its end. */
export interface StoreAdmin {
  stats(): Promise<HotStoreStats>;
  /** Undefined when the store answers a trivial query within `timeoutMs`, else why not. */
  ping(timeoutMs: number): Promise<string | undefined>;
  /**
   * Deletes the synthetic probe's stored events once read: those with event time in [from, to]
   * that are `id` or older than `othersBefore` (another node's probe may still be reading its own).
   * The time range keeps the scan to recent row groups. Returns how many.
   */
  forgetProbeEvents(which: { from: number; to: number; id?: string; othersBefore: number }): Promise<number>;
  /** The columns of each user-facing table (not the sl_ bookkeeping), for schema facets. */
  columns(): Promise<Array<{ table: string; columns: Array<{ name: string; type: string }> }>>;
  close(): Promise<void>;
}
