import type { DeadLetterTopicRecord, ReplayOutcome, StoredDeadLetter } from '../dead-letter.js';
import type { SightlineEvent } from '../envelope.js';
import type { PartitionOffsets } from './log.js';

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

export interface QualityQuery {
  dataset?: string;
  rule?: string;
  from?: number;
  to?: number;
  limit: number;
}

/**
 * What the dead-letter indexer read from the dead-letter topic, committed with its offsets. A
 * letter whose origin (log position) and code are stored already is a repeat from a replayed
 * batch and is skipped.
 */
export interface DeadLetterBatch {
  consumer: string;
  /** Letters and replay outcomes in topic order: a later record overrides an earlier outcome. */
  records: DeadLetterTopicRecord[];
  offsets: PartitionOffsets;
}

/** A dead letter as the API lists it, with the latest replay outcome. */
export interface DeadLetterEntry extends StoredDeadLetter {
  replay?: ReplayOutcome;
}

export interface DeadLetterQuery {
  stage?: string;
  code?: string;
  rule?: string;
  source?: string;
  type?: string;
  eventId?: string;
  since?: number;
  until?: number;
  /** true: only replayed ones (outcome replayed or duplicate); false: only those not replayed yet. */
  replayed?: boolean;
  limit: number;
  /** Exclusive: entries older than this id (paging, newest first). */
  before?: string;
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

/** An event as the query API returns it: the envelope, with enrichment in metadata. */
export type StoredEvent = SightlineEvent;

/** An event as stored, with where it came from and which commit wrote it. */
export interface LocatedEvent extends StoredEvent {
  /** Partition and offset in the log, packed (partition * 2^40 + offset). */
  logPos: number;
  commitNo: number;
  late: boolean;
  traceId: string | null;
  /** What processed it, when the commit recorded that. */
  lineage?: CommitLineage & { committedAt: number };
}

export interface RecentEventsQuery {
  source?: string;
  type?: string;
  userId?: string;
  limit: number;
  /** Exclusive upper bound (timestamp, logPos) from a previous page. */
  before?: { timestamp: number; logPos: number };
}

export interface AggregateQuery {
  name: string;
  window: string;
  from?: number;
  to?: number;
  group?: string;
  limit: number;
}

export interface WindowRow extends WindowCount {
  final: boolean;
}

export interface TableStats {
  table: string;
  rows: number;
}

export interface HotStoreStats {
  file: string;
  bytes: number;
  tables: TableStats[];
}

export interface HotStore {
  loadCheckpoint(pipeline: string, partitions: number): Promise<PipelineCheckpoint>;
  /** Ids with event time at or after `since`, to rebuild the dedup state after a restart. */
  idsSince(since: number): Promise<Array<{ id: string; timestamp: number }>>;
  /** Values of a field (as quality's uniqueKey keeps them) in stored events since `since`, for `unique` rules after a restart. */
  fieldValuesSince(since: number, match: { source?: string; type?: string }, field: readonly string[]): Promise<Array<{ value: string; timestamp: number }>>;
  /** The newest stored event time per source. */
  newestEventTimes(): Promise<Array<{ source: string; timestamp: number }>>;
  /** Which of `ids` are stored already; for late events older than the dedup state reaches. */
  existingIds(ids: readonly string[]): Promise<Set<string>>;
  commit(batch: ProcessedBatch): Promise<void>;
  /** Commits the batches in order in one transaction: all of them, or none (a sink loading several at once). */
  commitAll(batches: readonly ProcessedBatch[]): Promise<void>;
  recentEvents(query: RecentEventsQuery): Promise<Array<StoredEvent & { logPos: number }>>;
  /** The stored event with this id, if any. */
  eventById(id: string): Promise<LocatedEvent | undefined>;
  aggregates(query: AggregateQuery): Promise<WindowRow[]>;
  qualitySummary(query: QualityQuery): Promise<QualityCount[]>;
  /** The next offset per partition a consumer other than a pipeline (the dead-letter indexer) has stored. */
  loadOffsets(consumer: string, partitions: number): Promise<PartitionOffsets>;
  commitDeadLetters(batch: DeadLetterBatch): Promise<void>;
  deadLetters(query: DeadLetterQuery): Promise<DeadLetterEntry[]>;
  deadLetter(id: string): Promise<DeadLetterEntry | undefined>;
  stats(): Promise<HotStoreStats>;
  /** Undefined when a small write transaction commits; else why not (to tell a poison event from a broken store). */
  writable(): Promise<string | undefined>;
  /** The columns of each user-facing table (not the sl_ bookkeeping), for schema facets. */
  columns(): Promise<Array<{ table: string; columns: Array<{ name: string; type: string }> }>>;
  close(): Promise<void>;
}
