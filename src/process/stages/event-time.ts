/**
 * Event time: the watermark, what is final, and how far each partition has been read. A batch
 * reads the state as it was when the batch started; planAndApply moves it afterwards.
 */
export interface EventTimeState {
  watermark: number | null;
  /** Windows ending at or before this are final: events before it are late whatever the config says now. */
  finalizedThrough: number | null;
  /** Highest event time read from each partition (since start; not persisted). */
  partitionMaxTimestamp: Map<number, number>;
}

export interface EventTimeRules {
  allowedLatenessMs: number;
  watermarkDelayMs: number;
}

/** Events older than this are late: the watermark minus the allowed lateness, and never before what is final already. */
export function lateBefore(state: EventTimeState, rules: EventTimeRules): number {
  return Math.max(state.watermark === null ? Number.NEGATIVE_INFINITY : state.watermark - rules.allowedLatenessMs, state.finalizedThrough ?? Number.NEGATIVE_INFINITY);
}

/**
 * Notes an event read from a partition. An event stamped in the future (a producer's wrong clock)
 * may be stored, but must not drag the watermark past the present and make every on-time event
 * after it late.
 */
export function observeEventTime(maxByPartition: Map<number, number>, partition: number, timestamp: number, now: number): void {
  const progress = Math.min(timestamp, now);
  const seen = maxByPartition.get(partition);
  if (seen === undefined || progress > seen) maxByPartition.set(partition, progress);
}

/**
 * The watermark after a batch. Each partition has its own (highest event time read minus the
 * delay, i.e. bounded out-of-orderness); the pipeline's is the lowest among partitions that still
 * have unread records, so a partition read ahead of the others (round robin over a backlog) cannot
 * make their events late. With nothing left unread, the highest applies, as for a single stream.
 * It never moves back.
 */
export function nextWatermark(current: number | null, maxByPartition: Map<number, number>, withUnread: ReadonlySet<number>, delayMs: number): number | null {
  let candidate: number | null = null;
  if (withUnread.size === 0) {
    for (const ts of maxByPartition.values()) if (candidate === null || ts > candidate) candidate = ts;
  } else {
    for (const p of withUnread) {
      const ts = maxByPartition.get(p);
      // A partition with unread records and nothing read yet: nothing is known, hold still.
      if (ts === undefined) return current;
      if (candidate === null || ts < candidate) candidate = ts;
    }
  }
  if (candidate === null) return current;
  const proposed = candidate - delayMs;
  return current === null || proposed > current ? proposed : current;
}

/** Windows ending at or before the result are final after a batch that moved the watermark to `watermark`. */
export function finalizeThrough(watermark: number | null, state: EventTimeState, rules: EventTimeRules): number | null {
  if (watermark === null) return state.finalizedThrough;
  return Math.max(watermark - rules.allowedLatenessMs, state.finalizedThrough ?? Number.NEGATIVE_INFINITY);
}
