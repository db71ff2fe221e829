import type { SightlineEvent } from '../envelope.js';
import type { CommitLineage, QualityCount, WindowCount } from './processed-batch.js';

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

/**
 * What a change to the stored windows touched: per aggregation, a range of window starts (ms,
 * `to` exclusive) holding every window whose count or finality changed; `all` when a change
 * cannot say (a backfill, hot retention).
 */
export type WindowChanges = Array<{ name: string; from: number; to: number }> | 'all';

/** One group's count in one window: the sum of its streams' shares. */
export interface WindowRow extends Omit<WindowCount, 'stream'> {
  final: boolean;
}

export interface QualityQuery {
  dataset?: string;
  rule?: string;
  from?: number;
  to?: number;
  limit: number;
}

/** The hot store as the query API reads it: recent events, windowed counts, quality results. */
export interface EventQueries {
  recentEvents(query: RecentEventsQuery): Promise<Array<StoredEvent & { logPos: number }>>;
  /** The stored event with this id, if any. */
  eventById(id: string): Promise<LocatedEvent | undefined>;
  aggregates(query: AggregateQuery): Promise<WindowRow[]>;
  qualitySummary(query: QualityQuery): Promise<QualityCount[]>;
  /** Moves whenever committed data changes: a cached answer from an older generation is stale. */
  generation(): number;
  /** Told after each commit which windows it changed, so cached answers over other windows stay. */
  onWindowsChanged(listener: (changes: WindowChanges) => void): void;
}
