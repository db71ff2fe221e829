/** Spans: the `traces` config section. */
export interface TracesOptions {
  enabled: boolean;
  /** Share of new traces recorded (0..1); a sampled parent is always followed. */
  sampleRatio: number;
}

/** The synthetic canary event: the `probe` config section, durations in ms. */
export interface ProbeOptions {
  intervalMs: number;
  timeoutMs: number;
}
