import type { StreamRules } from './stages/event-time.js';

/** The processor's batching, dedup and event-time rules: the `process` config section, durations in ms. */
export interface ProcessOptions {
  batchSize: number;
  dedupWindowMs: number;
  allowedLatenessMs: number;
  watermarkDelayMs: number;
  idleTimeoutMs: number;
  /** Overrides by `source/type` or `source`. */
  streamRules: Record<string, Partial<StreamRules>>;
  plannerThread: boolean;
  lateEvents: 'dead-letter' | 'store';
}
