import type { DeadLetter } from './dead-letter.js';
import type { WindowCount } from './ports/processed-batch.js';

/** An event as a table of events holds it: the envelope, the payload and stored metadata as JSON text. */
export interface StoredEventRow {
  logPos: number;
  id: string;
  source: string;
  type: string;
  timestamp: number;
  payload: string;
  metadata: string;
  late: boolean;
}

/**
 * What processing makes of stored events again: the metadata each kept one is stored with, the
 * refused ones' dead letters, and what the refused ones had added to each window (per stream).
 */
export interface Reprocessed {
  kept: Array<{ logPos: number; id: string; metadata: string }>;
  refused: Array<{ logPos: number; id: string; letter: DeadLetter }>;
  windows: WindowCount[];
}

/** What a backfill did so far. */
export interface BackfillCounts {
  /** Events of the range the table held. */
  events: number;
  /** Stored again with other metadata (enrichment, quality warnings). */
  changed: number;
  /** Refused by processing now: moved to the dead-letter queue. */
  refused: number;
  /** Window counts lowered by the refused events. */
  windows: number;
}

/** Runs the steps of a backfill on a node's stores. */
export interface BackfillRunner {
  /** Throws a SightlineError saying why [fromMs, toMs) cannot be backfilled now. */
  check(fromMs: number, toMs: number): Promise<void>;
  /**
   * Processes one day (`YYYY-MM-DD`) of the events table again and replaces what it produced
   * (the tables, the hot store, the windows), going on from the step a crash interrupted; with
   * `dryRun`, only counts what it would change.
   */
  day(job: string, day: string, options: { dryRun: boolean }): Promise<BackfillCounts>;
}

/** A backfill as the API shows it. */
export interface BackfillView {
  id: string;
  from: string;
  to: string;
  requested_at: number;
  requested_by: string;
  state: 'pending' | 'running' | 'done' | 'failed';
  /** Counted only: nothing was changed. */
  dry_run: boolean;
  days_total: number;
  days_done: number;
  counts: BackfillCounts;
  updated_at: number | null;
  error?: { code: string; message: string };
}

/** Backfills as the API asks for and shows them. */
export interface BackfillService {
  /** Records a backfill of the days `from`..`to` (UTC, both included), to run in the background. */
  request(range: { from: string; to: string; dryRun?: boolean }, actor: string): Promise<BackfillView>;
  get(id: string): BackfillView;
  list(): BackfillView[];
}
