import type { PartitionOffsets } from './log.js';
import type { ProcessorCounters } from '../processor-counters.js';

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

/**
 * One stream's absolute share of one group's count in one window (not a delta: rewriting it is
 * idempotent). A window's count is the sum of the shares of the streams it counts.
 */
export interface WindowCount {
  name: string;
  window: string;
  windowStart: number;
  windowEnd: number;
  group: string;
  /** The stream (`source/type`) whose events this share counts. */
  stream: string;
  count: number;
}

/**
 * One stream's event time as a checkpoint keeps it. A stream is a source/type, the unit contracts
 * use; each has its own watermark, lateness and idleness, so a lagging or backfilling source never
 * makes another's events late.
 */
export interface StreamTime {
  stream: string;
  watermark: number | null;
  /** This stream's shares of windows ending at or before this are final; its events before it are late. */
  finalizedThrough: number | null;
  /** Highest event time read (never past the wall clock then). */
  maxEventTime: number | null;
  /** Processing time the stream's last event was read: how long it has been idle. */
  lastEventAt: number | null;
}

/** Per aggregation: its windows ending at or before the bound are final (never decreases). */
export type FinalBounds = Record<string, number>;

/**
 * Everything one processed batch changes, committed as one unit together with the offsets that
 * produced it. This is what makes the processor's effect exactly-once: after a crash the store
 * holds either all of a batch and its offsets, or none of it.
 */
export interface ProcessedBatch {
  pipeline: string;
  rows: EventRowsNdjson;
  windows: WindowCount[];
  /** Each aggregation's windows ending at or before its bound become final. */
  finalBounds: FinalBounds;
  /** The pipeline's watermark: the lowest among the user streams not idle (for display and metrics). */
  watermark: number | null;
  /** Each stream's event time after the batch. */
  streams: StreamTime[];
  offsets: PartitionOffsets;
  duplicates: number;
  late: number;
  /** Every processing counter after this batch (running totals), kept with the checkpoint. */
  counters?: ProcessorCounters;
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
   * `watermark`, `streams`, `finalBounds` and the totals are the partition's; windows become final
   * through `finalizeAggregates`, the bounds every partition has passed.
   */
  scope?: { partition: number; finalizeAggregates: FinalBounds };
}

/** An event id the dedup state holds, with its event time and stream. */
export interface SeenId {
  id: string;
  timestamp: number;
  stream: string;
}

/** Dedup ids and `unique` rule values a batch added to the planner's state. */
export interface StateChanges {
  ids: SeenId[];
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
  streams: StreamTime[];
  finalBounds: FinalBounds;
  /** Window shares still open for their stream. */
  openWindows: WindowCount[];
  commitNo: number;
  duplicates: number;
  late: number;
  /** Every processing counter as of the checkpoint; absent in checkpoints from before they were kept. */
  counters?: ProcessorCounters;
}
