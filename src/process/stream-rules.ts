import type { StreamRules } from './stages/event-time.js';

/** The event-time rules of the pipeline: the defaults and their overrides by `source` or `source/type`. */
export interface EventTimeSpec {
  watermarkDelayMs: number;
  allowedLatenessMs: number;
  idleTimeoutMs: number;
  /** Overrides by `source/type` (first) or `source`. */
  streamRules?: Record<string, Partial<StreamRules>>;
}

/** A stream's rules: `source/type` overrides `source`, which overrides the defaults. */
export function rulesFor(spec: EventTimeSpec, source: string, type: string): StreamRules {
  const bySource = spec.streamRules?.[source];
  const byStream = spec.streamRules?.[`${source}/${type}`];
  return {
    watermarkDelayMs: byStream?.watermarkDelayMs ?? bySource?.watermarkDelayMs ?? spec.watermarkDelayMs,
    allowedLatenessMs: byStream?.allowedLatenessMs ?? bySource?.allowedLatenessMs ?? spec.allowedLatenessMs,
    idleTimeoutMs: byStream?.idleTimeoutMs ?? bySource?.idleTimeoutMs ?? spec.idleTimeoutMs,
  };
}
