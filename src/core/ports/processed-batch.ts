import type { PartitionOffsets } from './log.js';

// What one processed batch is made of (rows, window counts, quality counts, offsets: committed as
// one unit) and the checkpoint a processor resumes from. Shared by the processor's PipelineStore,
// the hot store that loads batches, and the rows topic that carries them between nodes.

/**
 * One raw event as the processor writes it: the event's JSON exactly as the log holds it, and
 * the metadata to store instead of the event's own when enrichment changed it. The store takes
 * source, type, payload and metadata from the JSON itself, so the processor never re-serialises
 * events it does not change.
 */
export interface EventRow {
  /** partition * 2^40 + offset: unique, stable across replays, the paging tiebreak. */
  logPos: number;
  id: string;
  timestamp: number;
  /** payload.user_id when it is a string or a number, as a string (the indexed filter column). */
  userId: string | null;
  late: boolean;
  /** The envelope as JSON bytes, as the log holds them (metadata may be absent: it reads as {}). */
  json: Uint8Array;
  /** The metadata to store (the event's own, with metadata.enrichment set) as JSON, or null to keep the event's. */
  metadata: string | null;
}

/**
 * Consecutive records of a partition ingested in one trace (the records of a request share
 * one): a batch has a few runs, not a trace id per row.
 */
export interface TraceRun {
  partition: number;
  fromOffset: number;
  toOffset: number;
  traceId: string;
}

/** Rows encoded for a bulk load (see encodeEventRows): a line of NDJSON per row, UTF-8. */
export interface EventRowsNdjson {
  count: number;
  ndjson: Uint8Array;
}

/** The absolute count of one group in one window (not a delta: rewriting it is idempotent). */
export interface WindowCount {
  name: string;
  window: string;
  windowStart: number;
  windowEnd: number;
  group: string;
  count: number;
}

/**
 * Everything one processed batch changes, committed as one unit together with the offsets that
 * produced it. This is what makes the processor's effect exactly-once: after a crash the store
 * holds either all of a batch and its offsets, or none of it.
 */
export interface ProcessedBatch {
  pipeline: string;
  rows: EventRowsNdjson;
  windows: WindowCount[];
  /** Windows whose end is at or before this time become final (never decreases). */
  finalizeThrough: number | null;
  watermark: number | null;
  offsets: PartitionOffsets;
  duplicates: number;
  late: number;
  /** Trace ids of the batch's records, by runs of offsets. */
  traceRuns?: TraceRun[];
  /** Quality rule results of the batch, added to the summary's running counts. */
  quality?: QualityCount[];
  /** What processed the batch, kept once per commit: the lineage of its events. */
  lineage?: CommitLineage;
  /**
   * What the batch added to the planner's state, for stores that keep a changelog of it (the
   * Kafka state topic of distributed mode); only when the pipeline spec asks for it.
   */
  changelog?: StateChanges;
  /**
   * Set when the batch comes from one log partition's own processor (distributed mode): its window
   * counts are that partition's share, summed with the other partitions' into `aggregates`;
   * `watermark`, `finalizeThrough` and the totals are the partition's; windows become final
   * through `finalizeAggregatesThrough`, the bound every partition has passed.
   */
  scope?: { partition: number; finalizeAggregatesThrough: number | null };
}

/** Dedup ids and `unique` rule values a batch added to the planner's state. */
export interface StateChanges {
  ids: Array<{ id: string; timestamp: number }>;
  unique: Array<{ rule: string; value: string; timestamp: number }>;
}

export interface CommitLineage {
  node: string;
  version: string;
  /** The processing steps in order, each with what versions it (e.g. a rule set's digest, reference data's load time). */
  steps: Array<Record<string, unknown>>;
}

/** Checks of one rule on one dataset in one event-time bucket: counts to add, not totals. */
export interface QualityCount {
  dataset: string;
  rule: string;
  severity: 'warn' | 'error';
  bucketStart: number;
  bucketEnd: number;
  passed: number;
  failed: number;
}

export interface PipelineCheckpoint {
  offsets: PartitionOffsets;
  watermark: number | null;
  /** Every window ending at or before this is final; no event before it may count again. */
  finalizedThrough: number | null;
  openWindows: WindowCount[];
  commitNo: number;
  duplicates: number;
  late: number;
}
