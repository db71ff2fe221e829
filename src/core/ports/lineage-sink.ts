/**
 * Where OpenLineage events go (an HTTP endpoint such as Marquez, a file). Telemetry never holds up
 * or breaks the platform: `emit` only queues, never throws and never waits; delivery failures are
 * logged and counted by the sink.
 */
export interface LineageSink {
  readonly name: string;
  emit(event: object): void;
  /** Resolves when every event queued so far is delivered or given up. */
  flush(): Promise<void>;
  /** Stops taking events and delivers what is queued, for at most `timeoutMs`; the rest is dropped. */
  close(timeoutMs?: number): Promise<void>;
  stats(): LineageSinkStats;
}

export interface LineageSinkStats {
  delivered: number;
  /** Given up after the retries. */
  failed: number;
  /** Never attempted: the queue was full or the sink closed. */
  dropped: number;
  retries: number;
  /** Taken and not yet delivered or given up, the one being delivered included: delivered + failed + dropped + queued = emitted. */
  queued: number;
}
