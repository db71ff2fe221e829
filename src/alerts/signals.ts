/**
 * One reading of the platform, taken by the function the platform hands the engine. Counters are
 * cumulative since the platform started; the rules turn them into increases over their windows
 * themselves, and take a counter that went down as restarted from zero (as Prometheus does).
 */
export interface AlertSignals {
  /** ms since epoch: the evaluation's time, so tests drive the clock. */
  now: number;
  /** Cumulative accepted events per source/type since start. */
  volume: Array<{ source: string; type: string; events: number }>;
  /** Newest event time (ms) committed to the hot store per source. */
  newestEventTime: Array<{ source: string; timestamp: number }>;
  /** Cumulative events received (ingest). */
  received: number;
  /** Cumulative events rejected or dead-lettered (ingest + processing). */
  failed: number;
  /** Events in the log not yet processed. */
  backlog: number;
  /** Cumulative, by "subject@version" (schema version drift). */
  versionMismatches: Record<string, number>;
}

/** Reads the signals; may be async, since some (the backlog) come from the log. */
export type AlertSignalSource = () => AlertSignals | Promise<AlertSignals>;
