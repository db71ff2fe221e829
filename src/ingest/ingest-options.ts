/** Limits and back-pressure of ingest: the `ingest` config section, durations in ms. */
export interface IngestOptions {
  maxBodyBytes: number;
  maxEventsPerBatch: number;
  maxEventBytes: number;
  maxDepth: number;
  maxStringLength: number;
  maxFutureSkewMs: number;
  maxBacklogEvents: number;
  maxInFlightBytes: number;
  retryAfterSeconds: number;
}
