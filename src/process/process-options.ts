/** The processor's batching, dedup and event-time rules: the `process` config section, durations in ms. */
export interface ProcessOptions {
  batchSize: number;
  dedupWindowMs: number;
  allowedLatenessMs: number;
  watermarkDelayMs: number;
  plannerThread: boolean;
  lateEvents: 'dead-letter' | 'store';
}
