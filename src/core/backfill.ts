import type { DeadLetter } from './dead-letter.js';

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

/** What processing makes of stored events again: the metadata each kept one is stored with, and the refused ones' dead letters. */
export interface Reprocessed {
  kept: Array<{ logPos: number; metadata: string }>;
  refused: Array<{ logPos: number; letter: DeadLetter }>;
}

/** The windows of one aggregation and size whose starts fall in [from, to): the ones a backfill counts again. */
export interface WindowRange {
  name: string;
  window: string;
  from: number;
  to: number;
}

/** What a backfill did so far. */
export interface BackfillCounts {
  /** Events of the range the table held. */
  events: number;
  /** Stored again with other metadata (enrichment, quality warnings). */
  changed: number;
  /** Refused by processing now: moved to the dead-letter queue. */
  refused: number;
  /** Windows counted again (written once the days are done). */
  windows: number;
}

/** Runs the steps of a backfill on a node's stores. */
export interface BackfillRunner {
  /** Throws a SightlineError saying why [fromMs, toMs) cannot be backfilled now. */
  check(fromMs: number, toMs: number): Promise<void>;
  /** Processes one day (`YYYY-MM-DD`) of the events table again and replaces it. */
  day(day: string): Promise<Omit<BackfillCounts, 'windows'>>;
  /** Counts the windows overlapping [fromMs, toMs) again and replaces them; answers how many. */
  windows(fromMs: number, toMs: number): Promise<number>;
}

/** A backfill as the API shows it. */
export interface BackfillView {
  id: string;
  from: string;
  to: string;
  requested_at: number;
  requested_by: string;
  state: 'pending' | 'running' | 'done' | 'failed';
  days_total: number;
  days_done: number;
  counts: BackfillCounts;
  updated_at: number | null;
  error?: { code: string; message: string };
}

/** Backfills as the API asks for and shows them. */
export interface BackfillService {
  /** Records a backfill of the days `from`..`to` (UTC, both included), to run in the background. */
  request(range: { from: string; to: string }, actor: string): Promise<BackfillView>;
  get(id: string): BackfillView;
  list(): BackfillView[];
}
