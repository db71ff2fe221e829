/**
 * A plain-data snapshot of what Sightline's jobs did, from which both the OpenLineage events and
 * the `GET /v1/lineage` graph are built. Plain data (no handles, no methods) so distributed mode
 * can assemble one from the reports of several nodes. Times are epoch milliseconds.
 */
export interface LineageStats {
  /** When the snapshot was taken; every freshness is measured against it. */
  now: number;
  /** Host or instance name of this node: the authority of its local file datasets. */
  node: string;
  dataDir: string;
  /** Base URL of the ingest API, e.g. http://127.0.0.1:8080: the namespace of the source datasets. */
  ingestEndpoint: string;
  /**
   * Where the log's topics live: `file://<node>` with `logDir` for the embedded log (a topic is
   * the folder `<logDir>/<topic>`), or `kafka://<host>:<port>` with `logDir` null.
   */
  logNamespace: string;
  logDir: string | null;
  /** Events per source and type, with the contract that checked them when one is registered. */
  sources: LineageSourceStats[];
  ingest: {
    /** The topic accepted events are appended to. */
    topic: string;
    accepted: number;
    rejected: number;
    deadLettered: number;
    bytes: number;
  };
  /** The dead-letter topic, when the platform has one. */
  deadLetterTopic: string | null;
  topics: Array<{ topic: string; partitions: number; records: number; bytes: number; lastAppendAt: number | null }>;
  process: {
    pipeline: string;
    /** The topic the pipeline consumes. */
    topic: string;
    processed: number;
    stored: number;
    duplicates: number;
    late: number;
    deadLettered: number;
    watermark: number | null;
    lastCommitAt: number | null;
    /** Why the pipeline is not making progress, or null when it is. */
    failing: string | null;
  };
  /** Enrichment's reference data file, when one is configured. */
  reference: { path: string; rows: number; loadedAt: number | null; lastError: string | null } | null;
  /** Quality rule results; `dataset` is the subject `<source>.<type>` the rule is declared for. */
  quality: Array<{ dataset: string; rule: string; kind: string; severity: 'warn' | 'error'; passed: number; failed: number }>;
  hot: { file: string; tables: Array<{ table: string; rows: number; columns: Array<{ name: string; type: string }> }> };
  cold: {
    root: string;
    /**
     * A dataset is a top folder of the cold store: `events` and `aggregates`, archived from the hot
     * table of that name; `contracts`, the contract tables, archived from `events`; the tier folder.
     */
    datasets: Array<{ dataset: string; files: number; rows: number; bytes: number; lastFileAt: number | null }>;
    lastError: string | null;
    /**
     * The lifecycle's last run (hot retention, compaction, tiering, cold retention, snapshot
     * expiry), by job: what it changed and why it failed. Null before the first run; absent where
     * no lifecycle runs.
     */
    lifecycle?: { at: number; jobs: Partial<Record<string, { files: number; rows: number; snapshots: number; errors: string[] }>> } | null;
    /** The top folder tiered files move to (`tier`), a dataset of the lifecycle's. */
    tierFolder?: string;
  };
}

export interface LineageSourceStats {
  source: string;
  type: string;
  events: number;
  lastEventAt: number | null;
  schema?: { subject: string; version: number; fields: Array<{ name: string; type: string; description?: string }> };
}
